using ServerlessReco.Train;

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

    /// <summary>
    /// Intra-list category diversity: the share of pairs of listed items whose categories differ (0: one category,
    /// 1: every item from its own). Items without a category count as a category of their own each. NaN for lists
    /// of fewer than two items, which have no pairs; means skip them.
    /// </summary>
    public static double IntraListDiversity(ReadOnlySpan<int> list, IReadOnlyList<string> categories)
    {
        if (list.Length < 2) return double.NaN;
        int pairs = 0, different = 0;
        for (int a = 0; a < list.Length; a++)
        {
            for (int b = a + 1; b < list.Length; b++)
            {
                pairs++;
                string ca = categories[list[a]], cb = categories[list[b]];
                if (ca.Length == 0 || !string.Equals(ca, cb, StringComparison.OrdinalIgnoreCase)) different++;
            }
        }
        return (double)different / pairs;
    }

    /// <summary>
    /// Novelty: the mean self-information, in bits, of the listed items (see <see cref="SelfInformation"/>): high
    /// when a list shows what few shoppers have found. NaN for an empty list.
    /// </summary>
    public static double Novelty(ReadOnlySpan<int> list, ReadOnlySpan<double> selfInformation)
    {
        if (list.IsEmpty) return double.NaN;
        double sum = 0;
        foreach (int item in list) sum += selfInformation[item];
        return sum / list.Length;
    }

    /// <summary>
    /// Self-information of each item, -log2(n_i / U), where n_i is the number of training users who interacted with
    /// item i (at least 1, so an unseen item is as novel as the rarest seen one) and U the number of users.
    /// </summary>
    public static double[] SelfInformation(CsrMatrix train)
    {
        var users = new int[train.Cols];
        foreach (int item in train.ColumnIndices) users[item]++;
        var result = new double[train.Cols];
        double total = Math.Max(1, train.Rows);
        for (int i = 0; i < result.Length; i++) result[i] = -Math.Log2(Math.Max(1, users[i]) / total);
        return result;
    }
}
