using System.Buffers;
using System.Numerics.Tensors;
using ServerlessReco.Domain;
using ServerlessReco.Storage;
using ServerlessReco.Train;

namespace ServerlessReco.Functions.Serve;

public sealed record RecommendationRequest(
    string UserId, Market Market, string Locale, int Count, string? Category, HashSet<string> Exclude,
    float Diversity, bool CrossCategory, bool IncludePurchased);

/// <summary>
/// Ranks items for a shopper: ALS scores from the stored user vector, refreshed per request with the events the
/// model has not seen (see <see cref="FoldIn"/>), or market popularity for shoppers with no signal at all. Only
/// items in the catalogue, sold in the market and in stock are ever returned.
/// </summary>
public sealed class Recommender(DataStore store, CatalogCache catalog, Pseudonymizer pseudonymizer, ServeOptions settings, ILogger<Recommender> logger)
{
    /// <summary>The events table keeps more, but 200 recent events say all a session can say about intent.</summary>
    public const int MaxRecentEvents = 200;

    public async Task<RecommendationsResponse> RecommendAsync(ServingModel model, RecommendationRequest request, CancellationToken ct)
    {
        // The raw id never reaches storage or the model: both are keyed by the pseudonym.
        var user = pseudonymizer.Pseudonymize(request.UserId);
        bool known = model.UserIndex.TryGetValue(user, out int userRow);
        var events = await ReadEventsAsync(user, ct);
        var history = History.From(events, model, known ? userRow : -1, DateTimeOffset.UtcNow);

        // The user's ALS vector: refreshed with the events the model has not seen, or as trained; none for a
        // shopper the model does not know and who has no events yet.
        float[]? vector = null;
        string strategy;
        if (history.FoldIn.Count > 0)
        {
            vector = new float[model.K];
            FoldIn.Solve(model.Artifacts.ItemFactors, model.K, model.Gram, known ? model.UserVector(userRow) : [],
                [.. history.FoldIn.Keys], [.. history.FoldIn.Values], model.Alpha, vector);
            strategy = "als+realtime";
        }
        else if (known)
        {
            vector = model.UserVector(userRow).ToArray();
            strategy = "als";
        }
        else
        {
            strategy = "popularity";
        }

        var filter = new ItemFilter(model, catalog, request.Market.Code, request.Category, request.Exclude,
            request.IncludePurchased ? [] : history.Purchased, settings.RepeatPurchaseCategories);
        List<Candidate> Rank(int count, ItemFilter allowed) => vector is null
            ? Candidates.Top(model.Popularity(request.Market.Code, out _), count, allowed)
            : Candidates.Top(model, vector, count, allowed);

        bool rerank = request.Diversity > 0 || request.CrossCategory;
        var pool = Rank(rerank ? request.Count * 5 : request.Count, filter);

        List<Candidate> chosen;
        if (request.CrossCategory)
        {
            var usual = history.Categories(model, catalog);
            // A shopper with no visible history: their usual categories are what the model ranks first for them.
            if (usual.Count == 0) usual.UnionWith(pool.Take(3).Select(c => c.Category));
            int slots = (request.Count + 3) / 4;
            var fresh = Rank(slots, filter with { OnlyOutside = usual });
            chosen = Reranking.MaximalMarginalRelevance(model, pool, request.Count, 1 - request.Diversity);
            Reranking.GuaranteeFresh(chosen, pool.Concat(fresh), usual, slots);
        }
        else
        {
            chosen = request.Diversity > 0 ? Reranking.MaximalMarginalRelevance(model, pool, request.Count, 1 - request.Diversity) : pool;
        }

        var results = new List<RecommendedItem>(chosen.Count);
        foreach (var c in chosen)
        {
            var reason = strategy == "popularity" ? PopularReason(model, request.Market.Code) : history.Explain(model, c.Index);
            results.Add(new RecommendedItem(c.Item.Id, c.Score, c.Category, Localization.Title(c.Item, request.Locale), reason));
        }
        return new RecommendationsResponse(model.Version, strategy, request.Market.Code, request.Locale, results);
    }

    public PopularResponse Popular(ServingModel model, Market market, string locale, string? category, int count)
    {
        var scores = model.Popularity(market.Code, out _);
        var filter = new ItemFilter(model, catalog, market.Code, category, [], [], settings.RepeatPurchaseCategories);
        var reason = PopularReason(model, market.Code);
        var items = Candidates.Top(scores, count, filter)
            .Select(c => new RecommendedItem(c.Item.Id, c.Score, c.Category, Localization.Title(c.Item, locale), reason))
            .ToList();
        return new PopularResponse(model.Version, market.Code, locale, category, items);
    }

    /// <summary>
    /// Cosine of item factors (behaviour: bought together by the same shoppers), blended with the cosine of
    /// content embeddings when the model has them (RECO_SIMILAR_CONTENT_WEIGHT). An item nobody interacted with
    /// has only predicted factors, so its look-alikes come from content alone.
    /// </summary>
    public SimilarItemsResponse Similar(ServingModel model, int item, Market market, string locale, int count)
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
            if (model.UnitEmbeddings is { } embeddings && (settings.SimilarContentWeight > 0 || !model.HasInteractions(item)))
            {
                float w = model.HasInteractions(item) ? settings.SimilarContentWeight : 1f;
                int d = model.Artifacts.EmbeddingDimension;
                var byContent = content.AsSpan(0, n);
                Scoring.ScoreAll(embeddings, d, embeddings.AsSpan(item * d, d), byContent);
                // (1 - w) * behaviour + w * content
                TensorPrimitives.Multiply(span, 1 - w, span);
                TensorPrimitives.MultiplyAdd(byContent, w, span, span);
            }
            span[item] = float.NegativeInfinity;
            var filter = new ItemFilter(model, catalog, market.Code, null, [], [], settings.RepeatPurchaseCategories);
            var reason = new Reason("similar-to", model.Artifacts.ItemIds[item]);
            var items = Candidates.Top(span, count, filter)
                .Select(c => new RecommendedItem(c.Item.Id, c.Score, c.Category, Localization.Title(c.Item, locale), reason))
                .ToList();
            return new SimilarItemsResponse(model.Artifacts.ItemIds[item], model.Version, market.Code, locale, items);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scores);
            ArrayPool<float>.Shared.Return(content);
        }
    }

    private static Reason PopularReason(ServingModel model, string market)
    {
        model.Popularity(market, out bool marketSpecific);
        return marketSpecific ? new Reason("popular-in-market", Market: market) : new Reason("popular-globally");
    }

    private async Task<List<InteractionEvent>> ReadEventsAsync(string user, CancellationToken ct)
    {
        try
        {
            return await store.RecentEvents.ReadRecentAsync(user, DateTimeOffset.MinValue, MaxRecentEvents, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Recommending from the stored model beats failing the storefront's request.
            logger.LogWarning(e, "Reading recent events failed; answering without real-time signal");
            return [];
        }
    }
}
