using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ServerlessReco.Storage;

namespace ServerlessReco.Publish;

public sealed class ModelIntegrityException(string message) : Exception(message);

/// <summary>
/// Writes model versions and swaps models/current.json. A version is immutable once written; current.json
/// moves only after every file of the version has been read back and matched its sha256.
/// </summary>
public sealed class ModelStore(IBlobStore blobs)
{
    public const string CurrentPath = "current.json";

    public static string NewVersion(DateTimeOffset now) => now.UtcDateTime.ToString("yyyyMMdd'T'HHmmssfff'Z'", System.Globalization.CultureInfo.InvariantCulture);

    public async Task<ModelManifest> WriteVersionAsync(ModelArtifacts model, CancellationToken ct = default)
    {
        var files = new Dictionary<string, byte[]>
        {
            ["user_factors.npy"] = Npy.Write(model.UserFactors, model.UserCount, model.Factors),
            ["item_factors.npy"] = Npy.Write(model.ItemFactors, model.ItemCount, model.Factors),
            ["user_ids.txt"] = Lines(model.UserIds),
            ["item_ids.txt"] = Lines(model.ItemIds),
            ["item_categories.txt"] = Lines(model.ItemCategories.Length == model.ItemCount ? model.ItemCategories : Enumerable.Repeat("", model.ItemCount).ToArray()),
            ["popularity.npy"] = Npy.Write(model.Popularity, model.PopularityMarkets.Length, model.ItemCount),
            ["popularity_markets.txt"] = Lines(model.PopularityMarkets),
        };
        if (model.PurchasePointers.Length > 0)
        {
            files["user_purchases_indptr.npy"] = Npy.WriteInt32(model.PurchasePointers);
            files["user_purchases_indices.npy"] = Npy.WriteInt32(model.PurchaseItems);
        }
        if (model.ItemEmbeddings is { } emb)
            files["item_embeddings.npy"] = Npy.Write(emb, model.ItemCount, model.EmbeddingDimension);

        var version = model.Manifest.Version;
        var manifestFiles = new Dictionary<string, ArtifactFile>();
        foreach (var (name, bytes) in files)
        {
            if (!await blobs.PutAsync(Containers.Models, $"{version}/{name}", new BinaryData(bytes), overwrite: false, ct).ConfigureAwait(false))
                throw new InvalidOperationException($"Model version {version} already has {name}: versions are immutable, train a new one.");
            manifestFiles[name] = new ArtifactFile(Sha256(bytes), bytes.Length);
        }
        var manifest = model.Manifest with { Files = manifestFiles };
        var manifestBytes = JsonSerializer.SerializeToUtf8Bytes(manifest, PublishJsonContext.Default.ModelManifest);
        await blobs.PutAsync(Containers.Models, $"{version}/manifest.json", new BinaryData(manifestBytes), overwrite: false, ct).ConfigureAwait(false);
        return manifest;
    }

    public async Task<ModelManifest?> ReadManifestAsync(string version, CancellationToken ct = default)
    {
        var data = await blobs.GetAsync(Containers.Models, $"{version}/manifest.json", ct).ConfigureAwait(false);
        return data is null ? null : JsonSerializer.Deserialize(data.ToMemory().Span, PublishJsonContext.Default.ModelManifest);
    }

    /// <summary>Loads a version, checking every file against the manifest's sha256; throws <see cref="ModelIntegrityException"/> otherwise.</summary>
    public async Task<ModelArtifacts> LoadAsync(string version, CancellationToken ct = default)
    {
        ValidateVersion(version);
        var manifestData = await blobs.GetAsync(Containers.Models, $"{version}/manifest.json", ct).ConfigureAwait(false)
            ?? throw new ModelIntegrityException($"Model version {version} has no manifest.json in {blobs.Describe()}.");
        ModelManifest manifest;
        try
        {
            manifest = JsonSerializer.Deserialize(manifestData.ToMemory().Span, PublishJsonContext.Default.ModelManifest)
                ?? throw new ModelIntegrityException($"Model version {version}: manifest.json is empty.");
        }
        catch (JsonException e)
        {
            throw new ModelIntegrityException($"Model version {version}: manifest.json is not valid JSON ({e.Message}).");
        }

        // Downloaded buffers are used as they are: a model is tens of MB, and every copy is memory touched for the
        // first time, which costs a cold start more than the copying itself.
        var files = new Dictionary<string, ReadOnlyMemory<byte>>();
        // All files at once: most are small and their download time is round trips, which the cold start waits
        // for; two at a time (one per core, the default) made nine files five waves.
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Clamp(manifest.Files.Count, 1, 16), CancellationToken = ct };
        await Parallel.ForEachAsync(manifest.Files, parallel, async (entry, token) =>
        {
            var data = await blobs.GetAsync(Containers.Models, $"{version}/{entry.Key}", token).ConfigureAwait(false)
                ?? throw new ModelIntegrityException($"Model version {version}: {entry.Key} is listed in the manifest but missing.");
            var bytes = data.ToMemory();
            if (!string.Equals(Sha256(bytes.Span), entry.Value.Sha256, StringComparison.OrdinalIgnoreCase))
                throw new ModelIntegrityException($"Model version {version}: {entry.Key} does not match its sha256 in the manifest (corrupt or altered file).");
            lock (files) files[entry.Key] = bytes;
        }).ConfigureAwait(false);

        ReadOnlySpan<byte> Need(string name) => files.TryGetValue(name, out var b) ? b.Span
            : throw new ModelIntegrityException($"Model version {version}: the manifest does not list {name}.");

        try
        {
            var (userFactors, users, k1) = Npy.Read(Need("user_factors.npy"), "user_factors.npy");
            var (itemFactors, items, k2) = Npy.Read(Need("item_factors.npy"), "item_factors.npy");
            var (popularity, markets, popItems) = Npy.Read(Need("popularity.npy"), "popularity.npy");
            var userIds = ReadLines(Need("user_ids.txt"));
            var itemIds = ReadLines(Need("item_ids.txt"));
            var marketIds = ReadLines(Need("popularity_markets.txt"));
            var categories = files.TryGetValue("item_categories.txt", out var c) ? ReadLines(c.Span) : new string[items];
            if (k1 != manifest.Factors || k2 != manifest.Factors) throw new ModelIntegrityException($"Model version {version}: factor matrices have {k1} and {k2} columns, manifest says {manifest.Factors}.");
            if (userIds.Length != users || itemIds.Length != items || popItems != items || marketIds.Length != markets || categories.Length != items)
                throw new ModelIntegrityException($"Model version {version}: id lists and matrices disagree on their sizes.");
            float[]? embeddings = null;
            int dimension = 0;
            if (files.TryGetValue("item_embeddings.npy", out var e))
            {
                (embeddings, int embItems, dimension) = Npy.Read(e.Span, "item_embeddings.npy");
                if (embItems != items) throw new ModelIntegrityException($"Model version {version}: item_embeddings.npy has {embItems} rows for {items} items.");
            }
            int[] pointers = [], purchased = [];
            if (files.TryGetValue("user_purchases_indptr.npy", out var p) && files.TryGetValue("user_purchases_indices.npy", out var q))
            {
                pointers = Npy.ReadInt32(p.Span, "user_purchases_indptr.npy");
                purchased = Npy.ReadInt32(q.Span, "user_purchases_indices.npy");
                if (pointers.Length != users + 1 || pointers[0] != 0 || pointers[^1] != purchased.Length || purchased.Any(i => (uint)i >= (uint)items))
                    throw new ModelIntegrityException($"Model version {version}: user_purchases_*.npy is not a CSR matrix of {users} users over {items} items.");
            }
            return new ModelArtifacts
            {
                PurchasePointers = pointers,
                PurchaseItems = purchased,
                Manifest = manifest,
                UserIds = userIds,
                ItemIds = itemIds,
                UserFactors = userFactors,
                ItemFactors = itemFactors,
                PopularityMarkets = marketIds,
                Popularity = popularity,
                ItemEmbeddings = embeddings,
                EmbeddingDimension = dimension,
                ItemCategories = categories,
            };
        }
        catch (InvalidDataException ex)
        {
            throw new ModelIntegrityException($"Model version {version}: {ex.Message}");
        }
    }

    /// <summary>Verifies the version and only then points current.json at it.</summary>
    public async Task<CurrentModel> PublishAsync(string version, CancellationToken ct = default)
    {
        await LoadAsync(version, ct).ConfigureAwait(false);
        var manifest = await blobs.GetAsync(Containers.Models, $"{version}/manifest.json", ct).ConfigureAwait(false);
        var current = new CurrentModel(version, DateTimeOffset.UtcNow, Sha256(manifest!.ToArray()));
        await blobs.PutAsync(Containers.Models, CurrentPath, new BinaryData(JsonSerializer.SerializeToUtf8Bytes(current, PublishJsonContext.Default.CurrentModel)), overwrite: true, ct).ConfigureAwait(false);
        return current;
    }

    public async Task<CurrentModel?> ReadCurrentAsync(CancellationToken ct = default)
    {
        var data = await blobs.GetAsync(Containers.Models, CurrentPath, ct).ConfigureAwait(false);
        return data is null ? null : JsonSerializer.Deserialize(data.ToMemory().Span, PublishJsonContext.Default.CurrentModel);
    }

    public async Task<List<string>> ListVersionsAsync(CancellationToken ct = default)
    {
        var versions = new List<string>();
        await foreach (var path in blobs.ListAsync(Containers.Models, "", ct).ConfigureAwait(false))
            if (path.EndsWith("/manifest.json", StringComparison.Ordinal)) versions.Add(path[..path.IndexOf('/')]);
        return versions;
    }

    private static void ValidateVersion(string version)
    {
        if (string.IsNullOrEmpty(version) || version.Length > 64 || !version.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_' or '.') || version.Contains(".."))
            throw new ArgumentException($"'{version}' is not a model version: expected letters, digits, '-', '_' or '.'.", nameof(version));
    }

    internal static string Sha256(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static byte[] Lines(IReadOnlyCollection<string> values) => values.Count == 0 ? [] : Encoding.UTF8.GetBytes(string.Join('\n', values) + "\n");

    private static string[] ReadLines(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length == 0) return [];
        var text = Encoding.UTF8.GetString(bytes);
        return (text.EndsWith('\n') ? text[..^1] : text).Split('\n');
    }
}
