namespace WebLab.Lab.Access;

/// <summary>Where a one-time sign-in link points (the host's endpoint and the CLI's printout agree through this).</summary>
public static class SignInLinks
{
    public const string Path = "/account/link";

    public static string For(string labUrl, string secret) => $"{labUrl.TrimEnd('/')}{Path}?token={Uri.EscapeDataString(secret)}";
}
