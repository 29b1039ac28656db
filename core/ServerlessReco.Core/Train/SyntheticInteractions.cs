namespace ServerlessReco.Train;

/// <summary>
/// Random implicit-feedback matrices shaped like real logs (e.g. MovieLens 20M at 4+ stars), for
/// benchmarks and tests: Zipf item popularity (exponent 1) and log-normal user activity.
/// </summary>
public static class SyntheticInteractions
{
    private const int BlockUsers = 1024;
    // MovieLens user activity has a mean about twice its median, which puts sigma near 1.2.
    private const double ActivitySigma = 1.2;

    /// <summary>
    /// users x items matrix with about <paramref name="targetNonZeros"/> distinct entries valued 1..5.
    /// Deterministic for a seed, whatever the machine's core count.
    /// </summary>
    public static CsrMatrix Generate(int users, int items, long targetNonZeros, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(users, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(items, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(targetNonZeros);
        // Rejection sampling of distinct items slows down as a row fills, so no user takes more than a quarter.
        int maxPerUser = Math.Max(1, items / 4);
        if (targetNonZeros > (long)users * maxPerUser)
            throw new ArgumentOutOfRangeException(nameof(targetNonZeros), targetNonZeros,
                $"At most {(long)users * maxPerUser} non-zeros fit {users} users with {maxPerUser} items each.");

        var rowPointers = RowPointers(users, targetNonZeros, maxPerUser, seed);
        var (cumulative, itemOfRank) = Popularity(items, seed);
        var columns = new int[rowPointers[users]];
        var values = new float[columns.Length];

        Parallel.For(0, Parallelism.BlockCount(users, BlockUsers), () => new int[items], (block, _, lastUserOfItem) =>
        {
            var random = new Random(ImplicitAls.MixSeed(seed, 3, block));
            int end = Math.Min(users, (block + 1) * BlockUsers);
            for (int u = block * BlockUsers; u < end; u++)
            {
                int start = rowPointers[u], count = rowPointers[u + 1] - start;
                // Marking with u + 1 makes the per-worker array reusable without clearing it per user.
                for (int n = 0; n < count;)
                {
                    int item = itemOfRank[SampleRank(cumulative, random.NextDouble())];
                    if (lastUserOfItem[item] == u + 1) continue;
                    lastUserOfItem[item] = u + 1;
                    columns[start + n] = item;
                    values[start + n] = 1 + random.Next(5);
                    n++;
                }
                Array.Sort(columns, values, start, count);
            }
            return lastUserOfItem;
        }, _ => { });

        return new CsrMatrix(users, items, rowPointers, columns, values);
    }

    private static int[] RowPointers(int users, long target, int maxPerUser, int seed)
    {
        var weights = new double[users];
        var random = new Random(ImplicitAls.MixSeed(seed, 1, 0));
        for (int u = 0; u < users; u++)
        {
            // Box-Muller; 1 - NextDouble() keeps the logarithm's argument in (0, 1].
            double z = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
            weights[u] = Math.Exp(ActivitySigma * z);
        }

        // Clamping to [1, maxPerUser] moves the total, so rescale until the rounded counts hit the target.
        double weightSum = 0;
        foreach (double w in weights) weightSum += w;
        double scale = target / weightSum;
        var counts = new int[users];
        for (int attempt = 0; attempt < 20; attempt++)
        {
            long total = 0;
            for (int u = 0; u < users; u++)
            {
                counts[u] = (int)Math.Clamp(Math.Round(weights[u] * scale), 1, maxPerUser);
                total += counts[u];
            }
            if (Math.Abs(total - target) <= target / 1000) break;
            scale *= (double)target / total;
        }

        var pointers = new int[users + 1];
        for (int u = 0; u < users; u++)
            pointers[u + 1] = checked(pointers[u] + counts[u]);
        return pointers;
    }

    /// <summary>
    /// Cumulative Zipf weights over popularity ranks, and a random rank-to-item map so popular items are
    /// spread over the id range as in real catalogues rather than packed at the low ids.
    /// </summary>
    private static (double[] Cumulative, int[] ItemOfRank) Popularity(int items, int seed)
    {
        var cumulative = new double[items];
        double sum = 0;
        for (int rank = 0; rank < items; rank++)
        {
            sum += 1.0 / (rank + 1);
            cumulative[rank] = sum;
        }
        for (int rank = 0; rank < items; rank++) cumulative[rank] /= sum;

        var itemOfRank = new int[items];
        for (int i = 0; i < items; i++) itemOfRank[i] = i;
        new Random(ImplicitAls.MixSeed(seed, 2, 0)).Shuffle(itemOfRank);
        return (cumulative, itemOfRank);
    }

    private static int SampleRank(double[] cumulative, double u)
    {
        int index = Array.BinarySearch(cumulative, u);
        return Math.Min(index >= 0 ? index : ~index, cumulative.Length - 1);
    }
}
