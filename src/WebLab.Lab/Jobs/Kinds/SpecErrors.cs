namespace WebLab.Lab.Jobs.Kinds;

/// <summary>A job spec with field errors keyed by path ("spec.transfer.epochs"); the API answers 400 with them.</summary>
public sealed class SpecValidationException(IReadOnlyDictionary<string, string[]> errors)
    : BadInputException("The job spec is invalid: " + string.Join(" ", errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}")))
{
    public IReadOnlyDictionary<string, string[]> Errors { get; } = errors;

    /// <summary>One field's error.</summary>
    public static SpecValidationException For(string field, string message) => new(new Dictionary<string, string[]> { [field] = [message] });
}

/// <summary>Collects field errors under a root path ("spec"), in the order they were found.</summary>
public sealed class SpecErrors(string root)
{
    private readonly Dictionary<string, List<string>> _errors = [];

    public bool Any => _errors.Count > 0;

    /// <summary>An error at <paramref name="path"/> relative to the root ("" = the root itself).</summary>
    public void Add(string path, string message)
    {
        var key = path.Length == 0 ? root : $"{root}.{path}";
        if (!_errors.TryGetValue(key, out var list))
            _errors[key] = list = [];
        list.Add(message);
    }

    public void Add(FieldError error) => Add(error.Field, error.Message);

    public void AddRange(IEnumerable<FieldError> errors)
    {
        foreach (var error in errors)
            Add(error);
    }

    public SpecValidationException Exception() => new(_errors.ToDictionary(e => e.Key, e => e.Value.ToArray()));

    public void ThrowIfAny()
    {
        if (Any)
            throw Exception();
    }
}
