using System.Diagnostics;
using System.Globalization;
using ServerlessReco.Catalog;
using ServerlessReco.Embed;
using ServerlessReco.Publish;
using ServerlessReco.Storage;
using ServerlessReco.Train;

namespace ServerlessReco.Jobs.Train;

/// <summary>What a training run did; the CLI renders it.</summary>
/// <param name="Embedding">What adding embeddings did; null without an encoder.</param>
public sealed record TrainResult(
    ModelManifest Manifest, string Store, long Events, int Users, int Items, long NonZeros, double ReadSeconds, double SecondsPerIteration,
    int Threads, double TotalSeconds, ModelEmbeddingReport? Embedding, IReadOnlyList<Sequence.SequenceEpochReport>? SequenceEpochs = null);

/// <summary>Hyper-parameters given on the command line; each replaces the stored or default value it names.</summary>
public sealed record ParameterOverrides(int? Factors = null, int? Iterations = null, float? Regularization = null, float? Alpha = null, double? HalfLifeDays = null, int? Seed = null)
{
    public TrainingParameters ApplyTo(TrainingParameters parameters)
    {
        var named = new List<string>();
        void Note(object? value, string name) { if (value is not null) named.Add(string.Create(CultureInfo.InvariantCulture, $"{name} {value}")); }
        Note(Factors, "factors"); Note(Iterations, "iterations"); Note(Regularization, "regularization"); Note(Alpha, "alpha");
        Note(HalfLifeDays, "half-life"); Note(Seed, "seed");
        if (named.Count == 0) return parameters;
        var als = parameters.Als;
        return parameters with
        {
            Als = als with
            {
                Factors = Factors ?? als.Factors, Iterations = Iterations ?? als.Iterations, Regularization = Regularization ?? als.Regularization,
                Alpha = Alpha ?? als.Alpha, Seed = Seed ?? als.Seed,
            },
            Interactions = parameters.Interactions with { HalfLifeDays = HalfLifeDays ?? parameters.Interactions.HalfLifeDays },
            ChosenBy = $"{parameters.ChosenBy}; command line: {string.Join(", ", named)}",
        };
    }
}

public static class TrainJob
{
    /// <summary>
    /// What train and evaluate learn with: the parameters `evaluate --tune` stored last (the defaults when it never
    /// ran), then whatever the command line names.
    /// </summary>
    public static async Task<TrainingParameters> ParametersAsync(DataStore store, ParameterOverrides overrides, CancellationToken ct)
    {
        var parameters = overrides.ApplyTo(await store.Models.ReadTunedParametersAsync(ct).ConfigureAwait(false) ?? new TrainingParameters());
        parameters.Validate();
        return parameters;
    }

    /// <summary>
    /// Reads the event log and catalogue, trains ALS and popularity, writes a new (unpublished) model version. With
    /// <paramref name="encoderDirectory"/> the version also gets item embeddings and cold-start factors, as
    /// `embed-items` would add them.
    /// </summary>
    public static async Task<TrainResult> RunAsync(DataStore store, TrainSettings settings, IJobProgress progress, CancellationToken ct,
        string? encoderDirectory = null, int embedBatchSize = 32)
    {
        var clock = Stopwatch.StartNew();
        // Loaded before the slow part so a wrong folder fails at once.
        using var encoder = encoderDirectory is null ? null : TextEncoder.Load(encoderDirectory);
        var events = await store.EventLog.ReadDistinctAsync(settings.Until, ct: ct).ConfigureAwait(false);
        if (events.Count == 0) throw new InvalidOperationException($"The event log in {store.Description} has no events{(settings.Until is { } u ? " up to " + u.ToString("O") : "")}: import or ingest some first.");
        var catalog = await store.Catalog.ReadByIdAsync(ct).ConfigureAwait(false);
        double readSeconds = clock.Elapsed.TotalSeconds;

        var data = TrainingData.Build(events, settings.Parameters.Interactions, settings.Until, catalog.Keys);
        var als = settings.Als;
        double alsSeconds = 0;
        AlsFactors? factors = null;
        await progress.RunAsync($"ALS {als.Factors} factors, {als.Iterations} iterations", advance =>
        {
            factors = ImplicitAls.Fit(data.UserItems, als, report =>
            {
                alsSeconds += report.Seconds;
                advance(report.Iteration, als.Iterations);
            }, ct);
            return Task.CompletedTask;
        }).ConfigureAwait(false);
        var model = TrainedModel.Build(data, factors!, settings.Parameters, catalog, DateTimeOffset.UtcNow);
        if (await store.Models.ReadEvaluationOfAsync(settings.Parameters, ct).ConfigureAwait(false) is { } evaluation)
            model = model with { Manifest = model.Manifest with { Evaluation = evaluation } };
        List<Sequence.SequenceEpochReport>? epochs = null;
        if (settings.Sequence is { } sequence)
        {
            epochs = [];
            await progress.RunAsync($"sequence model, hidden {sequence.Hidden}, {sequence.Blocks} blocks, up to {sequence.MaxEpochs} epochs", advance =>
            {
                model = Sequence.SequenceModel.Add(model, events, sequence, report =>
                {
                    epochs.Add(report);
                    advance(report.Epoch, sequence.MaxEpochs);
                }, ct);
                return Task.CompletedTask;
            }).ConfigureAwait(false);
        }

        ModelEmbeddingReport? embedding = null;
        if (encoder is not null)
        {
            var warm = new bool[data.ItemIds.Length];
            foreach (int item in data.UserItems.ColumnIndices) warm[item] = true;
            EmbeddedModel? embedded = null;
            await progress.RunAsync(string.Create(CultureInfo.InvariantCulture, $"embedding the titles of {data.ItemIds.Length:N0} items (batch size {embedBatchSize})"), advance =>
            {
                embedded = ModelEmbeddings.Add(model, catalog, warm, encoder, embedBatchSize, (done, total) => advance(done, total), ct: ct);
                return Task.CompletedTask;
            }).ConfigureAwait(false);
            (model, embedding) = (embedded!.Model, embedded.Report);
        }
        var written = await store.Models.WriteVersionAsync(model, ct).ConfigureAwait(false);
        return new TrainResult(written, store.Description, data.EventCount, data.UserIds.Length, data.ItemIds.Length, data.UserItems.NonZeros, readSeconds,
            alsSeconds / Math.Max(1, als.Iterations), als.Threads, clock.Elapsed.TotalSeconds, embedding, epochs);
    }
}
