using System.Text.Json;
using System.Text.RegularExpressions;

namespace ServerlessReco.Ingest;

/// <summary>
/// Field rules shared by events and catalogue items. Everything is read from the raw JSON so each field's problem
/// is reported on its own instead of one type error failing the whole record.
/// </summary>
public static partial class InputRules
{
    /// <summary>Ids end up in table properties, blob content and logs; longer ones are almost certainly abuse.</summary>
    public const int MaxIdLength = 256;

    /// <summary>C0, DEL and C1 controls: invisible in logs and UIs, and forbidden in table keys.</summary>
    public static bool HasControlCharacters(ReadOnlySpan<char> text) =>
        text.IndexOfAnyInRange('\u0000', '\u001F') >= 0 || text.IndexOfAnyInRange('\u007F', '\u009F') >= 0;

    /// <summary>Like <see cref="HasControlCharacters"/> but lets tab, line feed and carriage return through, for free text.</summary>
    public static bool HasControlCharactersExceptLineBreaks(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
            if (char.IsControl(c) && c is not ('\t' or '\n' or '\r')) return true;
        return false;
    }

    /// <summary>
    /// Well-formed per RFC 5646's ABNF (language-script-region-variants-extensions-privateuse), not checked against
    /// the registry, except that the language must be an ISO 639 code of 2 or 3 letters: the ABNF's 4-8 letter
    /// languages are reserved or unassigned, and in practice they are language names ("english") sent by mistake.
    /// </summary>
    public static bool IsWellFormedLanguageTag(string tag) => tag.Length <= 64 && LanguageTag().IsMatch(tag);

    [GeneratedRegex(
        "^(?:[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}(?:-[A-Za-z]{4})?(?:-(?:[A-Za-z]{2}|[0-9]{3}))?" +
        "(?:-(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*(?:-[0-9A-WYZa-wyz](?:-[A-Za-z0-9]{2,8})+)*(?:-[Xx](?:-[A-Za-z0-9]{1,8})+)?" +
        "|[Xx](?:-[A-Za-z0-9]{1,8})+)\\z",
        RegexOptions.CultureInvariant)]
    private static partial Regex LanguageTag();

    /// <summary>A string property; null when absent or JSON null (with an error if <paramref name="required"/>) or when it is not a usable string.</summary>
    public static string? String(JsonElement record, string field, FieldErrors errors, bool required, int maxLength, bool allowLineBreaks = false)
    {
        if (!record.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            if (required) errors.Add(field, "is required");
            return null;
        }
        if (value.ValueKind != JsonValueKind.String)
        {
            errors.Add(field, "must be a string");
            return null;
        }
        if (!TryGetText(value, out var text))
        {
            errors.Add(field, NotUnicode);
            return null;
        }
        bool ok = true;
        if (required && string.IsNullOrWhiteSpace(text)) { errors.Add(field, "must not be empty"); ok = false; }
        if (text.Length > maxLength) { errors.Add(field, $"must be at most {maxLength} characters"); ok = false; }
        if (allowLineBreaks ? HasControlCharactersExceptLineBreaks(text) : HasControlCharacters(text)) { errors.Add(field, "must not contain control characters"); ok = false; }
        return ok ? text : null;
    }

    public const string NotUnicode = "is not valid Unicode text (it escapes a lone surrogate)";

    /// <summary>
    /// A string value's text; false for an escaped lone surrogate (\ud800), which JSON allows but UTF-16 text
    /// cannot hold: reading it throws, so every string of untrusted input is read through here.
    /// </summary>
    public static bool TryGetText(JsonElement value, out string text)
    {
        try
        {
            text = value.GetString() ?? "";
            return true;
        }
        catch (InvalidOperationException)
        {
            text = "";
            return false;
        }
    }

    /// <summary>A property name, as <see cref="TryGetText"/> reads a value.</summary>
    public static bool TryGetName(JsonProperty property, out string name)
    {
        try
        {
            name = property.Name;
            return true;
        }
        catch (InvalidOperationException)
        {
            name = "";
            return false;
        }
    }

    /// <summary>
    /// True when every property name of <paramref name="record"/> can be read; otherwise adds the reason under "$".
    /// Checked before any field is looked up: a lookup compares names, and a name escaping a lone surrogate makes
    /// it throw, so such a record is refused as a whole (its field cannot even be named).
    /// </summary>
    public static bool HasReadableNames(JsonElement record, FieldErrors errors)
    {
        foreach (var property in record.EnumerateObject())
        {
            if (TryGetName(property, out _)) continue;
            errors.Add("$", "has a property name that " + NotUnicode);
            return false;
        }
        return true;
    }

    /// <summary>An id: a non-empty string of at most <see cref="MaxIdLength"/> characters without control characters.</summary>
    public static string? Id(JsonElement record, string field, FieldErrors errors, bool required = true) =>
        String(record, field, errors, required, MaxIdLength);

    /// <summary>The same rules for an id that came from a URL path.</summary>
    public static bool IsValidId(string id, out string problem)
    {
        problem = string.IsNullOrWhiteSpace(id) ? "must not be empty"
            : id.Length > MaxIdLength ? $"must be at most {MaxIdLength} characters"
            : HasControlCharacters(id) ? "must not contain control characters"
            : "";
        return problem.Length == 0;
    }

    /// <summary>A finite number, or null when absent (no error) or unusable (error added; <paramref name="present"/> is true).</summary>
    public static double? Number(JsonElement record, string field, FieldErrors errors, out bool present)
    {
        present = record.TryGetProperty(field, out var value) && value.ValueKind != JsonValueKind.Null;
        if (!present) return null;
        if (value.ValueKind != JsonValueKind.Number) { errors.Add(field, "must be a number"); return null; }
        if (!value.TryGetDouble(out var number) || !double.IsFinite(number)) { errors.Add(field, "must be a finite number"); return null; }
        return number;
    }

    /// <summary>A list of known market codes, upper-cased and distinct; null when absent (error if required), empty unless allowed, or invalid.</summary>
    public static string[]? MarketList(JsonElement record, string field, FieldErrors errors, bool required, bool allowEmpty = true)
    {
        if (!record.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            if (required) errors.Add(field, "is required");
            return null;
        }
        if (value.ValueKind != JsonValueKind.Array) { errors.Add(field, "must be an array of market codes"); return null; }
        var codes = new List<string>();
        bool ok = true;
        foreach (var code in value.EnumerateArray())
        {
            if (code.ValueKind == JsonValueKind.String && TryGetText(code, out var text) && Market(text) is { } known)
            {
                if (!codes.Contains(known)) codes.Add(known);
            }
            else
            {
                errors.Add(field, code.ValueKind == JsonValueKind.String && !TryGetText(code, out _) ? "holds a string that " + NotUnicode : $"{Describe(code)} is not a known market code");
                ok = false;
            }
        }
        if (ok && codes.Count == 0 && !allowEmpty) { errors.Add(field, "must name at least one market"); ok = false; }
        return ok ? codes.ToArray() : null;
    }

    /// <summary>The canonical (upper-case) code of a known market, or null.</summary>
    public static string? Market(string? code) =>
        Domain.Markets.TryGet(code, out var market) ? market.Code : null;

    /// <summary>A short, safe rendering of a bad value for a message: never echo control characters or kilobytes back.</summary>
    public static string Describe(JsonElement value)
    {
        string text;
        if (value.ValueKind != JsonValueKind.String) text = value.GetRawText();
        else if (TryGetText(value, out var s)) text = "'" + s + "'";
        else return "a string";
        if (HasControlCharacters(text) || text.Length > 40) return value.ValueKind == JsonValueKind.String ? "a string" : "a " + value.ValueKind.ToString().ToLowerInvariant();
        return text;
    }
}
