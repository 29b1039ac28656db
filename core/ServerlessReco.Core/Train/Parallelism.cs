namespace ServerlessReco.Train;

/// <summary>
/// Row partitioning shared by the training kernels. Block boundaries depend only on the data (never on
/// scheduling), and every reduction sums per-block partials in block order, so results are reproducible.
/// </summary>
internal static class Parallelism
{
    public static ParallelOptions Options(int threads, CancellationToken ct) =>
        new() { MaxDegreeOfParallelism = threads, CancellationToken = ct };

    public static int BlockCount(int rows, int blockRows) => (rows + blockRows - 1) / blockRows;

    /// <summary>
    /// Splits rows into about <paramref name="blocks"/> contiguous ranges of similar cost, where a row
    /// costs its non-zeros plus <paramref name="rowOverhead"/>; popular items would otherwise leave one
    /// thread working alone at the end of a pass.
    /// </summary>
    public static int[] BalancedBoundaries(int[] rowPointers, int rows, long rowOverhead, int blocks)
    {
        long total = rowPointers[rows] + rowOverhead * rows;
        var bounds = new List<int>(blocks + 1) { 0 };
        for (int b = 1; b < blocks; b++)
        {
            long target = total * b / blocks;
            // Cost up to row r is rowPointers[r] + overhead * r, which is monotone in r: binary search it.
            int lo = bounds[^1], hi = rows;
            while (lo < hi)
            {
                int mid = (lo + hi) >>> 1;
                if (rowPointers[mid] + rowOverhead * mid < target) lo = mid + 1; else hi = mid;
            }
            if (lo > bounds[^1]) bounds.Add(lo);
        }
        if (bounds[^1] != rows) bounds.Add(rows);
        return bounds.ToArray();
    }
}
