using System.Diagnostics;
using ServerlessReco.Domain;
using ServerlessReco.Embed;
using ServerlessReco.Evaluate;
using ServerlessReco.Publish;
using ServerlessReco.Rank;
using ServerlessReco.Train;

namespace ServerlessReco.Jobs.Evaluate;

/// <summary>What the encoder's content signal is worth on the split, with the methods that use it next to their references.</summary>
/// <param name="Encoder">The encoder's identity (<see cref="EncoderIdentity.ToString"/>).</param>
/// <param name="NewItems">Items first sold in the test period (no training event at all) that have a title.</param>
/// <param name="ColdStartShoppers">Training shoppers who bought at least one new item in the test period.</param>
/// <param name="ColdStartPairs">Distinct (shopper, new item) purchases: what the new-item rankings are scored against.</param>
/// <param name="ColdStart">New items ranked among themselves for each such shopper.</param>
/// <param name="SimilarAnchors">Training items bought in the test period by a shopper who also bought another training item then.</param>
/// <param name="Similar">Each anchor's similar items scored against the items its test-period shoppers also bought.</param>
public sealed record ContentQualityReport(
    string Encoder, double EmbedSeconds, int NewItems, int ColdStartShoppers, long ColdStartPairs, List<MethodResult> ColdStart,
    int SimilarAnchors, List<MethodResult> Similar);

public static class ContentQualityEvaluation
{
    public const string ContentMap = "content-to-factor map";
    public const string NewItemPopularity = "popularity among new items (test month, leave-one-out)";
    public const string Random = "random";
    public const string ContentOnly = "content only";
    public const string AlsOnly = "ALS only";
    public const string ServedBlend = "served blend";

    /// <summary>
    /// Embeds the training items (as training with an encoder does), then measures <b>item cold start</b>: items
    /// first sold in the test period get factors from the content-to-factor map fitted on the training items, and
    /// are ranked among the new items for each training shopper who bought one (user factors . predicted
    /// factors), against <see cref="ContentQuality.NewItemPopularity"/> and <see cref="ContentQuality.Random"/>;
    /// and <b>similar items</b>: <see cref="RankingPipeline.Similar"/> by content only, by ALS only and as served,
    /// hit when the list holds an item bought in the test period by a shopper who bought the anchor then
    /// (<see cref="ContentQuality.CoBought"/>).
    /// </summary>
    public static ContentQualityReport Run(
        EvaluationSplit split, ModelArtifacts trained, IReadOnlyDictionary<string, CatalogItem> catalog, TextEncoder encoder,
        InteractionStrength strength, int k, int threads, CancellationToken ct)
    {
        var train = split.Train;
        int trainItems = train.ItemIds.Length, factors = trained.Factors;
        var warm = new bool[trainItems];
        foreach (int item in train.UserItems.ColumnIndices) warm[item] = true;
        var embedClock = Stopwatch.StartNew();
        var model = ModelEmbeddings.Add(trained, catalog, warm, encoder, batchSize: 32, ct: ct).Model;
        int d = model.EmbeddingDimension;

        var itemIndex = IdIndex.Of(train.ItemIds);
        var userIndex = IdIndex.Of(train.UserIds);
        var purchased = split.TestEvents.Where(e => e.User.Length > 0 && strength.Weights.Of(e) > 0).ToList();
        var newIds = purchased.Select(e => e.Item)
            .Where(id => !itemIndex.ContainsKey(id) && catalog.TryGetValue(id, out var item) && ItemTextEmbeddings.TextsOf(item).Count > 0)
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var newIndex = IdIndex.Of(newIds);

        // Training items then new items, so the existing map fits on the warm training rows and fills the new ones.
        int all = trainItems + newIds.Length;
        var embeddings = new float[all * d];
        // ModelEmbeddings.Add always sets them.
        model.ItemEmbeddings!.CopyTo(embeddings, 0);
        ItemTextEmbeddings.Embed([.. newIds.Select(id => catalog[id])], encoder, batchSize: 32, ct: ct).Embeddings.CopyTo(embeddings.AsSpan(trainItems * d));
        double embedSeconds = embedClock.Elapsed.TotalSeconds;
        var itemFactors = new float[all * factors];
        model.ItemFactors.CopyTo(itemFactors, 0);
        var hasText = new bool[all];
        for (int i = 0; i < all; i++) hasText[i] = i >= trainItems || (catalog.TryGetValue(train.ItemIds[i], out var item) && ItemTextEmbeddings.TextsOf(item).Count > 0);
        ContentToFactors.FillColdItems(itemFactors, factors, embeddings, d, [.. warm, .. new bool[newIds.Length]], hasText);
        var predicted = itemFactors.AsMemory(trainItems * factors, newIds.Length * factors);

        var (rows, cols) = (new List<int>(), new List<int>());
        foreach (var e in purchased)
        {
            if (userIndex.TryGetValue(e.User, out int u) && newIndex.TryGetValue(e.Item, out int j)) { rows.Add(u); cols.Add(j); }
        }
        var bought = CsrMatrix.Binary(train.UserIds.Length, newIds.Length, rows.ToArray(), cols.ToArray());
        var nothingOwned = CsrMatrix.Binary(train.UserIds.Length, newIds.Length, [], []);
        var coldStart = new List<MethodResult>();
        void Cold(string name, UserScorer scorer)
        {
            var clock = Stopwatch.StartNew();
            coldStart.Add(new MethodResult(name, Evaluator.Evaluate(nothingOwned, bought, scorer, k, threads), clock.Elapsed.TotalSeconds));
        }
        Cold(ContentMap, (u, scores) => Scoring.ScoreAll(predicted.Span, factors, model.UserFactors.AsSpan(u * factors, factors), scores));
        Cold(NewItemPopularity, ContentQuality.NewItemPopularity(bought));
        Cold(Random, ContentQuality.Random(seed: 7));

        var shoppers = IdIndex.Of(purchased.Select(e => e.User).Distinct(StringComparer.Ordinal).ToArray());
        (rows, cols) = (new List<int>(), new List<int>());
        foreach (var e in purchased)
        {
            if (itemIndex.TryGetValue(e.Item, out int i)) { rows.Add(shoppers[e.User]); cols.Add(i); }
        }
        var coBought = ContentQuality.CoBought(CsrMatrix.Binary(shoppers.Count, trainItems, rows.ToArray(), cols.ToArray()));
        var serving = ServingModel.Build(model);
        var servedCatalog = new FixedCatalog(catalog);
        var nothingExcluded = CsrMatrix.Binary(trainItems, trainItems, [], []);
        var similar = new List<MethodResult>();
        void Similar(string name, float contentWeight)
        {
            var pipeline = new RankingPipeline(new RankingOptions { SimilarContentWeight = contentWeight });
            var clock = Stopwatch.StartNew();
            var metrics = Evaluator.Evaluate(nothingExcluded, coBought, (item, list) =>
            {
                var ranked = pipeline.Similar(serving, servedCatalog, item, market: null, list.Length).Items;
                for (int n = 0; n < ranked.Count; n++) list[n] = ranked[n].Index;
                return ranked.Count;
            }, k, threads);
            similar.Add(new MethodResult(name, metrics, clock.Elapsed.TotalSeconds));
        }
        Similar(ContentOnly, 1f);
        Similar(AlsOnly, 0f);
        Similar(ServedBlend, new RankingOptions().SimilarContentWeight);

        return new ContentQualityReport(encoder.Identity.ToString(), embedSeconds, newIds.Length, coldStart[0].Metrics.UsersEvaluated, bought.NonZeros, coldStart,
            similar[0].Metrics.UsersEvaluated, similar);
    }
}
