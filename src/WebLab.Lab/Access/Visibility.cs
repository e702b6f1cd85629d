namespace WebLab.Lab.Access;

/// <summary>Who sees a job, dataset or checkpoint besides its owner and the admins.</summary>
public enum Visibility
{
    /// <summary>Everyone in the lab (the default: a group learns from each other's runs).</summary>
    Group,

    /// <summary>Only its owner and the admins; to everyone else it does not exist (404).</summary>
    Private,
}
