using System.Numerics.Tensors;

namespace ServerlessReco.Sequence;

/// <summary>
/// Inference with the sequence network, as serving and validation run it: dropout off, the state after the newest
/// item scored against every item embedding, and which earlier items the newest position attended to.
/// </summary>
public static class SequenceEncoder
{
    /// <summary>The state that predicts the next item after <paramref name="items"/> (oldest first; the last MaxLength are read).</summary>
    public static float[] Encode(SequenceNetwork<float> network, ReadOnlySpan<int> items, Span<float> attention = default)
    {
        if (items.Length > network.Layout.MaxLength) items = items[^network.Layout.MaxLength..];
        var rng = default(SplitMix);
        var trace = network.Forward(items, 0f, ref rng, train: false);
        int d = network.Layout.Hidden, m = trace.Length;
        if (!attention.IsEmpty)
        {
            // The last block's weights for the newest position, averaged over heads.
            var last = trace.Block[^1];
            attention.Slice(0, m).Clear();
            int heads = network.Layout.Heads;
            for (int h = 0; h < heads; h++)
                TensorPrimitives.MultiplyAdd(last.P.AsSpan((h * m + m - 1) * m, m), 1f / heads, attention.Slice(0, m), attention.Slice(0, m));
        }
        return trace.Output.AsSpan((m - 1) * d, d).ToArray();
    }

    /// <summary>
    /// The same state in any number type, from the very forward pass training runs (dropout off): the reference a
    /// parity check holds serving's float answers to.
    /// </summary>
    public static T[] State<T>(SequenceNetwork<T> network, ReadOnlySpan<int> items) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (items.Length > network.Layout.MaxLength) items = items[^network.Layout.MaxLength..];
        var rng = default(SplitMix);
        var trace = network.Forward(items, T.Zero, ref rng, train: false);
        int d = network.Layout.Hidden;
        return trace.Output.AsSpan((trace.Length - 1) * d, d).ToArray();
    }

    public static void ScoreAll(SequenceNetwork<float> network, ReadOnlySpan<int> items, Span<float> scores)
    {
        var state = Encode(network, items);
        var embeddings = network.Weights.AsSpan(network.Layout.ItemEmbeddings, network.Layout.Items * network.Layout.Hidden);
        Rank.Scoring.ScoreAll(embeddings, network.Layout.Hidden, state, scores);
    }
}
