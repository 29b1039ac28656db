using System.Numerics.Tensors;
using ServerlessReco.Sequence;

namespace ServerlessReco.Rank;

/// <summary>
/// The sequence model: the network's state after the shopper's newest item, scored against every item embedding.
/// Explanations name the item of the shopper's recent sequence the newest position attended to most. Nothing for a
/// version without a sequence model or a shopper without items in it; a new event changes the next answer at once.
/// </summary>
public sealed class SequenceScorer : IScorer
{
    public ShopperScores? Score(ServingModel model, ShopperHistory shopper, string? market)
    {
        if (model.Sequence is not { } network || shopper.Sequence.Length == 0) return null;
        var scores = new float[model.ItemCount];
        var attention = Scores(model, network, shopper.Sequence, scores);
        return new DenseScores(Strategy.Sequence, scores, item => Explain(model, shopper, attention, item));
    }

    /// <summary>Writes every item's score; returns the attention over <paramref name="sequence"/>.</summary>
    internal static float[] Scores(ServingModel model, SequenceNetwork<float> network, int[] sequence, Span<float> scores)
    {
        var attention = new float[sequence.Length];
        var state = SequenceEncoder.Encode(network, sequence, attention);
        Scoring.ScoreAll(network.Weights.AsSpan(network.Layout.ItemEmbeddings, model.ItemCount * network.Layout.Hidden), network.Layout.Hidden, state, scores);
        return attention;
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

/// <summary>
/// ALS (trained or folded in) and the sequence model, each standardized over all items (z-scores) so neither
/// scale dominates, then mixed: (1 - w) * ALS + w * sequence. Falls back to whichever of the two has something.
/// </summary>
public sealed class BlendScorer(float sequenceWeight) : IScorer
{
    private readonly SequenceScorer _sequence = new();

    public float SequenceWeight { get; } = sequenceWeight is >= 0 and <= 1 ? sequenceWeight
        : throw new ArgumentOutOfRangeException(nameof(sequenceWeight), sequenceWeight, "The sequence weight is between 0 and 1.");

    public ShopperScores? Score(ServingModel model, ShopperHistory shopper, string? market)
    {
        var user = AlsScorer.UserVector(model, shopper, out var alsStrategy);
        if (user is null) return _sequence.Score(model, shopper, market);
        if (model.Sequence is not { } network || shopper.Sequence.Length == 0) return AlsScorer.For(model, shopper, user, alsStrategy);
        var als = new float[model.ItemCount];
        Scoring.ScoreAll(model.Artifacts.ItemFactors, model.K, user, als);
        var sequence = new float[model.ItemCount];
        var attention = SequenceScorer.Scores(model, network, shopper.Sequence, sequence);
        Standardize(als);
        Standardize(sequence);
        TensorPrimitives.Multiply(als, 1 - SequenceWeight, als);
        TensorPrimitives.MultiplyAdd(sequence, SequenceWeight, als, als);
        return new DenseScores(Strategy.AlsSequence, als, item => SequenceScorer.Explain(model, shopper, attention, item));
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
