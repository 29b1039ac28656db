using System.Text.Json;
using System.Text.Json.Serialization;

namespace ServerlessReco.Publish;

/// <summary>models/&lt;version&gt;/manifest.json: what was trained, from what, how well, and every file with its sha256.</summary>
public sealed record ModelManifest
{
    public required string Version { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    /// <summary>The newest event the model saw: serving folds in the events after it.</summary>
    public required DateTimeOffset TrainedUntil { get; init; }
    public required int Factors { get; init; }
    public Dictionary<string, string> Parameters { get; init; } = [];
    public Dictionary<string, long> Counts { get; init; } = [];
    public Dictionary<string, double> Metrics { get; init; } = [];
    public string? Encoder { get; init; }
    public Dictionary<string, ArtifactFile> Files { get; init; } = [];
}

public sealed record ArtifactFile(string Sha256, long Bytes);

/// <summary>models/current.json: the version being served, swapped only after that version verified.</summary>
public sealed record CurrentModel(string Version, DateTimeOffset PublishedAt, string ManifestSha256);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ModelManifest))]
[JsonSerializable(typeof(CurrentModel))]
public partial class PublishJsonContext : JsonSerializerContext;
