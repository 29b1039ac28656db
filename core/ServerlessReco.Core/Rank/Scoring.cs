using System.Numerics.Tensors;

namespace ServerlessReco.Rank;

public static class Scoring
{
    /// <summary>scores[j] = item_j . user for every row of the row-major items x k matrix; allocation-free.</summary>
    public static void ScoreAll(ReadOnlySpan<float> itemFactors, int k, ReadOnlySpan<float> userVector, Span<float> scores)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        if (userVector.Length != k)
            throw new ArgumentException($"User vector must have {k} entries.", nameof(userVector));
        if (itemFactors.Length % k != 0)
            throw new ArgumentException($"Item factors length {itemFactors.Length} is not a multiple of {k}.", nameof(itemFactors));
        int items = itemFactors.Length / k;
        if (scores.Length < items)
            throw new ArgumentException($"scores needs {items} entries.", nameof(scores));
        for (int j = 0; j < items; j++) scores[j] = TensorPrimitives.Dot(itemFactors.Slice(j * k, k), userVector);
    }
}
