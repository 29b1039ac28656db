using ServerlessReco.Domain;
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
/// instance, so a swap never mixes two versions within one answer.
/// </summary>
public sealed class ModelWatcher(
    DataStore store, ModelPrefetch prefetch, ServeOptions settings, ShopperTokens tokens, IServer server, IHostApplicationLifetime lifetime, ILogger<ModelWatcher> logger) : BackgroundService
{
    private volatile ServingModel? _current;
    private CurrentModel? _refused;
    private volatile string? _refusal;
    private volatile string? _pollFailure;

    public ServingModel? Current => _current;

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
                logger.LogWarning(e, "Polling for a new model failed; serving {Version}", _current?.Version ?? "nothing");
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
        if (published is null || published.Version == _current?.Version)
        {
            _refusal = null;
            return;
        }
        // A refused version is not downloaded again every tick; any change to current.json (a new version, or the
        // repaired one published again, which rewrites publishedAt) is tried afresh.
        if (published == _refused) return;

        var started = Stopwatch.GetTimestamp();
        ServingModel model;
        try
        {
            // The prefetch loaded what it found current, which is what this poll is installing.
            var artifacts = prefetched is { } download ? await download.Artifacts : null;
            model = ServingModel.Build(artifacts ?? await store.Models.LoadAsync(published, ct));
        }
        catch (Exception e) when (e is ModelIntegrityException or ArgumentException)
        {
            _refused = published;
            // The reasons name the version's files and fields, never storage addresses.
            _refusal = $"Refused model version {published.Version}: {e.Message}";
            logger.LogError("Refused model version {Version}: {Reason}. Still serving {Serving}.", published.Version, e.Message, _current?.Version ?? "nothing");
            return;
        }

        bool first = _current is null;
        _current = model;
        _refused = null;
        _refusal = null;
        logger.LogInformation(
            "Model loaded: version {Version} ({Users} users, {Items} items, {Factors} factors, {Kernel} scan) in {LoadMs:F0} ms, {StartMs:F0} ms after process start",
            model.Version, model.Artifacts.UserCount, model.ItemCount, model.K, QuantizedItemFactors.Kernel, Stopwatch.GetElapsedTime(started).TotalMilliseconds, ProcessClock.MillisecondsSinceStart());
        if (first) PrintDemoRequests();
    }

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
        Console.WriteLine("Open in a browser (a local handler asks for no function key):");
        Console.WriteLine($"  storefront preview: {address}{Operator.WebPages.Route}/{Operator.WebPages.PreviewPage}");
        Console.WriteLine($"  operator console:   {address}{Operator.WebPages.Route}/{Operator.WebPages.ConsolePage}");
    }
}
