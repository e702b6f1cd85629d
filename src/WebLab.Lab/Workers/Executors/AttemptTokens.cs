using System.Globalization;
using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;

namespace WebLab.Lab.Workers.Executors;

/// <summary>
/// The tokens remote workers post with: one launch of one job attempt, sealed and time-limited by ASP.NET Core's data
/// protection (the lab's key ring, kept in its data folder), so a token is useless for any other attempt or after its
/// expiry, and nothing about it is stored. The launch id tells apart two launches of the same attempt (an interrupted
/// attempt is launched again under its number, while the first launch may still be posting after a lab restart).
/// </summary>
public sealed class AttemptTokens(IDataProtectionProvider provider)
{
    private readonly ITimeLimitedDataProtector _protector = provider.CreateProtector("WebLab.WorkerAttempt.v1").ToTimeLimitedDataProtector();

    public string Issue(WorkerKey key, DateTimeOffset expires) =>
        _protector.Protect(string.Create(CultureInfo.InvariantCulture, $"{key.JobId}/{key.Attempt}/{key.Launch}"), expires);

    /// <summary>The launch a token was issued for, or null when it is forged, damaged or expired.</summary>
    public WorkerKey? Read(string token)
    {
        try
        {
            var parts = _protector.Unprotect(token, out _).Split('/');
            return parts.Length == 3 && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var attempt)
                ? new WorkerKey(parts[0], attempt, parts[2]) : null;
        }
        catch (CryptographicException)
        {
            return null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}

/// <summary>One launch of a job attempt on a remote executor.</summary>
public sealed record WorkerKey(string JobId, int Attempt, string Launch)
{
    public static WorkerKey New(string jobId, int attempt) => new(jobId, attempt, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)));
}
