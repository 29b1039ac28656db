using ServerlessReco.Domain;
using ServerlessReco.Rank;

namespace ServerlessReco.Evaluate;

/// <summary>
/// One method's figures over the test period's orders. <paramref name="CrossCategoryShare"/>: of all hits, the share
/// from a category the shopper had never bought from before the order.
/// </summary>
public sealed record NextOrderResult(string Method, double Ndcg, double Recall, double HitRate, double CrossCategoryShare, int Orders, int Hits);

/// <summary>
/// Next-order evaluation, the offline mirror of real-time serving: every order a shopper (known to the model or
/// not) places after the model was trained is ranked with everything before that order: the model, plus the
/// shopper's earlier events since training, through the same path a request takes (<see cref="ShopperHistory"/>:
/// ALS fold-in, the sequence model's input, purchases excluded). Relevant are the order's items the shopper had
/// not bought before, in the model; an order without one is not scored.
/// </summary>
public static class NextOrderEvaluation
{
    /// <summary>One order: a shopper's purchases at one time (an invoice), with the events before it since training.</summary>
    public sealed record Order(string User, DateTimeOffset Time, string Market, IReadOnlyList<InteractionEvent> Before, IReadOnlyList<string> Items);

    /// <summary>The orders of <paramref name="events"/> (everything after training, any order), oldest first.</summary>
    public static List<Order> Orders(IEnumerable<InteractionEvent> events)
    {
        var orders = new List<Order>();
        foreach (var shopper in events.Where(e => e.User.Length > 0).GroupBy(e => e.User, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var timeline = shopper.OrderBy(e => e.Timestamp).ToList();
            foreach (var order in timeline.Where(e => e.Type == EventType.Purchase).GroupBy(e => e.Timestamp))
            {
                // Newest first, as the events table answers.
                var before = timeline.Where(e => e.Timestamp < order.Key).Reverse().ToList();
                orders.Add(new Order(shopper.Key, order.Key, order.First().Market, before, [.. order.Select(e => e.Item).Distinct(StringComparer.Ordinal)]));
            }
        }
        orders.Sort((a, b) => a.Time != b.Time ? a.Time.CompareTo(b.Time) : string.CompareOrdinal(a.User, b.User));
        return orders;
    }

    /// <summary>Ranks every order with <paramref name="scorers"/> through the served pipeline and scores the top <paramref name="k"/>.</summary>
    public static NextOrderResult Evaluate(string method, ServingModel model, IServingCatalog catalog, IReadOnlyList<Order> orders,
        IReadOnlyList<IScorer> scorers, int k, int threads)
    {
        var pipeline = new RankingPipeline(scorers, new RankingOptions());
        var perOrder = new (bool Scored, UserMetrics Metrics, int Hits, int CrossHits)[orders.Count];
        Parallel.For(0, orders.Count, new ParallelOptions { MaxDegreeOfParallelism = threads }, o =>
        {
            var order = orders[o];
            int row = model.UserIndex.TryGetValue(order.User, out int known) ? known : -1;
            var shopper = ShopperHistory.From(order.Before, model, row, order.Time);
            var relevant = order.Items.Where(id => !shopper.Purchased.Contains(id) && model.ItemIndex.ContainsKey(id))
                .Select(id => model.ItemIndex[id]).Order().ToArray();
            if (relevant.Length == 0) return;
            var ranked = pipeline.Recommend(model, catalog, shopper, new RecommendationRequest
            {
                Market = order.Market == Markets.Unknown ? null : order.Market, Count = k,
            });
            var list = ranked.Items.Select(r => r.Index).ToArray();
            var bought = BoughtCategories(model, catalog, shopper);
            int hits = 0, cross = 0;
            foreach (var r in ranked.Items)
            {
                if (Array.BinarySearch(relevant, r.Index) < 0) continue;
                hits++;
                if (r.Category.Length == 0 || !bought.Contains(r.Category)) cross++;
            }
            perOrder[o] = (true, RankingMetrics.ForUser(list, relevant, k), hits, cross);
        });
        // Summed in order, so the figures do not depend on the thread count.
        double ndcg = 0, recall = 0;
        int scored = 0, hitOrders = 0, allHits = 0, crossHits = 0;
        foreach (var (isScored, metrics, hits, cross) in perOrder)
        {
            if (!isScored) continue;
            scored++;
            ndcg += metrics.Ndcg;
            recall += metrics.Recall;
            if (metrics.Hit) hitOrders++;
            allHits += hits;
            crossHits += cross;
        }
        return scored == 0 ? new NextOrderResult(method, 0, 0, 0, 0, 0, 0)
            : new NextOrderResult(method, ndcg / scored, recall / scored, (double)hitOrders / scored, allHits == 0 ? 0 : (double)crossHits / allHits, scored, allHits);
    }

    /// <summary>The categories of what the shopper bought before the order (the catalogue's, else the model's).</summary>
    private static HashSet<string> BoughtCategories(ServingModel model, IServingCatalog catalog, ShopperHistory shopper)
    {
        var categories = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var id in shopper.Purchased)
        {
            if (catalog.TryGet(id, out var item) && item.Category.Length > 0) categories.Add(item.Category);
            else if (model.ItemIndex.TryGetValue(id, out int index) && model.Categories[index] is { Length: > 0 } c) categories.Add(c);
        }
        return categories;
    }
}
