using ServerlessReco.Evaluate;
using ServerlessReco.Train;

namespace ServerlessReco.Publish;

/// <summary>One method's figures in an offline evaluation (served pipeline, baselines, content methods).</summary>
public sealed record EvaluatedMethod(string Method, EvaluationResult Metrics);

/// <summary>
/// What `evaluate` measured for a set of training parameters: full-ranking metrics per method (NDCG per market
/// inside each), and with an encoder the content figures (new items ranked among themselves, similar items).
/// `evaluate` stores its latest one (models/evaluation.json); `train` copies it into the manifest of a version
/// trained with exactly these parameters, so a version's offline figures travel with it.
/// </summary>
public sealed record OfflineEvaluation
{
    public required DateTimeOffset EvaluatedAt { get; init; }
    public required string Split { get; init; }
    public required int K { get; init; }
    public required int TestUsers { get; init; }
    public required TrainingParameters Parameters { get; init; }
    public required IReadOnlyList<EvaluatedMethod> Methods { get; init; }
    /// <summary>Items first sold in the test period, ranked among themselves; null without an encoder.</summary>
    public IReadOnlyList<EvaluatedMethod>? ColdStart { get; init; }
    /// <summary>Similar items against what the anchor's shoppers also bought; null without an encoder.</summary>
    public IReadOnlyList<EvaluatedMethod>? Similar { get; init; }
}
