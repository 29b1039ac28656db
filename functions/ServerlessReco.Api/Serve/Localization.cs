using ServerlessReco.Domain;

namespace ServerlessReco.Functions.Serve;

public sealed record LocalizedTitle(string Text, string Language, bool Translated);

public static class Localization
{
    /// <summary>
    /// The item's title for a locale: the locale itself (de-AT), then ever shorter prefixes of it (de), then the
    /// item's source text. Translated is false only when the source text is what comes back.
    /// </summary>
    public static LocalizedTitle Title(CatalogItem item, string locale)
    {
        for (var tag = locale; tag.Length > 0; tag = Parent(tag))
        {
            if (string.Equals(tag, item.SourceLanguage, StringComparison.OrdinalIgnoreCase)) break;
            if (Find(item.Titles, tag) is { } hit) return new LocalizedTitle(hit.Value, hit.Key, true);
        }
        return new LocalizedTitle(item.Title, item.SourceLanguage, false);
    }

    /// <summary>
    /// Syntax of the BCP 47 tags this API accepts: a 2-3 letter language, then subtags of 1-8 letters or
    /// digits (script, region, variant). Enough to reject garbage without a registry of every subtag.
    /// </summary>
    public static bool IsWellFormedLocale(string locale)
    {
        if (locale.Length is 0 or > 35) return false;
        var parts = locale.Split('-');
        if (parts[0].Length is < 2 or > 3 || !parts[0].All(char.IsAsciiLetter)) return false;
        return parts.Skip(1).All(p => p.Length is >= 1 and <= 8 && p.All(char.IsAsciiLetterOrDigit));
    }

    private static string Parent(string tag) => tag.LastIndexOf('-') is > 0 and var dash ? tag[..dash] : "";

    private static KeyValuePair<string, string>? Find(Dictionary<string, string>? titles, string tag)
    {
        if (titles is null) return null;
        if (titles.TryGetValue(tag, out var exact) && exact.Length > 0) return new(tag, exact);
        // Stored language tags may differ in case (zh-hant vs zh-Hant).
        foreach (var pair in titles)
            if (pair.Value.Length > 0 && string.Equals(pair.Key, tag, StringComparison.OrdinalIgnoreCase)) return pair;
        return null;
    }
}
