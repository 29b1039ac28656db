using System.Text.Json;
using System.Text.Json.Serialization;
using ServerlessReco.Embed;
using ServerlessReco.Train;

namespace ServerlessReco.Publish;

/// <summary>
/// models/&lt;version&gt;/manifest.json: what was trained, from what, with which parameters, how well, and every file
/// with its sha256. The training parameters are typed and required: a manifest without them is refused by name,
/// because serving would otherwise fold events in with weights the model was not trained with.
/// </summary>
public sealed record ModelManifest
{
    public required string Version { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    /// <summary>The newest event the model saw: serving folds in the events after it.</summary>
    public required DateTimeOffset TrainedUntil { get; init; }
    public required TrainingParameters Training { get; init; }
    /// <summary>The version this one was derived from (embed-items adds embeddings to a trained version).</summary>
    public string? BaseVersion { get; init; }
    public Dictionary<string, long> Counts { get; init; } = [];
    public Dictionary<string, double> Metrics { get; init; } = [];
    /// <summary>The encoder of item_embeddings.npy: vectors of different encoders are never compared.</summary>
    public EncoderIdentity? Encoder { get; init; }
    public Dictionary<string, ArtifactFile> Files { get; init; } = [];
    /// <summary>The offline evaluation of this version's training parameters, when `evaluate` measured exactly them.</summary>
    public OfflineEvaluation? Evaluation { get; init; }

    /// <summary>Columns of the factor matrices.</summary>
    [JsonIgnore] public int Factors => Training.Als.Factors;
}

public sealed record ArtifactFile(string Sha256, long Bytes);

/// <summary>models/current.json: the version being served, swapped only after that version verified.</summary>
/// <param name="Experiment">A challenger served to a share of shoppers beside <paramref name="Version"/>; null when none runs.</param>
public sealed record CurrentModel(string Version, DateTimeOffset PublishedAt, string ManifestSha256, Feedback.ModelExperiment? Experiment = null);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ModelManifest))]
[JsonSerializable(typeof(CurrentModel))]
[JsonSerializable(typeof(TrainingParameters))]
[JsonSerializable(typeof(OfflineEvaluation))]
public partial class PublishJsonContext : JsonSerializerContext;
