using System.Numerics.Tensors;
using ServerlessReco.Sequence;
using ServerlessReco.Train;

namespace ServerlessReco.Rank;

/// <summary>
/// What serving keeps of a version's sequence model, built once at load: the network, its item embeddings in int8
/// for the per-request scan, and for the blend the ALS factors and the embeddings side by side (so a blended score
/// is one dot product, scanned the same way), with each half's mean row and Gram matrix (z-scores in closed form).
/// </summary>
public sealed class SequenceItems
{
    private SequenceItems(SequenceNetwork<float> network, float[] itemFactors, int k)
    {
        Network = network;
        int n = network.Layout.Items, d = network.Layout.Hidden;
        Embeddings = network.Weights.AsSpan(network.Layout.ItemEmbeddings, n * d).ToArray();
        Quantized = QuantizedItemFactors.Build(Embeddings, d);
        Joint = new float[n * (k + d)];
        for (int i = 0; i < n; i++)
        {
            itemFactors.AsSpan(i * k, k).CopyTo(Joint.AsSpan(i * (k + d), k));
            Embeddings.AsSpan(i * d, d).CopyTo(Joint.AsSpan(i * (k + d) + k, d));
        }
        JointQuantized = QuantizedItemFactors.Build(Joint, k + d);
        (AlsMean, AlsGram) = Moments(itemFactors, n, k);
        (SequenceMean, SequenceGram) = Moments(Embeddings, n, d);
    }

    public SequenceNetwork<float> Network { get; }
    public int Hidden => Network.Layout.Hidden;
    /// <summary>items x hidden: the output side of the network (shared with its input).</summary>
    public float[] Embeddings { get; }
    public QuantizedItemFactors Quantized { get; }
    /// <summary>items x (ALS factors + hidden): [y_i, e_i] per row.</summary>
    public float[] Joint { get; }
    public QuantizedItemFactors JointQuantized { get; }
    public float[] AlsMean { get; }
    public float[] AlsGram { get; }
    public float[] SequenceMean { get; }
    public float[] SequenceGram { get; }

    public static SequenceItems Build(SequenceNetwork<float> network, float[] itemFactors, int k) => new(network, itemFactors, k);

    private static (float[] Mean, float[] Gram) Moments(float[] rows, int n, int k)
    {
        var mean = new float[k];
        for (int i = 0; i < n; i++) TensorPrimitives.Add(mean, rows.AsSpan(i * k, k), mean);
        TensorPrimitives.Multiply(mean, 1f / n, mean);
        return (mean, ImplicitAls.Gram(rows, n, k, 0));
    }

    /// <summary>
    /// Mean and standard deviation over all items of item . v, from the mean row and the Gram matrix:
    /// var = v^T (X^T X / n) v - mean^2, so no per-item scores are needed.
    /// </summary>
    internal static (float Mean, float Deviation) Standardization(float[] meanRow, float[] gram, int n, ReadOnlySpan<float> v)
    {
        int k = v.Length;
        double mean = TensorPrimitives.Dot(meanRow, v), second = 0;
        for (int a = 0; a < k; a++) second += v[a] * (double)TensorPrimitives.Dot(gram.AsSpan(a * k, k), v);
        double variance = second / n - mean * mean;
        return ((float)mean, variance > 0 ? (float)Math.Sqrt(variance) : 0f);
    }
}

/// <summary>
/// The sequence model: the network's state after the shopper's newest item, scored against the item embeddings
/// through the int8 scan and exact re-rank (<see cref="QuantizedItemFactors"/>). Explanations name the item of the
/// shopper's recent sequence the newest position attended to most. Nothing for a version without a sequence model
/// or a shopper without items in it; a new event changes the next answer at once.
/// </summary>
public sealed class SequenceScorer : IScorer
{
    public ShopperScores? Score(ServingModel model, ShopperHistory shopper, string? market)
    {
        if (model.Sequence is not { } sequence || shopper.Sequence.Length == 0) return null;
        var attention = new float[shopper.Sequence.Length];
        var state = SequenceEncoder.Encode(sequence.Network, shopper.Sequence, attention);
        return new QueryScores(Strategy.Sequence, sequence.Quantized, sequence.Embeddings, state, 0f, item => Explain(model, shopper, attention, item));
    }

    internal static Reason Explain(ServingModel model, ShopperHistory shopper, float[] attention, int item)
    {
        int best = -1;
        for (int i = 0; i < attention.Length; i++)
            if (shopper.Sequence[i] != item && (best < 0 || attention[i] > attention[best])) best = i;
        if (best < 0) return new Reason("matches-your-taste");
        int recent = shopper.Sequence[best];
        return new Reason(shopper.Bought(model, recent) ? "because-you-bought" : "similar-to-recent", model.Artifacts.ItemIds[recent]);
    }
}

/// <summary>Scores that are one dot product per item (item row . query - offset), ranked by the int8 scan and exact re-rank.</summary>
internal sealed class QueryScores(Strategy strategy, QuantizedItemFactors quantized, float[] rows, float[] query, float offset, Func<int, Reason> explain) : ShopperScores
{
    public override Strategy Strategy => strategy;

    public override List<Candidate> Top(int count, ItemFilter filter)
    {
        var top = Candidates.Top(quantized, rows, query, count, filter);
        if (offset != 0) for (int i = 0; i < top.Count; i++) top[i] = top[i] with { Score = top[i].Score - offset };
        return top;
    }

    public override Reason Explain(int item) => explain(item);
}

/// <summary>
/// ALS (trained or folded in) and the sequence model, each standardized over all items (z-scores) so neither
/// scale dominates, then mixed: (1 - w) * ALS + w * sequence. Both are linear in the item's vectors, so the blend is
/// one dot product of [y_i, e_i] with [(1 - w) u / sd_als, w h / sd_seq], less a constant: the same int8 scan as
/// ALS. Falls back to whichever of the two has something.
/// </summary>
public sealed class BlendScorer(float sequenceWeight) : IScorer
{
    /// <summary>The weight `evaluate --sequence` chose on the Online Retail validation month (tests/benchmarks/sequence.md).</summary>
    public const float DefaultSequenceWeight = 0.5f;

    private readonly SequenceScorer _sequence = new();

    public float SequenceWeight { get; } = sequenceWeight is >= 0 and <= 1 ? sequenceWeight
        : throw new ArgumentOutOfRangeException(nameof(sequenceWeight), sequenceWeight, "The sequence weight is between 0 and 1.");

    public ShopperScores? Score(ServingModel model, ShopperHistory shopper, string? market)
    {
        var user = AlsScorer.UserVector(model, shopper, out var alsStrategy);
        if (user is null) return _sequence.Score(model, shopper, market);
        if (model.Sequence is not { } sequence || shopper.Sequence.Length == 0) return AlsScorer.For(model, shopper, user, alsStrategy);
        var attention = new float[shopper.Sequence.Length];
        var state = SequenceEncoder.Encode(sequence.Network, shopper.Sequence, attention);
        int k = model.K, n = model.ItemCount;
        var (alsMean, alsDeviation) = SequenceItems.Standardization(sequence.AlsMean, sequence.AlsGram, n, user);
        var (seqMean, seqDeviation) = SequenceItems.Standardization(sequence.SequenceMean, sequence.SequenceGram, n, state);
        // A constant score vector has no spread to divide by: it is only centred, as a dense z-score would leave it.
        float alsScale = (1 - SequenceWeight) / (alsDeviation > 0 ? alsDeviation : 1);
        float seqScale = SequenceWeight / (seqDeviation > 0 ? seqDeviation : 1);
        var query = new float[k + sequence.Hidden];
        TensorPrimitives.Multiply(user, alsScale, query.AsSpan(0, k));
        TensorPrimitives.Multiply(state, seqScale, query.AsSpan(k));
        float offset = alsScale * alsMean + seqScale * seqMean;
        return new QueryScores(Strategy.AlsSequence, sequence.JointQuantized, sequence.Joint, query, offset,
            item => SequenceScorer.Explain(model, shopper, attention, item));
    }

    /// <summary>To z-scores in place: mean 0, standard deviation 1 (unchanged when all are equal).</summary>
    internal static void Standardize(Span<float> scores)
    {
        float mean = TensorPrimitives.Average(scores);
        TensorPrimitives.Subtract(scores, mean, scores);
        float deviation = TensorPrimitives.Norm(scores) / MathF.Sqrt(scores.Length);
        if (deviation > 0) TensorPrimitives.Multiply(scores, 1 / deviation, scores);
    }
}
