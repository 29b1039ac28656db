using System.Diagnostics;
using ServerlessReco.Domain;
using ServerlessReco.Publish;
using ServerlessReco.Train;

namespace ServerlessReco.Embed;

/// <summary>What adding embeddings to a model did.</summary>
/// <param name="ItemsWithText">Items that have at least one title, and so an embedding.</param>
/// <param name="DistinctTitles">Titles embedded: each distinct text once, however many items or languages share it.</param>
/// <param name="Seconds">Time spent in the encoder.</param>
/// <param name="WarmItemsWithText">Items with interactions and a title: what the cold-start map is fitted on.</param>
/// <param name="ColdStart">The cold-start map's figures; null when too few warm items have a title to fit one.</param>
public sealed record ModelEmbeddingReport(int Items, int ItemsWithText, int DistinctTitles, double Seconds, int WarmItemsWithText, ColdStartReport? ColdStart);

public sealed record EmbeddedModel(ModelArtifacts Model, ModelEmbeddingReport Report);

/// <summary>
/// Item text embeddings and the cold-start map, added to a model: training with an encoder and `embed-items`
/// both go through <see cref="Add"/>.
/// </summary>
public static class ModelEmbeddings
{
    /// <summary>
    /// <paramref name="model"/> as a new, unwritten version: its arrays, item embeddings from every item's titles
    /// (<see cref="ItemTextEmbeddings"/>), the encoder's identity, and predicted factors for items that are not
    /// <paramref name="warm"/> (<see cref="ContentToFactors"/>), with the map's validation figures in the metrics.
    /// Items with no title keep zero embeddings and their factors.
    /// </summary>
    /// <param name="progress">Called with (titles embedded, titles to embed) as the encoder goes.</param>
    /// <param name="baseVersion">The stored version the result adds embeddings to; null when the model was never written (train with an encoder).</param>
    public static EmbeddedModel Add(
        ModelArtifacts model, IReadOnlyDictionary<string, CatalogItem> catalog, bool[] warm, TextEncoder encoder, int batchSize,
        Action<int, int>? progress = null, string? baseVersion = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(warm);
        int d = encoder.Dimension, items = model.ItemCount;

        var clock = Stopwatch.StartNew();
        var (embeddings, hasText, distinctTexts) = ItemTextEmbeddings.Embed(
            [.. model.ItemIds.Select(id => catalog.GetValueOrDefault(id))], encoder, batchSize, progress, ct);
        double seconds = clock.Elapsed.TotalSeconds;
        int withText = hasText.Count(h => h);

        var itemFactors = (float[])model.ItemFactors.Clone();
        var metrics = new Dictionary<string, double>(model.Manifest.Metrics);
        var counts = new Dictionary<string, long>(model.Manifest.Counts)
        {
            ["embeddedItems"] = withText,
            ["embeddedTitles"] = distinctTexts,
        };
        int warmWithText = Enumerable.Range(0, items).Count(i => warm[i] && hasText[i]);
        ColdStartReport? coldStart = null;
        if (warmWithText >= ContentToFactors.MinimumWarmItems)
        {
            coldStart = ContentToFactors.FillColdItems(itemFactors, model.Factors, embeddings, d, warm, hasText);
            metrics["coldStart.validationRelativeError"] = coldStart.ValidationRelativeError;
            metrics["coldStart.validationCosine"] = coldStart.ValidationCosine;
            metrics["coldStart.lambda"] = coldStart.Lambda;
            counts["coldStartItems"] = coldStart.FilledItems;
        }

        var now = DateTimeOffset.UtcNow;
        // Everything else (ids, user factors, popularity, categories, purchase lists) is the base version's.
        var embedded = model with
        {
            Manifest = model.Manifest with
            {
                Version = ModelStore.NewVersion(now),
                CreatedAt = now,
                Encoder = encoder.Identity,
                BaseVersion = baseVersion,
                Metrics = metrics,
                Counts = counts,
                Files = [],
            },
            ItemFactors = itemFactors,
            ItemEmbeddings = embeddings,
            EmbeddingDimension = d,
        };
        return new EmbeddedModel(embedded, new ModelEmbeddingReport(items, withText, distinctTexts, seconds, warmWithText, coldStart));
    }
}
