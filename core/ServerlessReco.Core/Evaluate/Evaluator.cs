using ServerlessReco.Rank;
using ServerlessReco.Train;

namespace ServerlessReco.Evaluate;

/// <summary>NDCG@k over the evaluated users of one market.</summary>
public sealed record MarketResult(string Market, int Users, double Ndcg);

/// <summary>
/// Means over the evaluated users (see <see cref="RankingMetrics.ForUser"/>) plus beyond-accuracy figures:
/// catalogue coverage, intra-list category diversity and novelty (see <see cref="RankingMetrics"/>), and NDCG
/// per market for the largest markets. Diversity, novelty and markets are 0 / empty without an
/// <see cref="EvaluationContext"/>.
/// </summary>
public sealed record EvaluationResult(
    double Precision,
    double Recall,
    double Ndcg,
    double Map,
    double HitRate,
    double Coverage,
    int UsersEvaluated,
    double Diversity = 0,
    double Novelty = 0,
    IReadOnlyList<MarketResult>? Markets = null);

/// <summary>What beyond-accuracy figures need besides the lists: each item's category and self-information, each user's market.</summary>
/// <param name="UserMarket">Index into <paramref name="Markets"/> per user; index 0 is "no known market" and gets no row.</param>
public sealed record EvaluationContext(IReadOnlyList<string> ItemCategories, double[] ItemSelfInformation, int[] UserMarket, string[] Markets)
{
    public static EvaluationContext From(TrainingData train, IReadOnlyList<string> itemCategories) =>
        new(itemCategories, RankingMetrics.SelfInformation(train.UserItems), train.UserMarket, train.Markets);
}

/// <summary>Writes one user's recommendation list (item indices, best first) into <paramref name="list"/>; returns its length.</summary>
public delegate int UserRanker(int user, Span<int> list);

/// <summary>
/// Full-ranking offline protocol: every item is scored for every user with held-out items, the
/// user's training items are removed from the ranking, and the top k is compared with the test row.
/// Sampled-negative protocols are deliberately not offered: they inflate metrics and can reorder
/// models (Krichene and Rendle, "On Sampled Metrics for Item Recommendation", 2020).
/// </summary>
public static class Evaluator
{
    /// <summary>How many markets get their own NDCG row: the ones with enough test users to say something.</summary>
    public const int LargestMarkets = 10;

    /// <param name="train">users x items; any stored entry marks an item the user already has, whatever its value.</param>
    /// <param name="test">users x items with the same shape; rows must have strictly increasing
    /// columns (as <see cref="CsrMatrix.FromCoordinates"/> builds them). An item in both train and
    /// test for the same user can never be hit, so splits should keep them apart.</param>
    /// <param name="threads">Worker count. Results do not depend on it: each user is ranked on its
    /// own and the means are summed in user order afterwards.</param>
    public static EvaluationResult Evaluate(CsrMatrix train, CsrMatrix test, UserScorer scorer, int k, int threads, EvaluationContext? context = null)
    {
        ArgumentNullException.ThrowIfNull(scorer);
        int items = train.Cols;
        // One score buffer per thread: the ranker is called for many users at once.
        var buffers = new ThreadLocal<(float[] Scores, float[] Top)>(() => (new float[items], new float[k]));
        try
        {
            return Evaluate(train, test, (user, list) =>
            {
                var (scores, top) = buffers.Value;
                // Cleared so a scorer that skips items cannot leak the previous user's scores.
                Array.Clear(scores);
                scorer(user, scores);
                foreach (int seen in train.RowIndices(user)) scores[seen] = float.NegativeInfinity;
                return TopK.Select(scores, list.Length, list, top);
            }, k, threads, context);
        }
        finally
        {
            buffers.Dispose();
        }
    }

    /// <summary>
    /// As the scorer overload, for a ranker that makes its own lists (the served pipeline with its filters and
    /// re-ranking): whatever it lists counts, training items included, exactly as a shopper would see it.
    /// </summary>
    public static EvaluationResult Evaluate(CsrMatrix train, CsrMatrix test, UserRanker ranker, int k, int threads, EvaluationContext? context = null)
    {
        ArgumentNullException.ThrowIfNull(ranker);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threads);
        if (train.Rows != test.Rows || train.Cols != test.Cols)
            throw new ArgumentException($"train is {train.Rows}x{train.Cols} but test is {test.Rows}x{test.Cols}.", nameof(test));

        int items = train.Cols;
        var users = new List<int>();
        for (int u = 0; u < test.Rows; u++)
        {
            if (test.RowLength(u) > 0) users.Add(u);
        }
        // Nothing held out means nothing measured; zeros with UsersEvaluated = 0 say so without a NaN.
        if (users.Count == 0) return new EvaluationResult(0, 0, 0, 0, 0, 0, 0);

        var perUser = new UserMetrics[users.Count];
        var lists = new int[users.Count * k];
        var listLengths = new int[users.Count];
        Parallel.For(0, users.Count, new ParallelOptions { MaxDegreeOfParallelism = threads }, slot =>
        {
            int user = users[slot];
            var list = lists.AsSpan(slot * k, k);
            int length = Math.Min(k, ranker(user, list));
            listLengths[slot] = length;
            perUser[slot] = RankingMetrics.ForUser(list[..length], test.RowIndices(user), k);
        });

        // Summed in user order, not per thread, so the totals are bit-identical for any thread count.
        double precision = 0, recall = 0, ndcg = 0, map = 0, diversity = 0, novelty = 0;
        int hits = 0, recommendedCount = 0, diverseLists = 0, novelLists = 0;
        // Lists shorter than k leave unused slots in lists, so the real entries are packed first.
        var recommended = new int[lists.Length];
        for (int slot = 0; slot < perUser.Length; slot++)
        {
            var m = perUser[slot];
            precision += m.Precision;
            recall += m.Recall;
            ndcg += m.Ndcg;
            map += m.AveragePrecision;
            if (m.Hit) hits++;
            var list = lists.AsSpan(slot * k, listLengths[slot]);
            list.CopyTo(recommended.AsSpan(recommendedCount));
            recommendedCount += list.Length;
            if (context is null) continue;
            if (RankingMetrics.IntraListDiversity(list, context.ItemCategories) is var d && !double.IsNaN(d)) { diversity += d; diverseLists++; }
            if (RankingMetrics.Novelty(list, context.ItemSelfInformation) is var v && !double.IsNaN(v)) { novelty += v; novelLists++; }
        }

        double n = perUser.Length;
        return new EvaluationResult(
            Precision: precision / n,
            Recall: recall / n,
            Ndcg: ndcg / n,
            Map: map / n,
            HitRate: hits / n,
            Coverage: RankingMetrics.CatalogueCoverage(recommended.AsSpan(0, recommendedCount), items),
            UsersEvaluated: perUser.Length,
            Diversity: diverseLists > 0 ? diversity / diverseLists : 0,
            Novelty: novelLists > 0 ? novelty / novelLists : 0,
            Markets: context is null ? null : ByMarket(users, perUser, context));
    }

    /// <summary>NDCG per market for the largest markets by evaluated users, largest first (ties: market code).</summary>
    private static List<MarketResult> ByMarket(List<int> users, UserMetrics[] perUser, EvaluationContext context)
    {
        var count = new int[context.Markets.Length];
        var sum = new double[context.Markets.Length];
        for (int slot = 0; slot < users.Count; slot++)
        {
            int market = context.UserMarket[users[slot]];
            count[market]++;
            sum[market] += perUser[slot].Ndcg;
        }
        return Enumerable.Range(1, context.Markets.Length - 1)
            .Where(m => count[m] > 0)
            .OrderByDescending(m => count[m]).ThenBy(m => context.Markets[m], StringComparer.Ordinal)
            .Take(LargestMarkets)
            .Select(m => new MarketResult(context.Markets[m], count[m], sum[m] / count[m]))
            .ToList();
    }
}
