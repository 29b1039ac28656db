using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using ServerlessReco.Catalog;
using ServerlessReco.Domain;
using ServerlessReco.EventLog;
using ServerlessReco.Functions.Ingest;
using ServerlessReco.Rank;
using ServerlessReco.Storage;

namespace ServerlessReco.Functions.Serve;

/// <summary>
/// The shoppers who may have events the served model has not seen, so that a recommendation for anyone else makes
/// no storage call. Filled from the <see cref="ShopperActivityFeed"/> (one query per poll, every
/// RECO_ACTIVITY_POLL_SECONDS) and at once by this instance's own ingestion. A shopper counts as fresh when events of
/// theirs were stored at or after the model's cutoff: its TrainedUntil less the ingestion clock skew and the feed's
/// commit slack (training's newest event can be at most that far ahead of the time it read the log, so everything
/// stored before the cutoff was in the log it read). When the set cannot say (not read yet, polls failing for two
/// intervals, a model older than the feed keeps, too many shoppers), every request reads the events table as before.
/// </summary>
public sealed class ActiveShoppers(
    DataStore store, ModelWatcher models, ServeOptions settings, IOptions<IngestOptions> ingest, TimeProvider time, ILogger<ActiveShoppers> logger) : BackgroundService
{
    /// <summary>About 120 bytes each; beyond it the set gives up until the next model (a bulk import, or training that stopped).</summary>
    public const int MaxShoppers = 200_000;

    private readonly ConcurrentDictionary<string, DateTimeOffset> _storedAt = new(StringComparer.Ordinal);
    private readonly TimeSpan _slack = ingest.Value.Validation.MaxClockSkew + CatalogChangeFeed.CommitSlack;
    /// <summary>The set holds every shopper stored at or after Since; PolledAt is when the last successful poll began. Null: unknown.</summary>
    private volatile Coverage? _coverage;
    private DateTimeOffset _position;
    private DateTimeOffset? _gaveUpFor;
    private bool _failing;

    private sealed record Coverage(DateTimeOffset Since, DateTimeOffset PolledAt);

    /// <summary>Activity stored at or after this may be unseen by <paramref name="model"/>.</summary>
    public DateTimeOffset CutoffOf(ServingModel model) => model.Manifest.TrainedUntil - _slack;

    /// <summary>Shoppers tracked now (health shows it).</summary>
    public int Count => _storedAt.Count;

    /// <summary>Whether the set can answer for <paramref name="model"/>; false means every request reads the events table.</summary>
    public bool Covers(ServingModel model) =>
        _coverage is { } c && c.Since <= CutoffOf(model) && time.GetUtcNow() - c.PolledAt <= 2 * settings.ActivityPollInterval;

    /// <summary>False only when the shopper is known to have no events stored since the model's cutoff: no storage call needed.</summary>
    public bool MayHaveFreshEvents(ServingModel model, string user) =>
        !Covers(model) || (_storedAt.TryGetValue(user, out var at) && at >= CutoffOf(model));

    /// <summary>This instance's ingestion, once the events are stored and before they are acknowledged.</summary>
    public void Record(IReadOnlyList<InteractionEvent> events)
    {
        var now = time.GetUtcNow();
        foreach (var e in events) Merge(e.User, now);
        GiveUpIfFull(null);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        using var timer = new PeriodicTimer(settings.ActivityPollInterval);
        do
        {
            try
            {
                // The cutoff comes from the model: the first read waits for it rather than for the next tick.
                while (models.Current is null) await Task.Delay(TimeSpan.FromMilliseconds(100), stoppingToken);
                await PollAsync(stoppingToken);
                _failing = false;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Requests stop trusting the set two intervals after the last good poll; one line per failure streak.
                if (!_failing) logger.LogWarning(e, "Reading the shopper activity feed failed; trying again every poll");
                _failing = true;
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task PollAsync(CancellationToken ct)
    {
        var model = models.Current!;
        var cutoff = CutoffOf(model);
        var started = time.GetUtcNow();
        var coverage = _coverage;
        if (coverage is null || coverage.Since > cutoff)
        {
            // First read, a model trained earlier than the last one, or a set that gave up: read back to the cutoff.
            if (_gaveUpFor == cutoff) return;
            if (!ShopperActivityFeed.Covers(cutoff, started))
            {
                _coverage = null;
                _gaveUpFor = cutoff;
                logger.LogInformation("Model {Version} was trained up to {TrainedUntil:O}, before the shopper activity feed's {Hours} h: every recommendation reads the events table",
                    model.Version, model.Manifest.TrainedUntil, ShopperActivityFeed.Retention.TotalHours);
                return;
            }
            var all = await store.Activity.ReadSinceAsync(cutoff, ct);
            foreach (var a in all.Activity) Merge(a.User, a.StoredAt);
            Prune(cutoff);
            _position = all.NextPosition;
            _coverage = new Coverage(cutoff, started);
            GiveUpIfFull(cutoff);
            return;
        }
        var batch = await store.Activity.ReadSinceAsync(_position, ct);
        foreach (var a in batch.Activity) Merge(a.User, a.StoredAt);
        _position = batch.NextPosition;
        // A newer model saw more: shoppers stored before its cutoff leave the set.
        if (cutoff > coverage.Since) Prune(cutoff);
        _coverage = new Coverage(cutoff > coverage.Since ? cutoff : coverage.Since, started);
        GiveUpIfFull(cutoff);
    }

    private void Merge(string user, DateTimeOffset at) => _storedAt.AddOrUpdate(user, at, (_, known) => known > at ? known : at);

    private void Prune(DateTimeOffset cutoff)
    {
        foreach (var entry in _storedAt)
            if (entry.Value < cutoff) _storedAt.TryRemove(entry);
    }

    private void GiveUpIfFull(DateTimeOffset? cutoff)
    {
        if (_storedAt.Count <= MaxShoppers) return;
        _coverage = null;
        _gaveUpFor = cutoff ?? (models.Current is { } m ? CutoffOf(m) : null);
        _storedAt.Clear();
        logger.LogWarning("More than {Max} shoppers with events newer than the model: every recommendation reads the events table until the next model", MaxShoppers);
    }
}
