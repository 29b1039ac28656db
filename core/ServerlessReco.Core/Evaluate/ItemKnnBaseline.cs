using ServerlessReco.Rank;
using ServerlessReco.Train;

namespace ServerlessReco.Evaluate;

/// <summary>
/// Item-based nearest neighbours on binarised interactions: each item keeps its most cosine-similar
/// items, and a user's score for item j is the sum of sim(i, j) over the items i the user has whose
/// kept neighbours include j. Binarised because purchase quantities are heavy-tailed and would let
/// wholesale orders dominate the similarities. A well-tuned item-kNN is a strong baseline for
/// implicit feedback (Dacrema et al., "Are We Really Making Much Progress?", 2019).
/// </summary>
public sealed class ItemKnnBaseline
{
    private readonly CsrMatrix _train;

    /// <param name="train">users x items; any stored entry counts as one interaction. Rows are
    /// expected to hold each item once, as <see cref="CsrMatrix.FromCoordinates"/> builds them.</param>
    /// <param name="neighbours">Similar items kept per item; fewer kept means faster scoring and less noise from weak co-occurrences.</param>
    /// <param name="shrink">Added to the cosine denominator: sim(i, j) = |U_i ∩ U_j| / (sqrt(|U_i|) sqrt(|U_j|) + shrink),
    /// which discounts similarities resting on few users.</param>
    public ItemKnnBaseline(CsrMatrix train, int neighbours = 100, float shrink = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(neighbours);
        ArgumentOutOfRangeException.ThrowIfNegative(shrink);

        int items = train.Cols;
        var itemUsers = train.Transpose();
        var norms = new float[items];
        for (int i = 0; i < items; i++) norms[i] = MathF.Sqrt(itemUsers.RowLength(i));

        // Fixed-width blocks per item so items can be filled in parallel without coordination;
        // compacted into CSR afterwards.
        int width = Math.Min(neighbours, Math.Max(items - 1, 0));
        var blockItems = new int[items * width];
        var blockSims = new float[items * width];
        var kept = new int[items];
        Parallel.For(
            0, items,
            () => (coCounts: new float[items], touched: new int[items]),
            (i, _, scratch) =>
            {
                var (coCounts, touched) = scratch;
                int touchedCount = 0;
                foreach (int u in itemUsers.RowIndices(i))
                {
                    foreach (int j in train.RowIndices(u))
                    {
                        if (coCounts[j] == 0) touched[touchedCount++] = j;
                        coCounts[j]++;
                    }
                }

                // Each co-count becomes the similarity in place, and i itself is ruled out.
                var candidates = touched.AsSpan(0, touchedCount);
                foreach (int j in candidates)
                    coCounts[j] = j == i ? float.NegativeInfinity : coCounts[j] / (norms[i] * norms[j] + shrink);

                kept[i] = TopK.SelectAmong(coCounts, candidates, width, blockItems.AsSpan(i * width, width), blockSims.AsSpan(i * width, width));

                foreach (int j in candidates) coCounts[j] = 0;
                return scratch;
            },
            _ => { });

        var pointers = new int[items + 1];
        for (int i = 0; i < items; i++) pointers[i + 1] = pointers[i] + kept[i];
        var columns = new int[pointers[items]];
        var values = new float[pointers[items]];
        for (int i = 0; i < items; i++)
        {
            Array.Copy(blockItems, i * width, columns, pointers[i], kept[i]);
            Array.Copy(blockSims, i * width, values, pointers[i], kept[i]);
            // Sorted columns, the layout every other CsrMatrix in the project has.
            Array.Sort(columns, values, pointers[i], kept[i]);
        }
        Similarity = new CsrMatrix(items, items, pointers, columns, values);
        _train = train;
    }

    /// <summary>items x items: row i holds the kept neighbours of item i and their cosine similarities.</summary>
    public CsrMatrix Similarity { get; }

    /// <summary>Fills scores (one per item) for <paramref name="user"/>; usable as a <see cref="UserScorer"/>.</summary>
    public void Score(int user, Span<float> scores)
    {
        scores.Clear();
        foreach (int i in _train.RowIndices(user))
        {
            var neighbours = Similarity.RowIndices(i);
            var sims = Similarity.RowValues(i);
            for (int n = 0; n < neighbours.Length; n++) scores[neighbours[n]] += sims[n];
        }
    }
}
