using System.Diagnostics;
using ServerlessReco.Catalog;
using ServerlessReco.Embed;
using ServerlessReco.Jobs.Cli;
using ServerlessReco.Publish;
using ServerlessReco.Storage;
using ServerlessReco.Train;
using Spectre.Console;

namespace ServerlessReco.Jobs.Train;

public static class TrainJob
{
    /// <summary>
    /// Reads the event log and catalogue, trains ALS and popularity, writes a new (unpublished) model version. With
    /// <paramref name="encoderDirectory"/> the version also gets item embeddings and cold-start factors, as
    /// `embed-items` would add them.
    /// </summary>
    public static async Task<ModelManifest> RunAsync(DataStore store, TrainSettings settings, CancellationToken ct, string? encoderDirectory = null, int embedBatchSize = 32)
    {
        var clock = Stopwatch.StartNew();
        // Loaded before the slow part so a wrong folder fails at once.
        using var encoder = encoderDirectory is null ? null : TextEncoder.Load(encoderDirectory);
        var events = await store.EventLog.ReadDistinctAsync(settings.Until, ct: ct).ConfigureAwait(false);
        if (events.Count == 0) throw new InvalidOperationException($"The event log in {store.Description} has no events{(settings.Until is { } u ? " up to " + u.ToString("O") : "")}: import or ingest some first.");
        var catalog = await store.Catalog.ReadByIdAsync(ct).ConfigureAwait(false);
        double readSeconds = clock.Elapsed.TotalSeconds;

        var data = TrainingData.Build(events, settings.Weights, settings.HalfLifeDays, settings.Until, catalog.Keys);
        AnsiConsole.MarkupLine($"events {events.Count:N0} (distinct ids), users {data.UserIds.Length:N0}, items {data.ItemIds.Length:N0}, non-zeros {data.UserItems.NonZeros:N0}, read in {readSeconds:F1} s");

        var factors = await FitAsync(data.UserItems, settings.Als, ct).ConfigureAwait(false);
        var now = DateTimeOffset.UtcNow;
        var manifest = new ModelManifest
        {
            Version = ModelStore.NewVersion(now),
            CreatedAt = now,
            TrainedUntil = data.NewestEvent,
            Factors = settings.Factors,
            Parameters = settings.Describe(),
            Counts = new()
            {
                ["events"] = data.EventCount,
                ["anonymousEvents"] = data.AnonymousEventCount,
                ["users"] = data.UserIds.Length,
                ["items"] = data.ItemIds.Length,
                ["nonZeros"] = data.UserItems.NonZeros,
                ["markets"] = data.Markets.Length - 1,
            },
        };
        var model = new ModelArtifacts
        {
            Manifest = manifest,
            UserIds = data.UserIds,
            ItemIds = data.ItemIds,
            UserFactors = factors.UserFactors,
            ItemFactors = factors.ItemFactors,
            PopularityMarkets = data.Markets,
            Popularity = data.ShrunkPopularity(settings.PopularityShrinkage),
            PurchasePointers = data.Purchases.RowPointers,
            PurchaseItems = data.Purchases.ColumnIndices,
            ItemCategories = data.ItemIds.Select(id => catalog.TryGetValue(id, out var c) ? c.Category : "").ToArray(),
        };
        if (encoder is null)
        {
            AnsiConsole.MarkupLine(Markup.Escape(JobConsole.NoEncoderMessage));
        }
        else
        {
            var warm = new bool[data.ItemIds.Length];
            foreach (int item in data.UserItems.ColumnIndices) warm[item] = true;
            EmbeddedModel? embedded = null;
            await JobConsole.Progress.RunAsync($"embedding the titles of {data.ItemIds.Length:N0} items (batch size {embedBatchSize})", advance =>
            {
                embedded = ModelEmbeddings.Add(model, catalog, warm, encoder, embedBatchSize, (done, total) => advance(done, total), ct);
                return Task.CompletedTask;
            }).ConfigureAwait(false);
            JobConsole.Render(embedded!.Report);
            model = embedded.Model;
        }
        var written = await store.Models.WriteVersionAsync(model, ct).ConfigureAwait(false);
        AnsiConsole.MarkupLine($"[green]model version {written.Version}[/] written to {Markup.Escape(store.Description)} models/{written.Version}/ ({written.Files.Values.Sum(f => f.Bytes) / 1e6:F1} MB) in {clock.Elapsed.TotalSeconds:F1} s; publish it with: ./reco jobs publish --version {written.Version}");
        return written;
    }

    /// <summary>ALS with a per-iteration progress bar.</summary>
    public static async Task<AlsFactors> FitAsync(CsrMatrix userItems, AlsOptions options, CancellationToken ct)
    {
        AlsFactors? result = null;
        double total = 0;
        await JobConsole.Progress.RunAsync($"ALS {options.Factors} factors, {options.Iterations} iterations", advance =>
        {
            result = ImplicitAls.Fit(userItems, options, report =>
            {
                total += report.Seconds;
                advance(report.Iteration, options.Iterations);
            }, ct);
            return Task.CompletedTask;
        }).ConfigureAwait(false);
        AnsiConsole.MarkupLine($"ALS: {total / Math.Max(1, options.Iterations):F3} s/iteration on {options.Threads} threads");
        return result!;
    }
}
