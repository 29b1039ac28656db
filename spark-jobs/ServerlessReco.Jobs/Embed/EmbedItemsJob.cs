using System.Diagnostics;
using System.Globalization;
using ServerlessReco.Domain;
using ServerlessReco.Embed;
using ServerlessReco.Jobs.Import;
using ServerlessReco.Publish;
using ServerlessReco.Storage;
using ServerlessReco.Train;
using Spectre.Console;

namespace ServerlessReco.Jobs.Embed;

/// <summary>
/// Item text embeddings and the cold-start map, added to a model version. `embed-items` does it for an existing
/// version; `train --model` does it before writing, through the same <see cref="AddEmbeddingsAsync"/>.
/// </summary>
public static class EmbedItemsJob
{
    public const string EncoderDirectoryVariable = "RECO_ENCODER_DIR";
    public const string NoEncoderMessage = "no encoder configured: set --model or RECO_ENCODER_DIR; the rest of the pipeline runs without embeddings";

    // Texts handed to the encoder per call: large enough for its length-sorted batching, small enough for a live progress bar.
    private const int TextsPerChunk = 512;

    /// <summary>--model, else RECO_ENCODER_DIR, else null (no embeddings).</summary>
    public static string? EncoderDirectory(string? option) =>
        !string.IsNullOrWhiteSpace(option) ? option
        : Environment.GetEnvironmentVariable(EncoderDirectoryVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment
        : null;

    /// <summary>
    /// Loads <paramref name="version"/> (default: the newest version in the store), embeds every item and writes a
    /// new version with the base version's arrays plus item_embeddings.npy and cold-start factors. Returns null,
    /// after saying so, when no encoder is configured.
    /// </summary>
    public static async Task<ModelManifest?> RunAsync(DataStore store, string? encoderDirectory, string? version, int batchSize, CancellationToken ct)
    {
        if (encoderDirectory is null)
        {
            AnsiConsole.MarkupLine(Markup.Escape(NoEncoderMessage));
            return null;
        }
        using var encoder = TextEncoder.Load(encoderDirectory);
        var versions = await store.Models.ListVersionsAsync(ct).ConfigureAwait(false);
        var baseVersion = version ?? versions.Max(StringComparer.Ordinal)
            ?? throw new InvalidOperationException($"{store.Description} has no model versions: run ./reco jobs train first.");
        var model = await store.Models.LoadAsync(baseVersion, ct).ConfigureAwait(false);
        var catalog = await ReadCatalogAsync(store, ct).ConfigureAwait(false);

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

        var embedded = await AddEmbeddingsAsync(model, catalog, warm, encoder, batchSize, ct, baseVersion: model.Version).ConfigureAwait(false);
        var written = await store.Models.WriteVersionAsync(embedded, ct).ConfigureAwait(false);
        AnsiConsole.MarkupLine($"[green]model version {written.Version}[/] (version {baseVersion} plus item embeddings) written to {Markup.Escape(store.Description)}; publish it with: ./reco jobs publish --version {written.Version}");
        return written;
    }

    public static async Task<Dictionary<string, CatalogItem>> ReadCatalogAsync(DataStore store, CancellationToken ct)
    {
        var catalog = new Dictionary<string, CatalogItem>(StringComparer.Ordinal);
        await foreach (var item in store.Catalog.ReadAllAsync(ct).ConfigureAwait(false)) catalog[item.Id] = item;
        return catalog;
    }

    /// <summary>
    /// <paramref name="model"/> as a new, unwritten version: its arrays, item embeddings from every item's titles
    /// (<see cref="ItemTextEmbeddings"/>), the encoder's identity, and predicted factors for items that are not
    /// <paramref name="warm"/> (<see cref="ContentToFactors"/>), with the map's validation figures in the metrics.
    /// Items with no title keep zero embeddings and their factors.
    /// </summary>
    public static async Task<ModelArtifacts> AddEmbeddingsAsync(
        ModelArtifacts model, IReadOnlyDictionary<string, CatalogItem> catalog, bool[] warm, TextEncoder encoder, int batchSize, CancellationToken ct, string? baseVersion = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        int d = encoder.Dimension, items = model.ItemCount;

        // Every distinct text once, even when several items (or languages) share it.
        var textIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var texts = new List<string>();
        var itemRows = new int[items][];
        for (int i = 0; i < items; i++)
        {
            var itemTexts = catalog.TryGetValue(model.ItemIds[i], out var item) ? ItemTextEmbeddings.TextsOf(item) : [];
            itemRows[i] = itemTexts.Select(text =>
            {
                if (!textIndex.TryGetValue(text, out int row)) { row = texts.Count; textIndex[text] = row; texts.Add(text); }
                return row;
            }).ToArray();
        }

        var clock = Stopwatch.StartNew();
        var textEmbeddings = new float[texts.Count * d];
        await ImportJobs.Progress($"embedding {texts.Count:N0} titles of {items:N0} items (batch size {batchSize})", texts.Count, advance =>
        {
            for (int start = 0; start < texts.Count; start += TextsPerChunk)
            {
                ct.ThrowIfCancellationRequested();
                int count = Math.Min(TextsPerChunk, texts.Count - start);
                encoder.Embed(texts.GetRange(start, count), batchSize).CopyTo(textEmbeddings.AsSpan(start * d));
                advance(start + count);
            }
            return Task.CompletedTask;
        }).ConfigureAwait(false);
        double seconds = clock.Elapsed.TotalSeconds;

        var embeddings = new float[items * d];
        var hasText = new bool[items];
        for (int i = 0; i < items; i++)
        {
            hasText[i] = itemRows[i].Length > 0;
            ItemTextEmbeddings.Combine(textEmbeddings, d, itemRows[i], embeddings.AsSpan(i * d, d));
        }
        int withText = hasText.Count(h => h);
        AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
            $"embedded {withText:N0} items ({texts.Count:N0} distinct titles) in {seconds:F1} s: {withText / Math.Max(seconds, 1e-9):F1} items/s, {texts.Count / Math.Max(seconds, 1e-9):F1} titles/s; {items - withText:N0} items without a title keep zero embeddings"));

        var itemFactors = (float[])model.ItemFactors.Clone();
        var metrics = new Dictionary<string, double>(model.Manifest.Metrics);
        var counts = new Dictionary<string, long>(model.Manifest.Counts)
        {
            ["embeddedItems"] = withText,
            ["embeddedTitles"] = texts.Count,
        };
        int warmWithText = Enumerable.Range(0, items).Count(i => warm[i] && hasText[i]);
        if (warmWithText >= ContentToFactors.MinimumWarmItems)
        {
            var report = ContentToFactors.FillColdItems(itemFactors, model.Factors, embeddings, d, warm, hasText);
            metrics["coldStart.validationRelativeError"] = report.ValidationRelativeError;
            metrics["coldStart.validationCosine"] = report.ValidationCosine;
            metrics["coldStart.lambda"] = report.Lambda;
            counts["coldStartItems"] = report.FilledItems;
            AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                $"cold-start map: lambda {report.Lambda}, on {report.ValidationItems:N0} held-out warm items relative squared error {report.ValidationRelativeError:F3}, mean cosine {report.ValidationCosine:F3}; factors predicted for {report.FilledItems:N0} items without interactions"));
        }
        else
        {
            AnsiConsole.MarkupLine($"[yellow]cold-start map skipped:[/] {warmWithText} warm items have a title, at least {ContentToFactors.MinimumWarmItems} are needed");
        }

        var now = DateTimeOffset.UtcNow;
        return new ModelArtifacts
        {
            Manifest = model.Manifest with
            {
                Version = ModelStore.NewVersion(now),
                CreatedAt = now,
                Encoder = encoder.Identity,
                BaseVersion = baseVersion,
                Metrics = metrics,
                Counts = counts,
                Files = [],
            },
            UserIds = model.UserIds,
            ItemIds = model.ItemIds,
            UserFactors = model.UserFactors,
            ItemFactors = itemFactors,
            PopularityMarkets = model.PopularityMarkets,
            Popularity = model.Popularity,
            ItemCategories = model.ItemCategories,
            ItemEmbeddings = embeddings,
            EmbeddingDimension = d,
        };
    }
}
