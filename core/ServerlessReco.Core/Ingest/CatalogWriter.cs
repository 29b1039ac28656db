using System.Text.Json;
using ServerlessReco.Catalog;
using ServerlessReco.Domain;

namespace ServerlessReco.Ingest;

/// <summary>Catalogue writes from the API: validated upserts and stock/availability patches.</summary>
public sealed class CatalogWriter(IItemCatalog catalog, TimeProvider time)
{
    /// <summary>
    /// Validates each element: the report as it stands once the valid items are written, and those items. Apart
    /// from <see cref="UpsertAsync"/>, so that a fault in the input can never pass for a storage failure.
    /// </summary>
    public (ItemUpsertReport Report, List<CatalogItem> Valid) Validate(IReadOnlyList<JsonElement> records)
    {
        var now = time.GetUtcNow();
        var results = new ItemResult[records.Count];
        var valid = new List<CatalogItem>();
        var firstIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < records.Count; i++)
        {
            var check = ItemValidator.Validate(records[i], now);
            if (check.Item is not { } item)
            {
                results[i] = new ItemResult(i, check.Id, ItemStatus.Rejected, check.Errors);
            }
            else if (!firstIndex.TryAdd(item.Id, i))
            {
                // Two versions of one item in one request: which should win is not ours to guess.
                results[i] = new ItemResult(i, item.Id, ItemStatus.Rejected, new() { ["id"] = [$"appears more than once in this request (first at index {firstIndex[item.Id]})"] });
            }
            else
            {
                results[i] = new ItemResult(i, item.Id, ItemStatus.Upserted);
                valid.Add(item);
            }
        }
        return (new ItemUpsertReport(valid.Count, records.Count - valid.Count, results), valid);
    }

    /// <summary>
    /// Upserts items <see cref="Validate"/> returned. An upsert replaces the item, translations included:
    /// TranslateCatalog refills them from its cache keyed by the text.
    /// </summary>
    public async Task UpsertAsync(IReadOnlyList<CatalogItem> items, CancellationToken ct = default)
    {
        if (items.Count > 0) await catalog.UpsertAsync(items, ct).ConfigureAwait(false);
    }

    /// <summary>The item after the change, or null when there is no such item.</summary>
    public Task<CatalogItem?> PatchAsync(string id, ItemPatch patch, CancellationToken ct = default) =>
        catalog.UpdateAsync(id, item => patch.ApplyTo(item, time.GetUtcNow()), ct);
}
