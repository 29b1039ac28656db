namespace ServerlessReco.Evaluate;

/// <summary>Metrics of one user's top-k list against that user's held-out items.</summary>
/// <param name="Hit">At least one relevant item is in the top k.</param>
public readonly record struct UserMetrics(double Precision, double Recall, double Ndcg, double AveragePrecision, bool Hit);

/// <summary>
/// Top-k ranking metrics with binary relevance, defined as Microsoft Recommenders defines
/// precision_at_k, recall_at_k, ndcg_at_k and map_at_k, so numbers are comparable with results
/// published with that library.
/// </summary>
public static class RankingMetrics
{
    /// <summary>
    /// Scores one user's recommendation list. Only the first <paramref name="k"/> entries of
    /// <paramref name="ranked"/> count; its items are assumed distinct, as a top-k list's are.
    /// With h hits in the top k, R = |relevant| and hits at 0-based positions p:
    /// <list type="bullet">
    /// <item>Precision = h / k, even when the list is shorter than k: a short list is treated as padded with misses.</item>
    /// <item>Recall = h / R. Not h / min(k, R): recall is then below 1 whenever R &gt; k, as in Microsoft Recommenders.</item>
    /// <item>NDCG = sum over hits of 1 / log2(p + 2), divided by the ideal sum over positions 0 .. min(k, R) - 1.</item>
    /// <item>AP = sum over hits of (hits up to and including p) / (p + 1), divided by min(k, R).</item>
    /// </list>
    /// </summary>
    /// <param name="relevant">The held-out items, strictly increasing (a CSR row) and not empty:
    /// a user with nothing held out has no defined recall and is left out of the averages.</param>
    public static UserMetrics ForUser(ReadOnlySpan<int> ranked, ReadOnlySpan<int> relevant, int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        if (relevant.IsEmpty) throw new ArgumentException("A user needs at least one relevant item to be scored.", nameof(relevant));
        for (int n = 1; n < relevant.Length; n++)
        {
            if (relevant[n] <= relevant[n - 1])
                throw new ArgumentException("relevant must be strictly increasing.", nameof(relevant));
        }

        int length = Math.Min(k, ranked.Length);
        int hits = 0;
        double dcg = 0, precisionSum = 0;
        for (int p = 0; p < length; p++)
        {
            if (relevant.BinarySearch(ranked[p]) < 0) continue;
            hits++;
            dcg += 1.0 / Math.Log2(p + 2);
            precisionSum += (double)hits / (p + 1);
        }

        int idealLength = Math.Min(k, relevant.Length);
        double idealDcg = 0;
        for (int p = 0; p < idealLength; p++) idealDcg += 1.0 / Math.Log2(p + 2);

        return new UserMetrics(
            Precision: (double)hits / k,
            Recall: (double)hits / relevant.Length,
            Ndcg: dcg / idealDcg,
            AveragePrecision: precisionSum / idealLength,
            Hit: hits > 0);
    }

    /// <summary>
    /// Share of the catalogue that appears in at least one list: distinct items in
    /// <paramref name="recommended"/> (every user's top k, concatenated) over <paramref name="items"/>.
    /// </summary>
    public static double CatalogueCoverage(ReadOnlySpan<int> recommended, int items)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(items);
        var seen = new bool[items];
        int distinct = 0;
        foreach (int item in recommended)
        {
            if (seen[item]) continue;
            seen[item] = true;
            distinct++;
        }
        return (double)distinct / items;
    }
}
