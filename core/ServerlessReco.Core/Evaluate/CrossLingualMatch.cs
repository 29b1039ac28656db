using ServerlessReco.Rank;

namespace ServerlessReco.Evaluate;

/// <summary>
/// How well an encoder lines up translations: over parallel titles (the same product in several languages),
/// the share of titles whose nearest other title by dot product is the same product in another language.
/// A real multilingual sentence encoder should score near 1; with random weights only shared tokens (numbers, names) line titles up.
/// </summary>
public static class CrossLingualMatch
{
    /// <summary>
    /// Nearest other row of every row of <paramref name="embeddings"/> (rows x <paramref name="dimension"/>,
    /// row-major; normalised rows make the dot product the cosine).
    /// </summary>
    public static int[] NearestNeighbours(ReadOnlySpan<float> embeddings, int dimension)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        int rows = embeddings.Length / dimension;
        var nearest = new int[rows];
        var scores = new float[rows];
        Span<int> index = stackalloc int[1];
        Span<float> score = stackalloc float[1];
        for (int r = 0; r < rows; r++)
        {
            Scoring.ScoreAll(embeddings, dimension, embeddings.Slice(r * dimension, dimension), scores);
            scores[r] = float.NegativeInfinity;
            nearest[r] = TopK.Select(scores, 1, index, score) == 1 ? index[0] : -1;
        }
        return nearest;
    }

    /// <summary>Share of rows whose nearest other row has the same <paramref name="groups"/> value (the product id).</summary>
    public static double Top1Rate(ReadOnlySpan<float> embeddings, int dimension, IReadOnlyList<string> groups)
    {
        int[] nearest = NearestNeighbours(embeddings, dimension);
        if (nearest.Length != groups.Count)
            throw new ArgumentException($"{nearest.Length} embedding rows but {groups.Count} group labels.", nameof(groups));
        if (nearest.Length == 0) return 0;
        int hits = 0;
        for (int r = 0; r < nearest.Length; r++)
            if (nearest[r] >= 0 && groups[nearest[r]] == groups[r]) hits++;
        return (double)hits / nearest.Length;
    }
}
