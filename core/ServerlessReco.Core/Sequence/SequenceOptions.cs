using System.Text.Json.Serialization;

namespace ServerlessReco.Sequence;

/// <summary>
/// Architecture and training hyper-parameters of the self-attentive sequence model (SASRec: Kang &amp; McAuley
/// 2018). The defaults are the reference configuration of issue 15 (2 blocks, hidden 64, max length 50,
/// dropout 0.2, BCE with one sampled negative) and the product's only defaults; a manifest records every value
/// that shapes the weights, so serving rebuilds the same network.
/// </summary>
public sealed record SequenceOptions
{
    [JsonRequired] public int Hidden { get; init; } = 64;
    [JsonRequired] public int Blocks { get; init; } = 2;
    [JsonRequired] public int Heads { get; init; } = 1;
    /// <summary>The most recent events the model reads; older ones are dropped.</summary>
    [JsonRequired] public int MaxLength { get; init; } = 50;
    [JsonRequired] public float Dropout { get; init; } = 0.2f;
    [JsonRequired] public float LearningRate { get; init; } = 1e-3f;
    [JsonRequired] public int BatchSize { get; init; } = 128;
    [JsonRequired] public int MaxEpochs { get; init; } = 40;
    /// <summary>Epochs without a better validation NDCG@10 before training stops and keeps the best weights.</summary>
    [JsonRequired] public int Patience { get; init; } = 3;
    [JsonRequired] public int Seed { get; init; } = 42;

    /// <summary>
    /// Only positions whose next item is new to the sequence are trained (a repeat of an earlier item is input,
    /// never a target): serving filters out what the shopper bought, and the evaluation scores new items only.
    /// Off in the reference configuration; not needed by serving, so older manifests without it read as off.
    /// </summary>
    public bool NewItemTargets { get; init; }

    /// <summary>
    /// 0: binary cross-entropy against one sampled negative per position (the reference). N &gt; 0: sampled softmax
    /// of the next item against N uniform negatives. Training only, so older manifests without it read as 0.
    /// </summary>
    public int SoftmaxNegatives { get; init; }

    /// <summary>
    /// Adds a learned embedding of each input item's catalogue category to its position (issue 15's side input), so
    /// items seen rarely still carry what kind of product they are. It shapes the weights, so it is recorded; older
    /// manifests without it read as off.
    /// </summary>
    public bool Categories { get; init; }

    /// <summary>How the work is spread; results are deterministic for a given value, so it is recorded too.</summary>
    [JsonRequired] public int Threads { get; init; } = Environment.ProcessorCount;

    public void Validate()
    {
        if (Hidden < 1) throw new ArgumentOutOfRangeException(nameof(Hidden), Hidden, "Hidden must be at least 1.");
        if (Heads < 1 || Hidden % Heads != 0)
            throw new ArgumentOutOfRangeException(nameof(Heads), Heads, "Heads must be at least 1 and divide Hidden.");
        if (Blocks < 1) throw new ArgumentOutOfRangeException(nameof(Blocks), Blocks, "Blocks must be at least 1.");
        if (MaxLength < 2) throw new ArgumentOutOfRangeException(nameof(MaxLength), MaxLength, "MaxLength must be at least 2.");
        if (!float.IsFinite(Dropout) || Dropout < 0 || Dropout >= 1)
            throw new ArgumentOutOfRangeException(nameof(Dropout), Dropout, "Dropout must be in [0, 1).");
        if (!float.IsFinite(LearningRate) || LearningRate <= 0)
            throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "LearningRate must be positive.");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "BatchSize must be at least 1.");
        if (MaxEpochs < 1) throw new ArgumentOutOfRangeException(nameof(MaxEpochs), MaxEpochs, "MaxEpochs must be at least 1.");
        if (Patience < 1) throw new ArgumentOutOfRangeException(nameof(Patience), Patience, "Patience must be at least 1.");
        if (SoftmaxNegatives < 0) throw new ArgumentOutOfRangeException(nameof(SoftmaxNegatives), SoftmaxNegatives, "SoftmaxNegatives must be 0 (BCE) or more.");
        if (Threads < 1) throw new ArgumentOutOfRangeException(nameof(Threads), Threads, "Threads must be at least 1.");
    }
}
