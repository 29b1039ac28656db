using System.Globalization;
using ServerlessReco.Catalog;
using ServerlessReco.Embed;
using ServerlessReco.Publish;
using ServerlessReco.Storage;
using ServerlessReco.Train;

namespace ServerlessReco.Jobs.Embed;

/// <summary>`embed-items`: item text embeddings and the cold-start map added to an existing model version.</summary>
public static class EmbedItemsJob
{
    /// <param name="Written">The new version: <paramref name="BaseVersion"/>'s arrays plus the embeddings.</param>
    public sealed record Result(ModelManifest Written, string BaseVersion, string Store, ModelEmbeddingReport Embedding);

    /// <summary>
    /// Loads <paramref name="version"/> (default: the newest version in the store), embeds every item and writes a
    /// new version with the base version's arrays plus item_embeddings.npy and cold-start factors. Returns null,
    /// writing nothing, when no encoder is configured.
    /// </summary>
    public static async Task<Result?> RunAsync(
        DataStore store, string? encoderDirectory, string? version, int batchSize, IJobProgress progress, CancellationToken ct)
    {
        if (encoderDirectory is null) return null;
        using var encoder = TextEncoder.Load(encoderDirectory);
        var versions = await store.Models.ListVersionsAsync(ct).ConfigureAwait(false);
        var baseVersion = version ?? versions.Max(StringComparer.Ordinal)
            ?? throw new InvalidOperationException($"{store.Description} has no model versions: run ./reco jobs train first.");
        var model = await store.Models.LoadAsync(baseVersion, ct).ConfigureAwait(false);
        var catalog = await store.Catalog.ReadByIdAsync(ct).ConfigureAwait(false);

        // Warm means what it meant to the training run: an event with a known user and a positive weight up to
        // the model's newest event. The base version's own rows cannot say it: ALS leaves items without
        // interactions small, not zero, and a version written by this job has them filled in already.
        var events = await store.EventLog.ReadDistinctAsync(model.Manifest.TrainedUntil, ct: ct).ConfigureAwait(false);
        var weights = model.Manifest.Training.Interactions.Weights;
        var itemIndex = new Dictionary<string, int>(model.ItemCount, StringComparer.Ordinal);
        for (int i = 0; i < model.ItemCount; i++) itemIndex[model.ItemIds[i]] = i;
        var warm = new bool[model.ItemCount];
        foreach (var e in events)
            if (e.User.Length > 0 && weights.Of(e) > 0 && itemIndex.TryGetValue(e.Item, out int i)) warm[i] = true;

        EmbeddedModel? embedded = null;
        await progress.RunAsync(string.Create(CultureInfo.InvariantCulture, $"embedding the titles of {model.ItemCount:N0} items (batch size {batchSize})"), advance =>
        {
            embedded = ModelEmbeddings.Add(model, catalog, warm, encoder, batchSize, (done, total) => advance(done, total), baseVersion, ct);
            return Task.CompletedTask;
        }).ConfigureAwait(false);
        var written = await store.Models.WriteVersionAsync(embedded!.Model, ct).ConfigureAwait(false);
        return new Result(written, baseVersion, store.Description, embedded.Report);
    }
}
