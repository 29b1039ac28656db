using System.Diagnostics;
using System.Globalization;
using ServerlessReco.Catalog;
using ServerlessReco.Embed;
using ServerlessReco.Search;
using ServerlessReco.Storage;

namespace ServerlessReco.Jobs.Search;

/// <summary>`build-search-index`: the catalogue (items table with its stored translations) into a new, published search index version.</summary>
public static class BuildSearchIndexJob
{
    public sealed record Result(SearchManifest Written, CurrentSearchIndex Published, int ItemsWithText, double Seconds, string Store);

    /// <summary>
    /// Indexes every catalogue item (in id order), embeds their titles when an encoder is given, writes the
    /// version and publishes it: the index is derived from the catalogue alone, so there is nothing to gate on.
    /// Stock and markets are not in the index: serving applies them from its live catalogue at query time.
    /// </summary>
    public static async Task<Result> RunAsync(DataStore store, string? encoderDirectory, int batchSize, IJobProgress progress, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var catalog = await store.Catalog.ReadByIdAsync(ct).ConfigureAwait(false);
        if (catalog.Count == 0) throw new InvalidOperationException($"{store.Description} has no catalogue items: import data (./reco jobs import-online-retail) or PUT /api/items first.");
        var items = catalog.Values.OrderBy(i => i.Id, StringComparer.Ordinal).ToList();

        float[]? embeddings = null;
        EncoderIdentity? identity = null;
        int dimension = 0, withText = items.Count(i => i.Title.Length > 0);
        if (encoderDirectory is not null)
        {
            using var encoder = TextEncoder.Load(encoderDirectory);
            await progress.RunAsync(string.Create(CultureInfo.InvariantCulture, $"embedding the titles of {items.Count:N0} items (batch size {batchSize})"), advance =>
            {
                var batch = ItemTextEmbeddings.Embed(items, encoder, batchSize, (done, total) => advance(done, total), ct);
                embeddings = batch.Embeddings;
                withText = batch.HasText.Count(t => t);
                return Task.CompletedTask;
            }).ConfigureAwait(false);
            identity = encoder.Identity;
            dimension = encoder.Dimension;
        }
        var artifacts = SearchIndex.Build(items, SearchIndexStore.NewVersion(DateTimeOffset.UtcNow), DateTimeOffset.UtcNow, embeddings, identity, dimension);
        var searchStore = new SearchIndexStore(store.Blobs);
        var written = await searchStore.WriteVersionAsync(artifacts, ct).ConfigureAwait(false);
        var published = await searchStore.PublishAsync(written.Version, ct).ConfigureAwait(false);
        return new Result(written, published, withText, Stopwatch.GetElapsedTime(started).TotalSeconds, store.Description);
    }
}
