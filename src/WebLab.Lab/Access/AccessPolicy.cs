using WebLab.Lab.Jobs.Kinds;

namespace WebLab.Lab.Access;

/// <summary>
/// The one place that says who may change what. Commands (<see cref="Jobs.LabCommands"/>) ask it before acting, the
/// pages ask it before offering a button, so a rule changes here and nowhere else.
/// </summary>
public static class AccessPolicy
{
    /// <summary>Owner of what the lab creates for itself (the demo source's pretraining, built-in checkpoints).</summary>
    public const string LabOwner = "weblab";

    /// <summary>Names people cannot take: the lab's own, and the ones that would read as the lab or as nobody.</summary>
    private static readonly HashSet<string> s_reserved = new(StringComparer.OrdinalIgnoreCase)
    {
        LabOwner, "builtin", "builtin-demo-source", "system", "root", "anonymous", "guest",
    };

    public static bool IsReserved(string name) => s_reserved.Contains(name.Trim());

    /// <summary>The kinds of job a guest may start: look and try, not train sources or bring data.</summary>
    private static readonly HashSet<string> s_guestKinds = new(StringComparer.Ordinal) { ExperimentKind.Id, AnalyseKind.Id, PredictKind.Id };

    /// <summary>Null when <paramref name="caller"/> may start a job of this kind, else why not.</summary>
    public static string? SubmitRefusal(Caller caller, string kind) =>
        caller.Role != Role.Guest || s_guestKinds.Contains(kind) ? null
        : kind is IngestKind.Id or ImportKind.Id
            ? "Guests cannot upload datasets or weights; an admin can make you a member."
            : $"Guests may run experiments, analyses and predictions, not {kind} jobs; an admin can make you a member.";

    /// <summary>Only admins jump the queue: priority above 0 outranks the fair order everyone else shares.</summary>
    public static bool MaySetPriority(Caller caller, int priority) => priority <= 0 || caller.IsAdmin;

    /// <summary>Owners and admins change or delete a thing; nobody else.</summary>
    public static bool MayChange(Caller caller, string owner) =>
        caller.IsAdmin || string.Equals(caller.Name, owner, StringComparison.Ordinal);

    /// <summary>Admins and the owner see everything of theirs; the rest of the group sees what is shared with the group.</summary>
    public static bool MayRead(Caller caller, string owner, Visibility visibility) =>
        visibility == Visibility.Group || MayChange(caller, owner);

    /// <summary>
    /// <see cref="MayRead"/> as a SQL condition on a table with owner and visibility columns, for lists; its parameters
    /// come from <see cref="WithViewer"/> (no viewer: the lab itself, which sees everything).
    /// </summary>
    public const string VisibleSql =
        "(@viewerAll = 1 OR visibility = 'group' OR owner = @viewerName)";

    /// <summary>Query parameters: <paramref name="parameters"/>' properties plus the viewer's.</summary>
    public static Dapper.DynamicParameters WithViewer(object parameters, Caller? viewer)
    {
        var all = new Dapper.DynamicParameters(parameters);
        all.Add("viewerAll", viewer is null || viewer.IsAdmin ? 1 : 0);
        all.Add("viewerName", viewer?.Name ?? "");
        return all;
    }

    /// <summary>A visibility as people write it ("group", "private"; none: group).</summary>
    public static Visibility ParseVisibility(string? text) =>
        string.IsNullOrWhiteSpace(text) ? Visibility.Group
        : Enum.TryParse<Visibility>(text.Trim(), ignoreCase: true, out var visibility) && !int.TryParse(text, out _) ? visibility
        : throw Jobs.Kinds.SpecValidationException.For("visibility", "group (everyone in the lab sees it) or private (you and the admins).");

    /// <summary>How a visibility is stored.</summary>
    public static string Text(Visibility visibility) => visibility.ToString().ToLowerInvariant();
}
