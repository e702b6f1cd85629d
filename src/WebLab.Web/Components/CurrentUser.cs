using WebLab.Lab.Jobs;
using WebLab.Web.Api;

namespace WebLab.Web.Components;

/// <summary>
/// The person at this browser, as the pages see them (one per circuit): the name they gave in the app bar, which owns
/// the jobs the pages submit, and their theme. Both live in cookies, read by <c>App.razor</c> when the page is
/// requested, so the first HTML already has the right name and colours (no flash of the light theme).
/// </summary>
public sealed class CurrentUser
{
    public const string ThemeCookie = "weblab-theme";

    public string Name { get; private set; } = Users.Anonymous;

    public bool DarkMode { get; private set; }

    /// <summary>The name or the theme changed: pages that gate on ownership re-render.</summary>
    public event Action? Changed;

    public bool IsNamed => Name != Users.Anonymous;

    /// <summary>What the cookies said when the page was requested.</summary>
    public void Restore(string? name, bool darkMode)
    {
        Name = Users.Normalize(name);
        DarkMode = darkMode;
    }

    /// <summary>Takes a new name; false (and nothing changes) when the lab would not accept it.</summary>
    public bool Rename(string? name)
    {
        var trimmed = name?.Trim() ?? "";
        if (!Users.IsValid(trimmed))
            return false;
        Name = trimmed;
        Changed?.Invoke();
        return true;
    }

    public void SetDarkMode(bool dark)
    {
        DarkMode = dark;
        Changed?.Invoke();
    }

    /// <summary>Whether this person may cancel, stop or delete <paramref name="job"/> (the API's rule).</summary>
    public bool Owns(JobRecord job) => LabCommands.MayControl(Name, job);
}
