using System.IO.Compression;
using System.Text;
using ServerlessReco.Jobs;
using ServerlessReco.Jobs.Evaluate;
using ServerlessReco.Jobs.Import;
using ServerlessReco.Jobs.Train;
using ServerlessReco.Publish;
using ServerlessReco.Storage;

namespace ServerlessReco.Tests.Pipeline;

/// <summary>import -> event log -> train -> publish on azurite, with the first rows of the real Online Retail data.</summary>
public sealed class BatchPipelineTests : IAsyncLifetime
{
    private readonly string _sample = Path.Combine(Path.GetTempPath(), "online-retail-sample-" + Guid.NewGuid().ToString("N") + ".csv");
    private readonly DataStore _store = TestStorage.NewStore();

    public async Task InitializeAsync()
    {
        await using var gz = new GZipStream(File.OpenRead(ImportJobs.BundledOnlineRetail), CompressionMode.Decompress);
        using var reader = new StreamReader(gz, Encoding.UTF8);
        await using var writer = new StreamWriter(_sample);
        for (int i = 0; i < 30_001 && await reader.ReadLineAsync() is { } line; i++) await writer.WriteLineAsync(line);
    }

    public Task DisposeAsync()
    {
        File.Delete(_sample);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Import_writes_the_event_log_and_catalogue_and_a_second_import_adds_nothing()
    {
        var report = (await ImportJobs.OnlineRetailAsync(_store, _sample, IJobProgress.None, default)).Report;
        Assert.Equal(30_000, report.Rows);
        var events = await _store.EventLog.ReadDistinctAsync();
        Assert.Equal(report.Events, events.Count);
        int items = 0;
        await foreach (var _ in _store.Catalog.ReadAllAsync()) items++;
        Assert.Equal(report.Items, items);
        var paths = new List<string>();
        await foreach (var p in _store.Blobs.ListAsync(Containers.Events, "2010/12/")) paths.Add(p);
        Assert.NotEmpty(paths);

        await ImportJobs.OnlineRetailAsync(_store, _sample, IJobProgress.None, default);
        Assert.Equal(events.Count, (await _store.EventLog.ReadDistinctAsync()).Count);
    }

    [Fact]
    public async Task Train_and_publish_produce_a_verified_version_and_a_corrupt_blob_is_refused()
    {
        await ImportJobs.OnlineRetailAsync(_store, _sample, IJobProgress.None, default);
        var manifest = (await TrainJob.RunAsync(_store, new TrainSettings { Parameters = new() { Als = new() { Factors = 16, Iterations = 5 } } }, IJobProgress.None, default)).Manifest;
        Assert.Equal(16, manifest.Training.Als.Factors);
        Assert.True(manifest.Counts["users"] > 100);
        await _store.Models.PublishAsync(manifest.Version);
        var model = await _store.Models.LoadAsync((await _store.Models.ReadCurrentAsync())!.Version);
        Assert.Equal(model.ItemCount * 16, model.ItemFactors.Length);
        Assert.Contains("GB", model.PopularityMarkets);

        var path = $"{manifest.Version}/user_factors.npy";
        var bytes = (await _store.Blobs.GetAsync(Containers.Models, path))!.ToArray();
        bytes[200] ^= 1;
        await _store.Blobs.PutAsync(Containers.Models, path, new BinaryData(bytes), overwrite: true);
        var error = await Assert.ThrowsAsync<ModelIntegrityException>(() => _store.Models.LoadAsync(manifest.Version));
        Assert.Contains("user_factors.npy", error.Message);
        Assert.Contains("sha256", error.Message);

        // A blob cut short (an interrupted copy) is refused by its size while it streams in.
        bytes[200] ^= 1;
        await _store.Blobs.PutAsync(Containers.Models, path, new BinaryData(bytes), overwrite: true);
        var itemPath = $"{manifest.Version}/item_factors.npy";
        var itemBytes = (await _store.Blobs.GetAsync(Containers.Models, itemPath))!.ToArray();
        await _store.Blobs.PutAsync(Containers.Models, itemPath, new BinaryData(itemBytes[..^100]), overwrite: true);
        error = await Assert.ThrowsAsync<ModelIntegrityException>(() => _store.Models.LoadAsync(manifest.Version));
        Assert.Contains("item_factors.npy is truncated", error.Message);
    }

    [Fact]
    public async Task Erased_users_are_left_out_of_the_next_training_run()
    {
        await ImportJobs.OnlineRetailAsync(_store, _sample, IJobProgress.None, default);
        var events = await _store.EventLog.ReadDistinctAsync();
        var user = events.First(e => e.User.Length > 0).User;
        await _store.EventLog.RecordTombstoneAsync(user, DateTimeOffset.UtcNow);
        var manifest = (await TrainJob.RunAsync(_store, new TrainSettings { Parameters = new() { Als = new() { Factors = 8, Iterations = 2 } } }, IJobProgress.None, default)).Manifest;
        var model = await _store.Models.LoadAsync(manifest.Version);
        Assert.DoesNotContain(user, model.UserIds);
        Assert.DoesNotContain(await _store.EventLog.ReadDistinctAsync(), e => e.User == user);
    }

    [Fact]
    public async Task Evaluation_reports_every_method_on_a_time_split()
    {
        await ImportJobs.OnlineRetailAsync(_store, _sample, IJobProgress.None, default);
        var report = await EvaluateJob.RunAsync(_store, "time:2010-12-10", 10, new TrainSettings { Parameters = new() { Als = new() { Factors = 16, Iterations = 5 } } }, tune: false, default);
        Assert.Equal(["popularity (global)", "popularity (market)", "item-kNN (cosine)", "ALS (16 factors, raw scores)", "served pipeline", "served, diversity 0.3 + cross-category"],
            report.Results.Select(r => r.Method));
        Assert.True(report.TestUsers > 0);
        Assert.All(report.Results, r => Assert.InRange(r.Metrics.Ndcg, 0, 1));
        Assert.All(report.Results, r => Assert.InRange(r.Metrics.Diversity, 0, 1));
        Assert.All(report.Results, r => Assert.True(r.Metrics.Novelty > 0, $"{r.Method} has no novelty figure"));
        Assert.All(report.Results, r => Assert.NotEmpty(r.Metrics.Markets!));
        Assert.True(report.Results.Max(r => r.Metrics.HitRate) > 0);
        var served = report.Results.Single(r => r.Method == EvaluationReport.Served);
        var diverse = report.Results.Last();
        // Asking for variety must show as more category diversity than the plain served list.
        Assert.True(diverse.Metrics.Diversity > served.Metrics.Diversity, $"diverse {diverse.Metrics.Diversity} vs served {served.Metrics.Diversity}");
    }

    [Fact]
    public async Task What_evaluate_tune_chooses_is_what_train_publishes_unless_the_command_line_overrides_it()
    {
        await ImportJobs.OnlineRetailAsync(_store, _sample, IJobProgress.None, default);
        var settings = new TrainSettings { Parameters = new() { Als = new() { Iterations = 2 } } };
        var report = await EvaluateJob.RunAsync(_store, "time:2010-12-10", 10, settings, tune: true, default);
        Assert.Equal(27, report.Tuning!.Count);
        var best = report.Tuning.MaxBy(t => t.ValidationNdcg)!;

        var tuned = await TrainJob.ParametersAsync(_store, new ParameterOverrides(), default);
        var manifest = (await TrainJob.RunAsync(_store, new TrainSettings { Parameters = tuned }, IJobProgress.None, default)).Manifest;
        var overridden = await TrainJob.ParametersAsync(_store, new ParameterOverrides(Factors: 8), default);

        Assert.Equal((best.Factors, best.Alpha, best.Regularization), (manifest.Training.Als.Factors, manifest.Training.Als.Alpha, manifest.Training.Als.Regularization));
        Assert.Equal(report.Parameters, manifest.Training);
        Assert.StartsWith("evaluate --tune", manifest.Training.ChosenBy);
        Assert.Equal((8, best.Alpha), (overridden.Als.Factors, overridden.Als.Alpha));
        Assert.Contains("command line: factors 8", overridden.ChosenBy);

        // The evaluation of exactly these parameters travels in the manifest (the console charts it); a version
        // trained with other parameters carries none rather than figures that are not its own.
        var evaluation = manifest.Evaluation!;
        Assert.Equal(report.Split, evaluation.Split);
        Assert.Equal(report.Results.Select(r => (r.Method, r.Metrics.Ndcg, r.Metrics.Coverage)), evaluation.Methods.Select(m => (m.Method, m.Metrics.Ndcg, m.Metrics.Coverage)));
        Assert.Equal(report.Results.Single(r => r.Method == EvaluationReport.Served).Metrics.Markets!, evaluation.Methods.Single(m => m.Method == EvaluationReport.Served).Metrics.Markets!);
        var other = (await TrainJob.RunAsync(_store, new TrainSettings { Parameters = overridden with { Als = overridden.Als with { Iterations = 1 } } }, IJobProgress.None, default)).Manifest;
        Assert.Null(other.Evaluation);
    }
}
