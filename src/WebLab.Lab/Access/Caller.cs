namespace WebLab.Lab.Access;

/// <summary>What a person may do in the lab, from least to most.</summary>
public enum Role
{
    /// <summary>Looks and tries things; owns nothing that costs much.</summary>
    Guest,

    /// <summary>Runs jobs and uploads data; changes their own things.</summary>
    Member,

    /// <summary>Everything, including other people's things and the built-in ones.</summary>
    Admin,
}

/// <summary>Who is asking the lab to do something: the name that will own what they create, and their role.</summary>
public sealed record Caller(string Name, Role Role)
{
    /// <summary>The lab itself (its first-start jobs and built-in sources): an owner name no person can take.</summary>
    public static Caller Lab { get; } = new(AccessPolicy.LabOwner, Role.Admin);

    public bool IsAdmin => Role == Role.Admin;
}
