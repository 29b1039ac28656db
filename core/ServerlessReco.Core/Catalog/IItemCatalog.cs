using ServerlessReco.Domain;

namespace ServerlessReco.Catalog;

/// <summary>The item catalogue: an Azure table in production and tests, a JSON-lines file for jobs run on a directory.</summary>
public interface IItemCatalog
{
    Task UpsertAsync(IReadOnlyList<CatalogItem> items, CancellationToken ct = default);
    Task<CatalogItem?> GetAsync(string id, CancellationToken ct = default);
    /// <summary>
    /// Read-modify-write of one item that never loses a concurrent writer's change. Returns the item as written,
    /// or null (writing nothing) when it does not exist.
    /// </summary>
    Task<CatalogItem?> UpdateAsync(string id, Func<CatalogItem, CatalogItem> change, CancellationToken ct = default);
    IAsyncEnumerable<CatalogItem> ReadAllAsync(CancellationToken ct = default);
}
