using ServerlessReco.Domain;

namespace ServerlessReco.Rank;

/// <summary>
/// The catalogue as ranking sees it: the serving cache that follows the change feed, or the catalogue a job read
/// once (evaluation ranks with the same filters serving applies).
/// </summary>
public interface IServingCatalog
{
    bool TryGet(string itemId, out CatalogItem item);

    /// <summary>The catalogue entry of each of the model's items, by model item index (null: not in the catalogue).</summary>
    CatalogItem?[] ItemsOf(ServingModel model);
}

/// <summary>A catalogue read once and never changed: what batch jobs rank against.</summary>
public sealed class FixedCatalog(IReadOnlyDictionary<string, CatalogItem> items) : IServingCatalog
{
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<ServingModel, CatalogItem?[]> _byModel = new();

    public bool TryGet(string itemId, out CatalogItem item) => items.TryGetValue(itemId, out item!);

    public CatalogItem?[] ItemsOf(ServingModel model) => _byModel.GetValue(model, m =>
        [.. m.Artifacts.ItemIds.Select(id => items.TryGetValue(id, out var item) ? item : null)]);
}
