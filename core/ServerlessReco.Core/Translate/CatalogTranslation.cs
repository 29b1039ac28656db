using System.Security.Cryptography;
using System.Text;
using ServerlessReco.Catalog;
using ServerlessReco.Domain;

namespace ServerlessReco.Translate;

/// <summary>What one catalogue translation pass did.</summary>
/// <param name="Items">Items read.</param>
/// <param name="UpdatedItems">Items whose titles were written back.</param>
/// <param name="RetranslatedItems">Of those, items whose source title had changed since their last translation.</param>
/// <param name="Titles">(item, language) titles added.</param>
/// <param name="CacheHits">(text, language) pairs answered from the translations table.</param>
/// <param name="CacheMisses">(text, language) pairs sent to the Translator service.</param>
public sealed record CatalogTranslationReport(int Items, int UpdatedItems, int RetranslatedItems, int Titles, long CacheHits, long CacheMisses);

/// <summary>
/// Gives every item a title in each language of the markets where it is sold (<see cref="Markets.LanguagesOf"/>,
/// minus its source language), translated through a <see cref="CachedTranslator"/> so no text is billed twice,
/// and written back into <see cref="CatalogItem.Titles"/> with <see cref="CatalogItem.TitlesSource"/>.
/// </summary>
public static class CatalogTranslation
{
    public static async Task<CatalogTranslationReport> RunAsync(IItemCatalog catalog, CachedTranslator translator, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(translator);
        long hitsBefore = translator.Hits, missesBefore = translator.Misses;

        int items = 0;
        var work = new List<(CatalogItem Item, string SourceHash, bool Stale, string[] Missing)>();
        await foreach (var item in catalog.ReadAllAsync(ct).ConfigureAwait(false))
        {
            items++;
            if (string.IsNullOrWhiteSpace(item.Title)) continue;
            var hash = SourceHash(item);
            bool stale = item.TitlesSource != hash && item.Titles is { Count: > 0 };
            var have = stale ? null : item.Titles;
            var missing = Markets.LanguagesOf(item.Markets)
                .Where(language => !string.Equals(language, item.SourceLanguage, StringComparison.OrdinalIgnoreCase))
                .Where(language => have is null || !have.ContainsKey(language))
                .Order(StringComparer.OrdinalIgnoreCase)
                .ToArray();
            if (missing.Length > 0 || item.TitlesSource != hash)
                work.Add((item, hash, stale, missing));
        }

        int updated = 0, retranslated = 0, titles = 0;
        // One call per source language and set of missing languages, so no item is translated into a language it does not need.
        foreach (var group in work.GroupBy(w => (w.Item.SourceLanguage.ToLowerInvariant(), string.Join(',', w.Missing))))
        {
            var entries = group.ToList();
            var missing = entries[0].Missing;
            var translations = missing.Length == 0
                ? entries.Select(_ => (IReadOnlyDictionary<string, string>)new Dictionary<string, string>()).ToList()
                : await translator.TranslateAsync(entries.Select(e => e.Item.Title).ToList(), missing, entries[0].Item.SourceLanguage, ct).ConfigureAwait(false);

            var changed = new List<CatalogItem>(entries.Count);
            for (int i = 0; i < entries.Count; i++)
            {
                var (item, hash, stale, _) = entries[i];
                // Re-read just before writing: an upsert replaces the whole item, so one edited since the scan is left for the next run.
                var current = await catalog.GetAsync(item.Id, ct).ConfigureAwait(false);
                if (current is null || SourceHash(current) != hash) continue;
                var merged = new Dictionary<string, string>(stale ? [] : current.Titles ?? [], StringComparer.OrdinalIgnoreCase);
                foreach (var (language, text) in translations[i]) merged[language] = text;
                changed.Add(current with { Titles = merged, TitlesSource = hash });
                titles += translations[i].Count;
                if (stale) retranslated++;
            }
            if (changed.Count > 0)
                await catalog.UpsertAsync(changed, ct).ConfigureAwait(false);
            updated += changed.Count;
        }
        return new CatalogTranslationReport(items, updated, retranslated, titles, translator.Hits - hitsBefore, translator.Misses - missesBefore);
    }

    /// <summary>Hex SHA-256 of "source language\ntitle", the value <see cref="CatalogItem.TitlesSource"/> holds.</summary>
    public static string SourceHash(CatalogItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(item.SourceLanguage.ToLowerInvariant() + "\n" + item.Title)));
    }
}
