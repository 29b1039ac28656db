using System.Buffers;
using System.Numerics.Tensors;

namespace ServerlessReco.Rank;

/// <summary>What a storefront asks for; the defaults are the API's.</summary>
public sealed record RecommendationRequest
{
    public const int DefaultCount = 20;

    /// <summary>Market code; null ranks over every market (evaluation of shoppers whose country is unknown).</summary>
    public required string? Market { get; init; }
    public int Count { get; init; } = DefaultCount;
    public string? Category { get; init; }
    public IReadOnlySet<string> Exclude { get; init; } = new HashSet<string>();
    /// <summary>0 keeps the score order; towards 1 maximal marginal relevance trades score for dissimilarity.</summary>
    public float Diversity { get; init; }
    /// <summary>Reserve a quarter of the list for categories the shopper does not usually buy from.</summary>
    public bool CrossCategory { get; init; }
    public bool IncludePurchased { get; init; }
}

/// <summary>Settings that shape every ranking, the same for serving and evaluation.</summary>
public sealed record RankingOptions
{
    public const float DefaultSimilarContentWeight = 0.3f;

    /// <summary>Categories whose items may be recommended again after a purchase (consumables).</summary>
    public IReadOnlySet<string> RepeatPurchaseCategories { get; init; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Weight of content-embedding cosine in similar items when the model has embeddings; 0 = behavioural
    /// (item-factor) cosine only. Items nobody interacted with are always similar by content alone.
    /// </summary>
    public float SimilarContentWeight { get; init; } = DefaultSimilarContentWeight;
}

public readonly record struct RankedItem(int Index, float Score, Domain.CatalogItem Item, string Category, Reason Reason);

public sealed record RankedList(Strategy Strategy, IReadOnlyList<RankedItem> Items);

/// <summary>
/// The one ranking path, used by the HTTP functions and by `evaluate`: scorers in order (the first with something
/// to say about the shopper wins), catalogue filters (market, stock, request exclusions, purchases), maximal
/// marginal relevance, cross-category slots, and an explanation per item.
/// </summary>
public sealed class RankingPipeline(IReadOnlyList<IScorer> scorers, RankingOptions options)
{
    /// <summary>ALS (with real-time fold-in) for shoppers it knows or who have events, market popularity for everyone else.</summary>
    public static IReadOnlyList<IScorer> DefaultScorers { get; } = [new AlsScorer(), new PopularityScorer()];

    public RankingPipeline(RankingOptions options) : this(DefaultScorers, options) { }

    public RankedList Recommend(ServingModel model, IServingCatalog catalog, ShopperHistory shopper, RecommendationRequest request)
    {
        ShopperScores? scores = null;
        foreach (var scorer in scorers)
            if ((scores = scorer.Score(model, shopper, request.Market)) is not null) break;
        scores ??= PopularityScorer.For(model, request.Market);

        var filter = new ItemFilter(model, catalog, request.Market, request.Category, request.Exclude,
            request.IncludePurchased ? new HashSet<string>() : shopper.Purchased, options.RepeatPurchaseCategories);
        bool rerank = request.Diversity > 0 || request.CrossCategory;
        var pool = scores.Top(rerank ? request.Count * 5 : request.Count, filter);

        List<Candidate> chosen;
        if (request.CrossCategory)
        {
            var usual = shopper.Categories(model, catalog);
            // A shopper with no visible history: their usual categories are what the model ranks first for them.
            if (usual.Count == 0) usual.UnionWith(pool.Take(3).Select(c => c.Category));
            int slots = (request.Count + 3) / 4;
            var fresh = scores.Top(slots, filter with { OnlyOutside = usual });
            chosen = Reranking.MaximalMarginalRelevance(model, pool, request.Count, 1 - request.Diversity);
            Reranking.GuaranteeFresh(chosen, pool.Concat(fresh), usual, slots);
        }
        else
        {
            chosen = request.Diversity > 0 ? Reranking.MaximalMarginalRelevance(model, pool, request.Count, 1 - request.Diversity) : pool;
        }
        return new RankedList(scores.Strategy, Explained(chosen, scores));
    }

    public RankedList Popular(ServingModel model, IServingCatalog catalog, string? market, string? category, int count)
    {
        var scores = PopularityScorer.For(model, market);
        var filter = new ItemFilter(model, catalog, market, category, new HashSet<string>(), new HashSet<string>(), options.RepeatPurchaseCategories);
        return new RankedList(scores.Strategy, Explained(scores.Top(count, filter), scores));
    }

    /// <summary>
    /// Cosine of item factors (behaviour: bought together by the same shoppers), blended with the cosine of
    /// content embeddings when the model has them (<see cref="RankingOptions.SimilarContentWeight"/>). An item
    /// nobody interacted with has only predicted factors, so its look-alikes come from content alone.
    /// </summary>
    public RankedList Similar(ServingModel model, IServingCatalog catalog, int item, string? market, int count)
    {
        int n = model.ItemCount;
        var scores = ArrayPool<float>.Shared.Rent(n);
        var content = ArrayPool<float>.Shared.Rent(n);
        try
        {
            var span = scores.AsSpan(0, n);
            // cos(item, j) = (item / |item|) . j / |j|: the query is scaled once, each score by j's inverse length.
            Span<float> query = stackalloc float[model.K];
            TensorPrimitives.Multiply(model.ItemVector(item), model.InverseNorms[item], query);
            Scoring.ScoreAll(model.Artifacts.ItemFactors, model.K, query, span);
            TensorPrimitives.Multiply(span, model.InverseNorms, span);
            if (model.UnitEmbeddings is { } embeddings && (options.SimilarContentWeight > 0 || !model.HasInteractions(item)))
            {
                float w = model.HasInteractions(item) ? options.SimilarContentWeight : 1f;
                int d = model.Artifacts.EmbeddingDimension;
                var byContent = content.AsSpan(0, n);
                Scoring.ScoreAll(embeddings, d, embeddings.AsSpan(item * d, d), byContent);
                // (1 - w) * behaviour + w * content
                TensorPrimitives.Multiply(span, 1 - w, span);
                TensorPrimitives.MultiplyAdd(byContent, w, span, span);
            }
            span[item] = float.NegativeInfinity;
            var reason = new Reason("similar-to", model.Artifacts.ItemIds[item]);
            var similar = new DenseScores(Strategy.SimilarItems, scores.AsMemory(0, n), _ => reason);
            var filter = new ItemFilter(model, catalog, market, null, new HashSet<string>(), new HashSet<string>(), options.RepeatPurchaseCategories);
            return new RankedList(similar.Strategy, Explained(similar.Top(count, filter), similar));
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scores);
            ArrayPool<float>.Shared.Return(content);
        }
    }

    /// <summary>
    /// The shopper's affinity to each of <paramref name="itemIds"/> by the vector recommendations rank with (ALS,
    /// refreshed by fold-in): what search re-ranks its results with. NaN for an item the model does not know;
    /// null when the model knows nothing about the shopper.
    /// </summary>
    public static float[]? Affinity(ServingModel model, ShopperHistory shopper, IReadOnlyList<string> itemIds)
    {
        if (AlsScorer.UserVector(model, shopper, out _) is not { } vector) return null;
        var affinity = new float[itemIds.Count];
        for (int i = 0; i < affinity.Length; i++)
            affinity[i] = model.ItemIndex.TryGetValue(itemIds[i], out int row) ? TensorPrimitives.Dot(model.ItemVector(row), vector) : float.NaN;
        return affinity;
    }

    private static List<RankedItem> Explained(List<Candidate> chosen, ShopperScores scores)
    {
        var items = new List<RankedItem>(chosen.Count);
        foreach (var c in chosen) items.Add(new RankedItem(c.Index, c.Score, c.Item, c.Category, scores.Explain(c.Index)));
        return items;
    }
}
