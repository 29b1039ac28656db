using ServerlessReco.Train;

namespace ServerlessReco.Evaluate;

/// <summary>Means over the evaluated users (see <see cref="RankingMetrics.ForUser"/>) plus catalogue coverage.</summary>
public sealed record EvaluationResult(
    double Precision,
    double Recall,
    double Ndcg,
    double Map,
    double HitRate,
    double Coverage,
    int UsersEvaluated);

/// <summary>
/// Full-ranking offline protocol: every item is scored for every user with held-out items, the
/// user's training items are removed from the ranking, and the top k is compared with the test row.
/// Sampled-negative protocols are deliberately not offered: they inflate metrics and can reorder
/// models (Krichene and Rendle, "On Sampled Metrics for Item Recommendation", 2020).
/// </summary>
public static class Evaluator
{
    /// <param name="train">users x items; any stored entry marks an item the user already has, whatever its value.</param>
    /// <param name="test">users x items with the same shape; rows must have strictly increasing
    /// columns (as <see cref="CsrMatrix.FromCoordinates"/> builds them). An item in both train and
    /// test for the same user can never be hit, so splits should keep them apart.</param>
    /// <param name="threads">Worker count. Results do not depend on it: each user is ranked on its
    /// own and the means are summed in user order afterwards.</param>
    public static EvaluationResult Evaluate(CsrMatrix train, CsrMatrix test, UserScorer scorer, int k, int threads)
    {
        ArgumentNullException.ThrowIfNull(scorer);
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
        Parallel.For(
            0, users.Count,
            new ParallelOptions { MaxDegreeOfParallelism = threads },
            () => new float[items],
            (slot, _, scores) =>
            {
                int user = users[slot];
                // Cleared so a scorer that skips items cannot leak the previous user's scores.
                Array.Clear(scores);
                scorer(user, scores);
                foreach (int seen in train.RowIndices(user)) scores[seen] = float.NegativeInfinity;
                var list = lists.AsSpan(slot * k, k);
                int length = Ranking.TopIndices(scores, list);
                listLengths[slot] = length;
                perUser[slot] = RankingMetrics.ForUser(list[..length], test.RowIndices(user), k);
                return scores;
            },
            _ => { });

        // Summed in user order, not per thread, so the totals are bit-identical for any thread count.
        double precision = 0, recall = 0, ndcg = 0, map = 0;
        int hits = 0, recommendedCount = 0;
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
            lists.AsSpan(slot * k, listLengths[slot]).CopyTo(recommended.AsSpan(recommendedCount));
            recommendedCount += listLengths[slot];
        }

        double n = perUser.Length;
        return new EvaluationResult(
            Precision: precision / n,
            Recall: recall / n,
            Ndcg: ndcg / n,
            Map: map / n,
            HitRate: hits / n,
            Coverage: RankingMetrics.CatalogueCoverage(recommended.AsSpan(0, recommendedCount), items),
            UsersEvaluated: perUser.Length);
    }
}
