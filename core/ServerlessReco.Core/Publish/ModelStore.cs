using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ServerlessReco.Feedback;
using ServerlessReco.Storage;
using ServerlessReco.Train;

namespace ServerlessReco.Publish;

public sealed class ModelIntegrityException(string message) : Exception(message);

/// <summary>
/// Writes model versions and swaps models/current.json. A version is immutable once written; current.json
/// moves only after every file of the version has been read back and matched its sha256.
/// </summary>
public sealed class ModelStore(IBlobStore blobs)
{
    public const string CurrentPath = "current.json";
    /// <summary>What `evaluate --tune` chose; `train` starts from it, so the tuned parameters are the published ones.</summary>
    public const string TunedParametersPath = "tuned-parameters.json";
    /// <summary>What `evaluate` measured last; `train` puts it in the manifest when the parameters match.</summary>
    public const string EvaluationPath = "evaluation.json";

    private const string SequenceWeightsFile = "sequence_weights.npy";
    private const string SequenceHistoryPointersFile = "sequence_history_indptr.npy";
    private const string SequenceHistoryItemsFile = "sequence_history_indices.npy";

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
        if (model.SequenceWeights is { } sequence)
        {
            files[SequenceWeightsFile] = Npy.Write(sequence, 1, sequence.Length);
            files[SequenceHistoryPointersFile] = Npy.WriteInt32(model.SequenceHistoryPointers);
            files[SequenceHistoryItemsFile] = Npy.WriteInt32(model.SequenceHistoryItems);
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

    /// <summary>Loads a version, checking every file it reads against the manifest's size and sha256; throws <see cref="ModelIntegrityException"/> otherwise.</summary>
    public Task<ModelArtifacts> LoadAsync(string version, CancellationToken ct = default) => LoadAsync(version, null, ct);

    /// <summary>Loads what current.json names; the manifest must also match current.json's manifestSha256.</summary>
    public Task<ModelArtifacts> LoadAsync(CurrentModel published, CancellationToken ct = default) => LoadAsync(published.Version, published.ManifestSha256, ct);

    private async Task<ModelArtifacts> LoadAsync(string version, string? manifestSha256, CancellationToken ct)
    {
        ValidateVersion(version);
        var manifestData = await blobs.GetAsync(Containers.Models, $"{version}/manifest.json", ct).ConfigureAwait(false)
            ?? throw new ModelIntegrityException($"Model version {version} has no manifest.json.");
        // The manifest's hashes vouch for the files; this one vouches for the manifest.
        if (manifestSha256 is not null && !string.Equals(Sha256(manifestData.ToMemory().Span), manifestSha256, StringComparison.OrdinalIgnoreCase))
            throw new ModelIntegrityException($"Model version {version}: manifest.json does not match the manifestSha256 in {CurrentPath} (altered, or published by a broken job).");
        ModelManifest manifest;
        try
        {
            manifest = JsonSerializer.Deserialize(manifestData.ToMemory().Span, PublishJsonContext.Default.ModelManifest)
                ?? throw new ModelIntegrityException($"Model version {version}: manifest.json is empty.");
        }
        catch (JsonException e)
        {
            throw new ModelIntegrityException($"Model version {version}: manifest.json is not a manifest this server can use ({e.Message}). Train and publish a new version.");
        }
        try
        {
            manifest.Training.Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new ModelIntegrityException($"Model version {version}: manifest.json has an invalid training parameter: {e.Message}");
        }

        // Every file at once: most are small and their time is round trips, which a cold start waits for. Each is
        // read from the response stream straight into its array, hashed on the way.
        var userFactors = ReadAsync("user_factors.npy", Npy.ReadAsync<float>);
        var itemFactors = ReadAsync("item_factors.npy", Npy.ReadAsync<float>);
        var popularity = ReadAsync("popularity.npy", Npy.ReadAsync<float>);
        var userIds = ReadAsync("user_ids.txt", ReadLinesAsync);
        var itemIds = ReadAsync("item_ids.txt", ReadLinesAsync);
        var marketIds = ReadAsync("popularity_markets.txt", ReadLinesAsync);
        var categories = Listed("item_categories.txt") ? ReadAsync("item_categories.txt", ReadLinesAsync) : null;
        var sequence = manifest.Training.Sequence is null ? null : ReadAsync(SequenceWeightsFile, Npy.ReadAsync<float>);
        var sequenceHistory = manifest.Training.Sequence is null ? default
            : (Pointers: ReadAsync(SequenceHistoryPointersFile, Npy.ReadAsync<int>), Items: ReadAsync(SequenceHistoryItemsFile, Npy.ReadAsync<int>));
        var embeddings = Listed("item_embeddings.npy") ? ReadAsync("item_embeddings.npy", Npy.ReadAsync<float>) : null;
        var purchases = Listed("user_purchases_indptr.npy") && Listed("user_purchases_indices.npy")
            ? (Pointers: ReadAsync("user_purchases_indptr.npy", Npy.ReadAsync<int>), Items: ReadAsync("user_purchases_indices.npy", Npy.ReadAsync<int>))
            : default;
        Task[] all = [userFactors, itemFactors, popularity, userIds, itemIds, marketIds, categories ?? Task.CompletedTask,
            embeddings ?? Task.CompletedTask, sequence ?? Task.CompletedTask, sequenceHistory.Pointers ?? Task.CompletedTask, sequenceHistory.Items ?? Task.CompletedTask, purchases.Pointers ?? Task.CompletedTask, purchases.Items ?? Task.CompletedTask];
        await Task.WhenAll(all).ConfigureAwait(false);

        var (userMatrix, users, k1) = userFactors.Result;
        var (itemMatrix, items, k2) = itemFactors.Result;
        var (popularityMatrix, markets, popItems) = popularity.Result;
        var itemCategories = categories?.Result ?? new string[items];
        if (k1 != manifest.Factors || k2 != manifest.Factors) throw new ModelIntegrityException($"Model version {version}: factor matrices have {k1} and {k2} columns, manifest says {manifest.Factors}.");
        if (userIds.Result.Length != users || itemIds.Result.Length != items || popItems != items || marketIds.Result.Length != markets || itemCategories.Length != items)
            throw new ModelIntegrityException($"Model version {version}: id lists and matrices disagree on their sizes.");
        float[]? embeddingMatrix = null;
        int dimension = 0;
        if (embeddings is not null)
        {
            (embeddingMatrix, int embItems, dimension) = embeddings.Result;
            if (embItems != items) throw new ModelIntegrityException($"Model version {version}: item_embeddings.npy has {embItems} rows for {items} items.");
        }
        float[]? sequenceWeights = null;
        if (sequence is not null)
        {
            sequenceWeights = sequence.Result.Values;
            int expected = new Sequence.SequenceLayout(items, manifest.Training.Sequence!, itemCategories).Size;
            if (sequenceWeights.Length != expected)
                throw new ModelIntegrityException($"Model version {version}: {SequenceWeightsFile} has {sequenceWeights.Length} weights, the manifest's sequence architecture needs {expected}.");
        }
        int[] historyPointers = sequenceHistory.Pointers?.Result.Values ?? [], historyItems = sequenceHistory.Items?.Result.Values ?? [];
        if (sequenceHistory.Pointers is not null && (historyPointers.Length != users + 1 || historyPointers[0] != 0 || historyPointers[^1] != historyItems.Length || historyItems.Any(i => (uint)i >= (uint)items)))
            throw new ModelIntegrityException($"Model version {version}: sequence_history_*.npy is not a CSR matrix of {users} users over {items} items.");
        int[] pointers = purchases.Pointers?.Result.Values ?? [], purchased = purchases.Items?.Result.Values ?? [];
        if (purchases.Pointers is not null && (pointers.Length != users + 1 || pointers[0] != 0 || pointers[^1] != purchased.Length || purchased.Any(i => (uint)i >= (uint)items)))
            throw new ModelIntegrityException($"Model version {version}: user_purchases_*.npy is not a CSR matrix of {users} users over {items} items.");
        return new ModelArtifacts
        {
            PurchasePointers = pointers,
            PurchaseItems = purchased,
            Manifest = manifest,
            UserIds = userIds.Result,
            ItemIds = itemIds.Result,
            UserFactors = userMatrix,
            ItemFactors = itemMatrix,
            PopularityMarkets = marketIds.Result,
            Popularity = popularityMatrix,
            ItemEmbeddings = embeddingMatrix,
            EmbeddingDimension = dimension,
            ItemCategories = itemCategories,
            SequenceWeights = sequenceWeights,
            SequenceHistoryPointers = historyPointers,
            SequenceHistoryItems = historyItems,
        };

        bool Listed(string name) => manifest.Files.ContainsKey(name);

        async Task<T> ReadAsync<T>(string name, Func<Stream, long, string, CancellationToken, Task<T>> parse)
        {
            if (!manifest.Files.TryGetValue(name, out var file))
                throw new ModelIntegrityException($"Model version {version}: the manifest does not list {name}.");
            if (file.Bytes < 0) throw new ModelIntegrityException($"Model version {version}: the manifest gives {name} a size of {file.Bytes} bytes.");
            var stream = await blobs.OpenReadAsync(Containers.Models, $"{version}/{name}", ct).ConfigureAwait(false)
                ?? throw new ModelIntegrityException($"Model version {version}: {name} is listed in the manifest but missing.");
            using var sha256 = SHA256.Create();
            T content;
            await using (var hashed = new CryptoStream(stream, sha256, CryptoStreamMode.Read))
            {
                try
                {
                    content = await parse(hashed, file.Bytes, name, ct).ConfigureAwait(false);
                }
                catch (InvalidDataException e)
                {
                    throw new ModelIntegrityException($"Model version {version}: {e.Message}");
                }
            }
            // The parsers read to the end of the stream, which is when the hash is final.
            if (sha256.Hash is not { } hash || !string.Equals(Convert.ToHexStringLower(hash), file.Sha256, StringComparison.OrdinalIgnoreCase))
                throw new ModelIntegrityException($"Model version {version}: {name} does not match its sha256 in the manifest (corrupt or altered file).");
            return content;
        }
    }

    /// <summary>
    /// Verifies the version and only then points current.json at it. A running experiment ends: its arms were
    /// defined against the version being replaced.
    /// </summary>
    public async Task<CurrentModel> PublishAsync(string version, CancellationToken ct = default) =>
        await WriteCurrentAsync(new CurrentModel(version, DateTimeOffset.UtcNow, await VerifiedManifestSha256Async(version, ct).ConfigureAwait(false)), ct).ConfigureAwait(false);

    /// <summary>
    /// Serves <paramref name="challenger"/> to <paramref name="share"/> of shoppers beside <paramref name="control"/>
    /// (default: the published version), both verified first. The experiment id defaults to the challenger's version.
    /// </summary>
    public async Task<CurrentModel> StartExperimentAsync(string? control, string challenger, double share, string? experimentId, CancellationToken ct = default)
    {
        var published = control is null
            ? await ReadCurrentAsync(ct).ConfigureAwait(false) ?? throw new InvalidOperationException("No version is published: pass --version for the control arm.")
            : new CurrentModel(control, DateTimeOffset.UtcNow, await VerifiedManifestSha256Async(control, ct).ConfigureAwait(false));
        if (published.Version == challenger) throw new ArgumentException($"The challenger {challenger} is the published version: an experiment compares two versions.", nameof(challenger));
        var experiment = new ModelExperiment(experimentId ?? challenger, challenger, await VerifiedManifestSha256Async(challenger, ct).ConfigureAwait(false), share, DateTimeOffset.UtcNow);
        experiment.Validate();
        return await WriteCurrentAsync(published with { PublishedAt = DateTimeOffset.UtcNow, Experiment = experiment }, ct).ConfigureAwait(false);
    }

    /// <summary>The running experiment's challenger becomes the version every shopper gets.</summary>
    public async Task<CurrentModel> PromoteChallengerAsync(CancellationToken ct = default)
    {
        var experiment = (await RunningExperimentAsync(ct).ConfigureAwait(false)).Experiment!;
        return await WriteCurrentAsync(new CurrentModel(experiment.Version, DateTimeOffset.UtcNow, experiment.ManifestSha256), ct).ConfigureAwait(false);
    }

    /// <summary>Every shopper gets the published version again; the challenger stays stored, unserved.</summary>
    public async Task<CurrentModel> StopExperimentAsync(CancellationToken ct = default)
    {
        var current = await RunningExperimentAsync(ct).ConfigureAwait(false);
        return await WriteCurrentAsync(current with { PublishedAt = DateTimeOffset.UtcNow, Experiment = null }, ct).ConfigureAwait(false);
    }

    private async Task<CurrentModel> RunningExperimentAsync(CancellationToken ct) =>
        await ReadCurrentAsync(ct).ConfigureAwait(false) is { Experiment: not null } current ? current
        : throw new InvalidOperationException($"No experiment is running: {CurrentPath} names no challenger.");

    private async Task<string> VerifiedManifestSha256Async(string version, CancellationToken ct)
    {
        await LoadAsync(version, ct).ConfigureAwait(false);
        var manifest = await blobs.GetAsync(Containers.Models, $"{version}/manifest.json", ct).ConfigureAwait(false);
        return Sha256(manifest!.ToMemory().Span);
    }

    private async Task<CurrentModel> WriteCurrentAsync(CurrentModel current, CancellationToken ct)
    {
        await blobs.PutAsync(Containers.Models, CurrentPath, new BinaryData(JsonSerializer.SerializeToUtf8Bytes(current, PublishJsonContext.Default.CurrentModel)), overwrite: true, ct).ConfigureAwait(false);
        return current;
    }

    public async Task<CurrentModel?> ReadCurrentAsync(CancellationToken ct = default)
    {
        var data = await blobs.GetAsync(Containers.Models, CurrentPath, ct).ConfigureAwait(false);
        return data is null ? null : JsonSerializer.Deserialize(data.ToMemory().Span, PublishJsonContext.Default.CurrentModel);
    }

    public async Task WriteTunedParametersAsync(TrainingParameters parameters, CancellationToken ct = default) =>
        await blobs.PutAsync(Containers.Models, TunedParametersPath,
            new BinaryData(JsonSerializer.SerializeToUtf8Bytes(parameters, PublishJsonContext.Default.TrainingParameters)), overwrite: true, ct).ConfigureAwait(false);

    /// <summary>The parameters `evaluate --tune` saved last, or null when it never ran against this store.</summary>
    public async Task<TrainingParameters?> ReadTunedParametersAsync(CancellationToken ct = default)
    {
        var data = await blobs.GetAsync(Containers.Models, TunedParametersPath, ct).ConfigureAwait(false);
        if (data is null) return null;
        try
        {
            var parameters = JsonSerializer.Deserialize(data.ToMemory().Span, PublishJsonContext.Default.TrainingParameters);
            parameters?.Validate();
            return parameters;
        }
        catch (Exception e) when (e is JsonException or ArgumentOutOfRangeException)
        {
            throw new InvalidDataException($"models/{TunedParametersPath} is not a valid set of training parameters ({e.Message}): run evaluate --tune again or delete it.");
        }
    }

    public async Task WriteEvaluationAsync(OfflineEvaluation evaluation, CancellationToken ct = default) =>
        await blobs.PutAsync(Containers.Models, EvaluationPath,
            new BinaryData(JsonSerializer.SerializeToUtf8Bytes(evaluation, PublishJsonContext.Default.OfflineEvaluation)), overwrite: true, ct).ConfigureAwait(false);

    /// <summary>
    /// The evaluation `evaluate` stored last if it measured exactly <paramref name="parameters"/> (compared as
    /// stored, so a parameter added later counts); else null: another configuration's figures would mislead.
    /// </summary>
    public async Task<OfflineEvaluation?> ReadEvaluationOfAsync(TrainingParameters parameters, CancellationToken ct = default)
    {
        var data = await blobs.GetAsync(Containers.Models, EvaluationPath, ct).ConfigureAwait(false);
        if (data is null) return null;
        OfflineEvaluation? evaluation;
        try
        {
            evaluation = JsonSerializer.Deserialize(data.ToMemory().Span, PublishJsonContext.Default.OfflineEvaluation);
        }
        catch (JsonException)
        {
            return null;
        }
        return evaluation is not null && JsonSerializer.Serialize(evaluation.Parameters, PublishJsonContext.Default.TrainingParameters)
            == JsonSerializer.Serialize(parameters, PublishJsonContext.Default.TrainingParameters) ? evaluation : null;
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

    private static async Task<string[]> ReadLinesAsync(Stream stream, long fileBytes, string nameForErrors, CancellationToken ct)
    {
        if (fileBytes > Array.MaxLength) throw new InvalidDataException($"{nameForErrors}: {fileBytes} bytes is too large for an id list.");
        var bytes = new byte[fileBytes];
        await SizedRead.ExactlyAsync(stream, bytes, 0, fileBytes, nameForErrors, ct).ConfigureAwait(false);
        await SizedRead.EndAsync(stream, fileBytes, nameForErrors, ct).ConfigureAwait(false);
        if (bytes.Length == 0) return [];
        var text = Encoding.UTF8.GetString(bytes);
        return (text.EndsWith('\n') ? text[..^1] : text).Split('\n');
    }
}
