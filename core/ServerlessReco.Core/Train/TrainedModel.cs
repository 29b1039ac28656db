using ServerlessReco.Domain;
using ServerlessReco.Publish;

namespace ServerlessReco.Train;

public static class TrainedModel
{
    /// <summary>
    /// A model version from training data and fitted factors: what `train` publishes and what `evaluate` serves
    /// from in memory, so the evaluated pipeline ranks with exactly the artifacts a published version holds.
    /// </summary>
    public static ModelArtifacts Build(TrainingData data, AlsFactors factors, TrainingParameters parameters,
        IReadOnlyDictionary<string, CatalogItem> catalog, DateTimeOffset createdAt)
    {
        if (factors.Factors != parameters.Als.Factors)
            throw new ArgumentException($"The factors have {factors.Factors} columns, the parameters say {parameters.Als.Factors}.", nameof(factors));
        var manifest = new ModelManifest
        {
            Version = ModelStore.NewVersion(createdAt),
            CreatedAt = createdAt,
            TrainedUntil = data.NewestEvent,
            Training = parameters,
            Counts = new()
            {
                ["events"] = data.EventCount,
                ["anonymousEvents"] = data.AnonymousEventCount,
                ["users"] = data.UserIds.Length,
                ["items"] = data.ItemIds.Length,
                ["nonZeros"] = data.UserItems.NonZeros,
                ["markets"] = data.Markets.Length - 1,
            },
        };
        return new ModelArtifacts
        {
            Manifest = manifest,
            UserIds = data.UserIds,
            ItemIds = data.ItemIds,
            UserFactors = factors.UserFactors,
            ItemFactors = factors.ItemFactors,
            PopularityMarkets = data.Markets,
            Popularity = data.ShrunkPopularity(parameters.PopularityShrinkage),
            PurchasePointers = data.Purchases.RowPointers,
            PurchaseItems = data.Purchases.ColumnIndices,
            ItemCategories = [.. data.ItemIds.Select(id => catalog.TryGetValue(id, out var c) ? c.Category : "")],
        };
    }
}
