using ServerlessReco.Domain;

namespace ServerlessReco.Catalog;

public static class ItemCatalogExtensions
{
    /// <summary>The whole catalogue by item id: what training and embedding join the event log and a model to.</summary>
    public static async Task<Dictionary<string, CatalogItem>> ReadByIdAsync(this IItemCatalog catalog, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var items = new Dictionary<string, CatalogItem>(StringComparer.Ordinal);
        await foreach (var item in catalog.ReadAllAsync(ct).ConfigureAwait(false)) items[item.Id] = item;
        return items;
    }
}
