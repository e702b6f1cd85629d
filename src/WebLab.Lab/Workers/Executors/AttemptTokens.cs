using System.Globalization;
using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;

namespace WebLab.Lab.Workers.Executors;

/// <summary>
/// The tokens remote workers post with: one job attempt's id, sealed and time-limited by ASP.NET Core's data
/// protection (the lab's key ring, kept in its data folder), so a token is useless for any other attempt or after
/// its expiry, and nothing about it is stored.
/// </summary>
public sealed class AttemptTokens(IDataProtectionProvider provider)
{
    private readonly ITimeLimitedDataProtector _protector = provider.CreateProtector("WebLab.WorkerAttempt.v1").ToTimeLimitedDataProtector();

    public string Issue(string jobId, int attempt, DateTimeOffset expires) =>
        _protector.Protect(string.Create(CultureInfo.InvariantCulture, $"{jobId}/{attempt}"), expires);

    /// <summary>The attempt a token was issued for, or null when it is forged, damaged or expired.</summary>
    public (string JobId, int Attempt)? Read(string token)
    {
        try
        {
            var text = _protector.Unprotect(token, out _);
            var slash = text.LastIndexOf('/');
            return slash > 0 && int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var attempt)
                ? (text[..slash], attempt) : null;
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
