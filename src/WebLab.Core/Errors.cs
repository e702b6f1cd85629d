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
