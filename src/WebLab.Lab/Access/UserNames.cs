namespace WebLab.Lab.Access;

/// <summary>The rules for names and passwords, in one place (CLI, sign-up form and admin page all come here).</summary>
public static class UserNames
{
    public const int MinPasswordLength = 10;

    /// <summary>What open-demo guests are called (guest-1a2b3c4d5e): no account may take such a name and own their things.</summary>
    public const string GuestPrefix = "guest-";

    /// <summary>1-64 letters, digits, and <c>. _ - @</c>; not one of the lab's own names, nor a guest's.</summary>
    public static bool IsValid(string name) => IsWellFormed(name) && !IsTaken(name);

    public static void Check(string name)
    {
        if (IsTaken(name))
            throw new BadInputException($"'{name}' is one of the lab's own names; choose another.");
        if (!IsWellFormed(name))
            throw new BadInputException($"'{name}' is not a user name: use 1-64 letters, digits and . _ - @ (no spaces).");
    }

    private static bool IsWellFormed(string name) =>
        name.Length is > 0 and <= 64 && name.All(c => char.IsLetterOrDigit(c) || c is '.' or '_' or '-' or '@');

    private static bool IsTaken(string name) => AccessPolicy.IsReserved(name) || name.StartsWith(GuestPrefix, StringComparison.OrdinalIgnoreCase);

    public static void CheckPassword(string password)
    {
        if (password.Length < MinPasswordLength)
            throw new BadInputException($"A password needs at least {MinPasswordLength} characters.");
    }
}
