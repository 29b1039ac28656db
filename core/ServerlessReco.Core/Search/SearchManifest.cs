using System.Text.Json;
using System.Text.Json.Serialization;
using ServerlessReco.Embed;
using ServerlessReco.Publish;

namespace ServerlessReco.Search;

/// <summary>
/// catalog/search/&lt;version&gt;/manifest.json: what the index holds (items, language fields, the encoder of its
/// embeddings) and every file with its sha256, like a model version's manifest.
/// </summary>
public sealed record SearchManifest
{
    /// <summary>Layout of the files; a handler refuses a layout it does not know by name instead of misreading it.</summary>
    public const int CurrentFormat = 1;

    public required string Version { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public int Format { get; init; } = CurrentFormat;
    public required int Items { get; init; }
    /// <summary>The language fields (lang.de, ...), besides the source field every index has.</summary>
    public required string[] LanguageFields { get; init; }
    /// <summary>The language tags of the indexed titles as the catalogue stores them (de, pt-br, zh-Hans): what a query is translated into.</summary>
    public required string[] Languages { get; init; }
    /// <summary>The encoder of item_embeddings.npy; null when the index was built without one (lexical search only).</summary>
    public EncoderIdentity? Encoder { get; init; }
    public int EmbeddingDimension { get; init; }
    public Dictionary<string, ArtifactFile> Files { get; init; } = [];
}

/// <summary>catalog/search/current.json: the index version serving uses, moved only after that version verified.</summary>
public sealed record CurrentSearchIndex(string Version, DateTimeOffset PublishedAt, string ManifestSha256);

/// <summary>A version's content: the Lucene index files, item ids by row, and the items' embeddings by row when there is an encoder.</summary>
public sealed record SearchArtifacts(SearchManifest Manifest, IReadOnlyDictionary<string, byte[]> LuceneFiles, string[] ItemIds, float[]? Embeddings);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SearchManifest))]
[JsonSerializable(typeof(CurrentSearchIndex))]
public partial class SearchJsonContext : JsonSerializerContext;
