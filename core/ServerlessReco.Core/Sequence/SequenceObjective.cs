using System.Numerics;
using System.Numerics.Tensors;

namespace ServerlessReco.Sequence;

/// <summary>
/// Binary cross-entropy of the next item against one sampled negative at every position (SASRec's loss), or
/// with SoftmaxNegatives a sampled softmax over the next item and that many negatives:
/// logit = output row . item embedding, with the same embeddings the input reads. The batch is split into one
/// contiguous chunk per thread, each with its own gradient buffer, summed in chunk order: the result is
/// deterministic for a given thread count. Dropout and negatives come from (seed, step, example).
/// </summary>
public sealed class SequenceObjective<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly SequenceNetwork<T> _network;
    private readonly SequenceOptions _options;
    private readonly T[][] _buffers;

    public SequenceObjective(SequenceNetwork<T> network, SequenceOptions options)
    {
        _network = network;
        _options = options;
        _buffers = new T[options.Threads][];
    }

    /// <summary>
    /// Mean loss over every predicted position of <paramref name="batch"/> (each an item sequence, oldest first,
    /// 2 to MaxLength + 1 items: every item but the first is a target), and its gradient, written to
    /// <paramref name="gradient"/>.
    /// </summary>
    public T LossAndGradient(IReadOnlyList<int[]> batch, long step, Span<T> gradient, CancellationToken ct = default)
    {
        long targets = 0;
        foreach (var sequence in batch)
            for (int t = 0; t < sequence.Length - 1; t++)
                if (IsTarget(sequence, t)) targets++;
        if (targets == 0)
        {
            // Every next item repeats an earlier one (NewItemTargets): nothing to learn from this batch.
            if (_options.NewItemTargets && batch.Any(s => s.Length >= 2)) { gradient.Clear(); return T.Zero; }
            throw new ArgumentException("A batch needs at least one sequence of two items.", nameof(batch));
        }
        T weight = T.One / T.CreateChecked(targets);
        int chunks = Math.Min(_options.Threads, batch.Count);
        var losses = new T[chunks];
        Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = chunks, CancellationToken = ct }, c =>
        {
            var buffer = _buffers[c] ??= new T[_network.Layout.Size];
            Array.Clear(buffer);
            T loss = T.Zero;
            for (int e = batch.Count * c / chunks; e < batch.Count * (c + 1) / chunks; e++)
                loss += Example(batch[e], SplitMix.For(_options.Seed, step, e), weight, buffer);
            losses[c] = loss;
        });
        gradient.Clear();
        T total = T.Zero;
        for (int c = 0; c < chunks; c++)
        {
            TensorPrimitives.Add(gradient, _buffers[c], gradient);
            total += losses[c];
        }
        return total;
    }

    private T Example(int[] sequence, SplitMix rng, T weight, T[] gradient)
    {
        var layout = _network.Layout;
        int d = layout.Hidden, m = sequence.Length - 1;
        if (m < 1 || m > layout.MaxLength)
            throw new ArgumentException($"A training sequence has 2 to {layout.MaxLength + 1} items.", nameof(sequence));
        var trace = _network.Forward(sequence.AsSpan(0, m), T.CreateChecked(_options.Dropout), ref rng, train: true);
        var dOutput = new T[m * d];
        T loss = T.Zero;
        for (int t = 0; t < m; t++)
        {
            if (!IsTarget(sequence, t)) continue;
            int positive = sequence[t + 1];
            var output = trace.Output.AsSpan(t * d, d);
            var dRow = dOutput.AsSpan(t * d, d);
            if (_options.SoftmaxNegatives > 0)
            {
                loss += SampledSoftmax(sequence, positive, output, dRow, weight, ref rng, gradient);
                continue;
            }
            int negative = Negative(sequence, layout.Items, ref rng);
            T lp = TensorPrimitives.Dot(output, _network.ItemEmbedding(positive));
            T ln = TensorPrimitives.Dot(output, _network.ItemEmbedding(negative));
            loss += weight * (Softplus(-lp) + Softplus(ln));
            T gp = weight * (Sigmoid(lp) - T.One), gn = weight * Sigmoid(ln);
            TensorPrimitives.MultiplyAdd(_network.ItemEmbedding(positive), gp, dRow, dRow);
            TensorPrimitives.MultiplyAdd(_network.ItemEmbedding(negative), gn, dRow, dRow);
            var ep = gradient.AsSpan(layout.ItemEmbeddings + positive * d, d);
            TensorPrimitives.MultiplyAdd(output, gp, ep, ep);
            var en = gradient.AsSpan(layout.ItemEmbeddings + negative * d, d);
            TensorPrimitives.MultiplyAdd(output, gn, en, en);
        }
        _network.Backward(trace, dOutput, gradient);
        return loss;
    }

    /// <summary>
    /// Cross-entropy of the positive against SoftmaxNegatives uniform negatives (sampled softmax, no correction for
    /// the sampling): logits l_0 (positive) .. l_N, loss -l_0 + log sum exp l_j, d loss / d l_j = p_j - [j = 0].
    /// </summary>
    private T SampledSoftmax(int[] sequence, int positive, ReadOnlySpan<T> output, Span<T> dRow, T weight, ref SplitMix rng, T[] gradient)
    {
        var layout = _network.Layout;
        int d = layout.Hidden, n = _options.SoftmaxNegatives + 1;
        Span<int> items = n <= 256 ? stackalloc int[n] : new int[n];
        var logits = new T[n];
        items[0] = positive;
        for (int j = 1; j < n; j++) items[j] = Negative(sequence, layout.Items, ref rng);
        for (int j = 0; j < n; j++) logits[j] = TensorPrimitives.Dot(output, _network.ItemEmbedding(items[j]));
        T max = TensorPrimitives.Max<T>(logits), sum = T.Zero;
        for (int j = 0; j < n; j++) sum += T.Exp(logits[j] - max);
        T loss = weight * (T.Log(sum) - (logits[0] - max));
        for (int j = 0; j < n; j++)
        {
            T g = weight * (T.Exp(logits[j] - max) / sum - (j == 0 ? T.One : T.Zero));
            TensorPrimitives.MultiplyAdd(_network.ItemEmbedding(items[j]), g, dRow, dRow);
            var e = gradient.AsSpan(layout.ItemEmbeddings + items[j] * d, d);
            TensorPrimitives.MultiplyAdd(output, g, e, e);
        }
        return loss;
    }

    /// <summary>Whether the item after position t is trained: always, or with NewItemTargets only when it is new to the sequence.</summary>
    private bool IsTarget(int[] sequence, int t) => !_options.NewItemTargets || Array.IndexOf(sequence, sequence[t + 1], 0, t + 1) < 0;

    /// <summary>A uniform item outside the sequence; after a few tries (tiny catalogs) any item will do.</summary>
    private static int Negative(int[] sequence, int items, ref SplitMix rng)
    {
        int candidate = rng.Next(items);
        for (int tries = 0; tries < 8 && Array.IndexOf(sequence, candidate) >= 0; tries++) candidate = rng.Next(items);
        return candidate;
    }

    private static T Sigmoid(T x) => T.One / (T.One + T.Exp(-x));

    private static T Softplus(T x) => x > T.Zero ? x + T.Log(T.One + T.Exp(-x)) : T.Log(T.One + T.Exp(x));
}
