using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ServerlessReco.Publish;
using ServerlessReco.Storage;

namespace ServerlessReco.Search;

/// <summary>
/// Versions of the search index under catalog/search/ (it is derived from the catalogue), written and published
/// like model versions: a version is immutable, every file is listed in its manifest with its sha256, and
/// catalog/search/current.json moves only after the whole version was read back and verified.
/// </summary>
public sealed class SearchIndexStore(IBlobStore blobs)
{
    public const string Root = "search/";
    public const string CurrentPath = Root + "current.json";
    public const string IdsFile = "item_ids.txt";
    public const string EmbeddingsFile = "item_embeddings.npy";
    /// <summary>Lucene's own files of the index sit under this folder of a version, by their Lucene names.</summary>
    public const string LucenePrefix = "lucene/";

    public async Task<SearchManifest> WriteVersionAsync(SearchArtifacts artifacts, CancellationToken ct = default)
    {
        var version = artifacts.Manifest.Version;
        ValidateVersion(version);
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal)
        {
            [IdsFile] = Encoding.UTF8.GetBytes(string.Join('\n', artifacts.ItemIds)),
        };
        if (artifacts.Embeddings is { } embeddings)
            files[EmbeddingsFile] = Npy.Write(embeddings, artifacts.ItemIds.Length, artifacts.Manifest.EmbeddingDimension);
        foreach (var (name, bytes) in artifacts.LuceneFiles) files[LucenePrefix + name] = bytes;

        var listed = new Dictionary<string, ArtifactFile>(StringComparer.Ordinal);
        foreach (var (name, bytes) in files)
        {
            if (!await blobs.PutAsync(Containers.Catalog, $"{Root}{version}/{name}", new BinaryData(bytes), overwrite: false, ct).ConfigureAwait(false))
                throw new InvalidOperationException($"Search index version {version} already has {name}: versions are immutable, build a new one.");
            listed[name] = new ArtifactFile(Sha256(bytes), bytes.Length);
        }
        var manifest = artifacts.Manifest with { Files = listed };
        await blobs.PutAsync(Containers.Catalog, $"{Root}{version}/manifest.json",
            new BinaryData(JsonSerializer.SerializeToUtf8Bytes(manifest, SearchJsonContext.Default.SearchManifest)), overwrite: false, ct).ConfigureAwait(false);
        return manifest;
    }

    /// <summary>Verifies the version and only then points current.json at it.</summary>
    public async Task<CurrentSearchIndex> PublishAsync(string version, CancellationToken ct = default)
    {
        await LoadAsync(version, null, ct).ConfigureAwait(false);
        var manifest = await blobs.GetAsync(Containers.Catalog, $"{Root}{version}/manifest.json", ct).ConfigureAwait(false);
        var current = new CurrentSearchIndex(version, DateTimeOffset.UtcNow, Sha256(manifest!.ToMemory().Span));
        await blobs.PutAsync(Containers.Catalog, CurrentPath,
            new BinaryData(JsonSerializer.SerializeToUtf8Bytes(current, SearchJsonContext.Default.CurrentSearchIndex)), overwrite: true, ct).ConfigureAwait(false);
        return current;
    }

    public async Task<CurrentSearchIndex?> ReadCurrentAsync(CancellationToken ct = default)
    {
        var data = await blobs.GetAsync(Containers.Catalog, CurrentPath, ct).ConfigureAwait(false);
        return data is null ? null : JsonSerializer.Deserialize(data.ToMemory().Span, SearchJsonContext.Default.CurrentSearchIndex);
    }

    /// <summary>What current.json names; its manifest must match current.json's manifestSha256 and every file its sha256.</summary>
    public Task<SearchArtifacts> LoadAsync(CurrentSearchIndex published, CancellationToken ct = default) => LoadAsync(published.Version, published.ManifestSha256, ct);

    /// <exception cref="ModelIntegrityException">A file is missing, altered, or the version is not one this code can read.</exception>
    public async Task<SearchArtifacts> LoadAsync(string version, string? manifestSha256, CancellationToken ct = default)
    {
        ValidateVersion(version);
        var manifestData = await blobs.GetAsync(Containers.Catalog, $"{Root}{version}/manifest.json", ct).ConfigureAwait(false)
            ?? throw Refuse(version, "has no manifest.json");
        if (manifestSha256 is not null && !string.Equals(Sha256(manifestData.ToMemory().Span), manifestSha256, StringComparison.OrdinalIgnoreCase))
            throw Refuse(version, $"manifest.json does not match the manifestSha256 in {CurrentPath}");
        SearchManifest manifest;
        try
        {
            manifest = JsonSerializer.Deserialize(manifestData.ToMemory().Span, SearchJsonContext.Default.SearchManifest) ?? throw Refuse(version, "manifest.json is empty");
        }
        catch (JsonException e)
        {
            throw Refuse(version, $"manifest.json is not a search manifest ({e.Message})");
        }
        if (manifest.Format != SearchManifest.CurrentFormat) throw Refuse(version, $"has format {manifest.Format}; this build reads format {SearchManifest.CurrentFormat}");

        var names = manifest.Files.Keys.ToArray();
        var contents = await Task.WhenAll(names.Select(name => ReadAsync(name, manifest.Files[name]))).ConfigureAwait(false);
        var byName = names.Zip(contents).ToDictionary(p => p.First, p => p.Second, StringComparer.Ordinal);

        if (!byName.TryGetValue(IdsFile, out var idBytes)) throw Refuse(version, $"the manifest does not list {IdsFile}");
        var ids = idBytes.Length == 0 ? [] : Encoding.UTF8.GetString(idBytes).Split('\n');
        if (ids.Length != manifest.Items) throw Refuse(version, $"{IdsFile} has {ids.Length} ids, the manifest says {manifest.Items} items");
        float[]? embeddings = null;
        if (manifest.Encoder is not null)
        {
            if (!byName.TryGetValue(EmbeddingsFile, out var embeddingBytes)) throw Refuse(version, $"the manifest names an encoder but does not list {EmbeddingsFile}");
            try
            {
                var (values, rows, cols) = await Npy.ReadAsync<float>(new MemoryStream(embeddingBytes), embeddingBytes.Length, EmbeddingsFile, ct).ConfigureAwait(false);
                if (rows != ids.Length || cols != manifest.EmbeddingDimension) throw Refuse(version, $"{EmbeddingsFile} is {rows} x {cols}, expected {ids.Length} x {manifest.EmbeddingDimension}");
                embeddings = values;
            }
            catch (InvalidDataException e)
            {
                throw Refuse(version, e.Message);
            }
        }
        var lucene = byName.Where(p => p.Key.StartsWith(LucenePrefix, StringComparison.Ordinal))
            .ToDictionary(p => p.Key[LucenePrefix.Length..], p => p.Value, StringComparer.Ordinal);
        if (lucene.Count == 0) throw Refuse(version, $"the manifest lists no {LucenePrefix} files");
        return new SearchArtifacts(manifest, lucene, ids, embeddings);

        async Task<byte[]> ReadAsync(string name, ArtifactFile file)
        {
            var data = await blobs.GetAsync(Containers.Catalog, $"{Root}{version}/{name}", ct).ConfigureAwait(false)
                ?? throw Refuse(version, $"{name} is listed in the manifest but missing");
            var bytes = data.ToArray();
            if (bytes.Length != file.Bytes || !string.Equals(Sha256(bytes), file.Sha256, StringComparison.OrdinalIgnoreCase))
                throw Refuse(version, $"{name} does not match its size and sha256 in the manifest (corrupt or altered file)");
            return bytes;
        }
    }

    public static string NewVersion(DateTimeOffset now) => ModelStore.NewVersion(now);

    private static ModelIntegrityException Refuse(string version, string reason) => new($"Search index version {version}: {reason}.");

    private static void ValidateVersion(string version)
    {
        if (string.IsNullOrEmpty(version) || version.Length > 64 || !version.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_' or '.') || version.Contains(".."))
            throw new ArgumentException($"'{version}' is not a search index version: expected letters, digits, '-', '_' or '.'.", nameof(version));
    }

    private static string Sha256(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}
