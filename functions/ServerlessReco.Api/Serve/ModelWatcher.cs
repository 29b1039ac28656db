using ServerlessReco.Domain;
using ServerlessReco.Feedback;
using System.Diagnostics;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using ServerlessReco.Publish;
using ServerlessReco.Storage;
using ServerlessReco.Rank;

namespace ServerlessReco.Functions.Serve;

/// <summary>
/// Polls models/current.json and swaps in each new version once it has loaded and verified in the background.
/// A version whose manifest fails current.json's manifestSha256, or whose files fail their sha256, is refused:
/// the model already loaded keeps serving and health reports the refusal until current.json changes again (a
/// republish of the repaired version is tried afresh). Requests read <see cref="Current"/> once and keep that
/// instance, so a swap never mixes two versions within one answer. current.json may name an experiment's
/// challenger: it is loaded and verified the same way, and served beside the published version (<see cref="ServedModels"/>).
/// </summary>
public sealed class ModelWatcher(
    DataStore store, ModelPrefetch prefetch, ServeOptions settings, ShopperTokens tokens, IServer server, IHostApplicationLifetime lifetime, ILogger<ModelWatcher> logger) : BackgroundService
{
    private volatile ServedModels? _served;
    private CurrentModel? _installed;
    private CurrentModel? _refused;
    private volatile string? _refusal;
    private volatile string? _pollFailure;

    /// <summary>The published version (the control arm while an experiment runs).</summary>
    public ServingModel? Current => _served?.Control;

    /// <summary>The published version and, while an experiment runs, its challenger: read once per request.</summary>
    public ServedModels? Served => _served;

    /// <summary>
    /// Why the newest published version is not the one serving, if it is not; null once a poll succeeds and nothing
    /// is refused. Health shows it to anyone, so it names no storage address and no exception text: the log has those.
    /// </summary>
    public string? LastLoadError => _refusal ?? _pollFailure;
    public DateTimeOffset? LastPollAt { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Hosted services start before Kestrel binds: leave at once so GET / answers the host's readiness probe.
        await Task.Yield();
        // Every recommendation reads the events table: open that connection while the model downloads, so the
        // first shopper after a cold start does not pay for it.
        _ = WarmEventsTableAsync(stoppingToken);
        using var timer = new PeriodicTimer(settings.ModelPollInterval);
        do
        {
            try
            {
                await PollAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Storage down or throttled: keep serving what is loaded and try again at the next tick.
                _pollFailure = $"Polling {ModelStore.CurrentPath} failed at {DateTimeOffset.UtcNow:O}: storage was unreachable or refused the read.";
                logger.LogWarning(e, "Polling for a new model failed; serving {Version}", _served?.Control.Version ?? "nothing");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task WarmEventsTableAsync(CancellationToken ct)
    {
        try
        {
            await store.RecentEvents.ReadRecentAsync("warm-up", DateTimeOffset.MinValue, 1, ct);
        }
        catch (Exception e)
        {
            logger.LogDebug(e, "Warming the events table connection failed; the first request will open it");
        }
    }

    private async Task PollAsync(CancellationToken ct)
    {
        var prefetched = prefetch.Take();
        var published = await (prefetched?.Current ?? store.Models.ReadCurrentAsync(ct));
        LastPollAt = DateTimeOffset.UtcNow;
        _pollFailure = null;
        if (published is null || published == _installed)
        {
            _refusal = null;
            return;
        }
        // A refused version is not downloaded again every tick; any change to current.json (a new version, or the
        // repaired one published again, which rewrites publishedAt) is tried afresh.
        if (published == _refused) return;

        var served = _served;
        var started = Stopwatch.GetTimestamp();
        ServingModel model;
        if (served?.Control.Version == published.Version) model = served.Control;
        // Promoting the challenger: it is loaded and verified already.
        else if (served?.Challenger?.Version == published.Version && served.Experiment?.ManifestSha256 == published.ManifestSha256) model = served.Challenger;
        else
        {
            try
            {
                // The prefetch loaded what it found current, which is what this poll is installing.
                var artifacts = prefetched is { } download ? await download.Artifacts : null;
                model = ServingModel.Build(artifacts ?? await store.Models.LoadAsync(published, ct));
            }
            catch (Exception e) when (e is ModelIntegrityException or ArgumentException)
            {
                Refuse(published, published.Version, e.Message);
                return;
            }
            LogLoaded(model, started);
        }

        // A challenger that fails its checks leaves the published version serving everyone: no experiment.
        ServingModel? challenger = null;
        string? challengerRefusal = null;
        if (published.Experiment is { } experiment)
        {
            if (served?.Challenger?.Version == experiment.Version) challenger = served.Challenger;
            else if (served?.Control.Version == experiment.Version) challenger = served.Control;
            else
            {
                try
                {
                    challenger = ServingModel.Build(await store.Models.LoadAsync(new CurrentModel(experiment.Version, experiment.StartedAt, experiment.ManifestSha256), ct));
                    LogLoaded(challenger, started);
                }
                catch (Exception e) when (e is ModelIntegrityException or ArgumentException)
                {
                    challengerRefusal = e.Message;
                }
            }
        }

        bool first = served is null;
        _served = new ServedModels(model, challenger, challenger is null ? null : published.Experiment);
        // Not installed while the challenger is refused: the refusal stays in health until current.json changes.
        _installed = challengerRefusal is null ? published : null;
        _refused = null;
        _refusal = null;
        if (challengerRefusal is not null) Refuse(published, published.Experiment!.Version, challengerRefusal);
        else if (published.Experiment is { } running)
            logger.LogInformation("Experiment {Experiment}: {Share:P1} of shoppers get {Challenger}, the others {Control}", running.Id, running.Share, running.Version, model.Version);
        if (first) PrintDemoRequests();
    }

    private void Refuse(CurrentModel published, string version, string reason)
    {
        _refused = published;
        // The reasons name the version's files and fields, never storage addresses.
        _refusal = $"Refused model version {version}: {reason}";
        logger.LogError("Refused model version {Version}: {Reason}. Still serving {Serving}.", version, reason, _served?.Control.Version ?? "nothing");
    }

    private void LogLoaded(ServingModel model, long started) => logger.LogInformation(
        "Model loaded: version {Version} ({Users} users, {Items} items, {Factors} factors, {Kernel} scan) in {LoadMs:F0} ms, {StartMs:F0} ms after process start",
        model.Version, model.Artifacts.UserCount, model.ItemCount, model.K, QuantizedItemFactors.Kernel, Stopwatch.GetElapsedTime(started).TotalMilliseconds, ProcessClock.MillisecondsSinceStart());

    /// <summary>Pseudonyms cannot be reversed, so the demo names its shoppers' raw ids in RECO_DEMO_USERS.</summary>
    private void PrintDemoRequests()
    {
        if (settings.DemoUsers.Count == 0) return;
        // The first model can load before Kestrel binds, when the address is not known yet; Register runs at once
        // once the app has started.
        lifetime.ApplicationStarted.Register(() => PrintDemoRequests(server.Features.Get<IServerAddressesFeature>()!.Addresses.First()));
    }

    private void PrintDemoRequests(string address)
    {
        Console.WriteLine("Try these requests:");
        foreach (var (user, market) in settings.DemoUsers)
            Console.WriteLine($"  curl -s -H 'Authorization: Bearer {tokens.Mint(user, DateTimeOffset.UtcNow.AddDays(1))}' '{address}/api/recommendations/{Uri.EscapeDataString(user)}?market={market}&count=10'");
        Console.WriteLine($"  curl -s '{address}/api/popular?market={settings.DemoUsers[0].Market}&count=10'");
        // A fragment with a typo: lexical matching tolerates it and the encoder finds the same products by meaning.
        Console.WriteLine($"  curl -s '{address}/api/search?q=hangng+heart+holdr&market={settings.DemoUsers[0].Market}&count=5'");
        Console.WriteLine("Open in a browser (a local handler asks for no function key):");
        Console.WriteLine($"  storefront preview: {address}{Operator.WebPages.Route}/{Operator.WebPages.PreviewPage}");
        Console.WriteLine($"  operator console:   {address}{Operator.WebPages.Route}/{Operator.WebPages.ConsolePage}");
    }
}

/// <summary>What serves right now: the published version and, while an experiment runs, its challenger.</summary>
public sealed record ServedModels(ServingModel Control, ServingModel? Challenger, ModelExperiment? Experiment)
{
    /// <param name="shopperKey">The shopper's pseudonym; null when the request names no shopper (always the published version).</param>
    public (ServingModel Model, Arm Arm) Choose(string? shopperKey) =>
        Experiment is { } e && Challenger is { } challenger && shopperKey is not null && ArmAssignment.Assign(e.Id, shopperKey, e.Share) == Arm.Challenger
            ? (challenger, Arm.Challenger)
            : (Control, Arm.Control);
}
