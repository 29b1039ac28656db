using System.Globalization;
using Azure;
using Azure.Data.Tables;
using ServerlessReco.Catalog;
using ServerlessReco.Domain;
using ServerlessReco.Storage;

namespace ServerlessReco.EventLog;

/// <summary>A shopper whose events were written to the events table, and when (storage time) that write was recorded.</summary>
public readonly record struct ShopperActivity(string User, DateTimeOffset StoredAt);

/// <summary>The activity recorded since a position, and the position to read from next time.</summary>
public sealed record ActivityBatch(IReadOnlyList<ShopperActivity> Activity, DateTimeOffset NextPosition);

/// <summary>
/// Which shoppers had events stored lately: one row per shopper per events-table write, in a table partitioned by
/// the writer's UTC minute, so that a serving instance learns who has events its model has not seen by reading the
/// last few partitions once per poll instead of reading the events table on every request. Positions and
/// partitions work as in <see cref="CatalogChangeFeed"/>: positions are storage time, compared with the rows'
/// server-assigned Timestamp; the writer's clock only picks the partition.
/// </summary>
public sealed class ShopperActivityFeed
{
    /// <summary>
    /// How long rows are kept (the prune job deletes older partitions). Serving needs the rows back to its model's
    /// training cutoff, so a model older than this (minus the partition margins) makes every request read the
    /// events table again.
    /// </summary>
    public static readonly TimeSpan Retention = TimeSpan.FromHours(48);

    private readonly TableClient _table;
    private readonly EnsureOnce _created;
    private readonly TimeProvider _time;

    public ShopperActivityFeed(TableClient table, TimeProvider? time = null)
    {
        _table = table;
        _created = TableSetup.CreateOnce(table);
        _time = time ?? TimeProvider.System;
    }

    /// <summary>
    /// Records that the events' shoppers have events in the events table. Called after the rows are written (and
    /// for rows that already existed: a retry after a failed call records what the first try did not), so a reader
    /// that sees a row finds the events. Idempotent: a retry rewrites the same rows.
    /// </summary>
    public async Task RecordAsync(IReadOnlyList<InteractionEvent> events, CancellationToken ct = default)
    {
        if (events.Count == 0) return;
        await _created.EnsureAsync(ct).ConfigureAwait(false);
        var partition = CatalogChangeFeed.PartitionOf(_time.GetUtcNow());
        // One row per shopper and newest event time: two writers of one shopper in one minute keep a row each.
        var rows = events.Where(e => e.User.Length > 0)
            .GroupBy(e => e.User, StringComparer.Ordinal)
            .Select(g => new TableEntity(partition, g.Key + "_" + g.Max(e => e.Timestamp).UtcTicks.ToString("D19", CultureInfo.InvariantCulture)) { ["User"] = g.Key })
            .ToList();
        foreach (var chunk in rows.Chunk(100))
        {
            if (chunk.Length == 1) await _table.UpsertEntityAsync(chunk[0], TableUpdateMode.Replace, ct).ConfigureAwait(false);
            else await _table.SubmitTransactionAsync(chunk.Select(r => new TableTransactionAction(TableTransactionActionType.UpsertReplace, r)), ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Rows committed at or after <paramref name="position"/> (storage time); the same write may be returned again
    /// by the next call. One query: an idle feed costs one small round trip.
    /// </summary>
    public async Task<ActivityBatch> ReadSinceAsync(DateTimeOffset position, CancellationToken ct = default)
    {
        var (rows, next) = await CatalogChangeFeed.ReadRowsSinceAsync(_table, position, ["User", "Timestamp"], ct).ConfigureAwait(false);
        var activity = new List<ShopperActivity>(rows.Count);
        foreach (var row in rows)
            if (row.GetString("User") is { } user && row.Timestamp is { } at) activity.Add(new ShopperActivity(user, at));
        return new ActivityBatch(activity, next);
    }

    /// <summary>
    /// Whether a reader can learn from the feed, at <paramref name="now"/>, every row committed since
    /// <paramref name="since"/>: the prune job (whose clock may differ) may have deleted partitions older than <see cref="Retention"/>.
    /// </summary>
    public static bool Covers(DateTimeOffset since, DateTimeOffset now) => CatalogChangeFeed.Covers(since, now, Retention);

    /// <summary>Retention: deletes the partitions older than <paramref name="cutoff"/> (writer time); returns the rows deleted.</summary>
    public Task<int> DeleteBeforeAsync(DateTimeOffset cutoff, CancellationToken ct = default) =>
        CatalogChangeFeed.DeletePartitionsBeforeAsync(_table, cutoff, ct);
}
