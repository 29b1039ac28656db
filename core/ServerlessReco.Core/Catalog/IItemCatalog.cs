using ServerlessReco.Domain;

namespace ServerlessReco.Catalog;

/// <summary>The item catalogue: an Azure table in production and tests, a JSON-lines file for jobs run on a directory.</summary>
public interface IItemCatalog
{
    Task UpsertAsync(IReadOnlyList<CatalogItem> items, CancellationToken ct = default);
    Task<CatalogItem?> GetAsync(string id, CancellationToken ct = default);
    IAsyncEnumerable<CatalogItem> ReadAllAsync(CancellationToken ct = default);
}
