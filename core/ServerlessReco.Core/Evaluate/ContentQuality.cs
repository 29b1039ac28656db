using ServerlessReco.Train;

namespace ServerlessReco.Evaluate;

/// <summary>
/// The parts of the content-quality figures (`evaluate --model`) that are not the ranking itself: what counts as
/// related for similar items, and the two references new-item ranking is compared with. The lists are scored by
/// <see cref="Evaluator"/> like any other.
/// </summary>
public static class ContentQuality
{
    /// <summary>
    /// items x items, binary: column j is in row i when at least one shopper of <paramref name="purchases"/>
    /// (shoppers x items) bought both i and j, i != j. Row i is what a good "similar to i" list should hold.
    /// </summary>
    public static CsrMatrix CoBought(CsrMatrix purchases)
    {
        ArgumentNullException.ThrowIfNull(purchases);
        var byItem = purchases.Transpose();
        int items = purchases.Cols;
        // Stamped with the row being built, so the marks never need clearing.
        var seenFor = new int[items];
        Array.Fill(seenFor, -1);
        var rowPointers = new int[items + 1];
        var columns = new List<int>();
        var row = new List<int>();
        for (int i = 0; i < items; i++)
        {
            row.Clear();
            foreach (int shopper in byItem.RowIndices(i))
            {
                foreach (int j in purchases.RowIndices(shopper))
                {
                    if (j == i || seenFor[j] == i) continue;
                    seenFor[j] = i;
                    row.Add(j);
                }
            }
            row.Sort();
            columns.AddRange(row);
            rowPointers[i + 1] = columns.Count;
        }
        var values = new float[columns.Count];
        Array.Fill(values, 1f);
        return new CsrMatrix(items, items, rowPointers, [.. columns], values);
    }

    /// <summary>
    /// Scores each new item by how many other shoppers of <paramref name="bought"/> (shoppers x new items) bought
    /// it: the shopper's own purchase is left out, or the reference would be told the answer. It uses the test
    /// period itself, so it is an optimistic reference (what a shop knows once a new item has sold for a while),
    /// not a method available on the day an item is listed.
    /// </summary>
    public static UserScorer NewItemPopularity(CsrMatrix bought)
    {
        ArgumentNullException.ThrowIfNull(bought);
        var buyers = new float[bought.Cols];
        foreach (int item in bought.ColumnIndices) buyers[item]++;
        return (shopper, scores) =>
        {
            buyers.CopyTo(scores);
            foreach (int item in bought.RowIndices(shopper)) scores[item]--;
        };
    }

    /// <summary>A uniformly random order per shopper, reproducible from <paramref name="seed"/>: the floor any signal must beat.</summary>
    public static UserScorer Random(int seed) => (shopper, scores) =>
    {
        // Not HashCode.Combine: it is randomised per process, and the figure must repeat from run to run.
        var random = new Random(unchecked(seed * 1_000_003 + shopper));
        for (int i = 0; i < scores.Length; i++) scores[i] = random.NextSingle();
    };
}
