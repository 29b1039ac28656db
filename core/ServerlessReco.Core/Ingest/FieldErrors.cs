namespace ServerlessReco.Ingest;

/// <summary>
/// Problems with one input record by field, named as the sender named them (camelCase; "$" for the record
/// itself): the same shape as Problem Details' "errors", so a client can show each message next to its field.
/// </summary>
public sealed class FieldErrors
{
    private Dictionary<string, List<string>>? _errors;

    public bool Any => _errors is not null;

    public void Add(string field, string message)
    {
        _errors ??= new Dictionary<string, List<string>>(StringComparer.Ordinal);
        if (!_errors.TryGetValue(field, out var list)) _errors[field] = list = [];
        list.Add(message);
    }

    public Dictionary<string, string[]>? ToDictionary() =>
        _errors?.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal);
}
