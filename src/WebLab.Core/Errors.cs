namespace WebLab;

/// <summary>
/// The input itself is wrong (a corrupt image, a lying header, a bad spec): retrying cannot fix it.
/// The message is one plain sentence a user can act on; it names the file, key or field.
/// </summary>
public class BadInputException : Exception
{
    public BadInputException(string message) : base(message) { }

    public BadInputException(string message, Exception inner) : base(message, inner) { }

    public BadInputException() { }
}

/// <summary>One invalid field of a spec: its path as it is spelled in JSON ("transfer.epochs") and what is wrong.</summary>
public sealed record FieldError(string Field, string Message)
{
    /// <summary>The same error one level down, e.g. "epochs" under "transfer" is "transfer.epochs".</summary>
    public FieldError Under(string parent) => this with { Field = $"{parent}.{Field}" };

    public override string ToString() => $"{Field}: {Message}";
}
