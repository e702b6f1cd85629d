using WebLab.Lab.Access;
using WebLab.Lab.Jobs;

namespace WebLab.Web.Components;

/// <summary>
/// The person at this browser, as the pages see them (one per circuit): who signed in (read from the request that
/// opened the page, in <c>App.razor</c>) and their theme, kept in a cookie so the first HTML already has the right
/// colours (no flash of the light theme).
/// </summary>
public sealed class CurrentUser
{
    public const string ThemeCookie = "weblab-theme";

    /// <summary>The signed-in person; null on the sign-in pages.</summary>
    public Caller? Caller { get; private set; }

    public string Name => Caller?.Name ?? "";

    public bool IsAdmin => Caller?.IsAdmin == true;

    public bool DarkMode { get; private set; }

    /// <summary>The theme changed: pages re-render.</summary>
    public event Action? Changed;

    /// <summary>What the request said when the page was requested.</summary>
    public void Restore(string? name, Role? role, bool darkMode)
    {
        Caller = name is not null && role is { } r ? new Caller(name, r) : null;
        DarkMode = darkMode;
    }

    /// <summary>The caller for a command; pages only offer commands to a signed-in person.</summary>
    public Caller Required => Caller ?? throw new UnauthorizedAccessException("Sign in first.");

    public void SetDarkMode(bool dark)
    {
        DarkMode = dark;
        Changed?.Invoke();
    }

    /// <summary>Whether this person may cancel, stop or delete <paramref name="job"/> (the commands' rule).</summary>
    public bool Owns(JobRecord job) => Caller is { } caller && LabCommands.MayControl(caller, job);
}
