using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;
using ServerlessReco.Domain;
using ServerlessReco.Storage;

namespace ServerlessReco.EventLog;

/// <summary>
/// Recent events per user for real-time personalisation. Partition = user pseudonym; row key = inverted
/// timestamp + hash of the event id, so a user's newest events come first and a redelivered event lands on
/// its own row: ingestion adds rows (<see cref="AddAsync"/>) and uses an existing row to tell a redelivery apart.
/// Every write is followed by rows in the <see cref="ShopperActivityFeed"/>, so serving instances learn who has new
/// events without reading this table per request; a call that returns has recorded both.
/// </summary>
public sealed class RecentEventsTable(TableClient table, ShopperActivityFeed activity)
{
    /// <summary>
    /// Requests in flight per call: a coalesced flush of single events from many shoppers is one insert per shopper,
    /// and its latency (which every request in it waits for) is the number of waves of this many.
    /// </summary>
    private const int MaxParallel = 32;
    private readonly EnsureOnce _created = TableSetup.CreateOnce(table);

    private Task EnsureAsync(CancellationToken ct) => _created.EnsureAsync(ct);

    public static string RowKey(InteractionEvent e) =>
        TableKeys.NewestFirst(e.Timestamp) + "_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(e.EventId)).AsSpan(0, 8));

    /// <summary>Writes or overwrites a row per event (loading and tests); ingestion uses <see cref="AddAsync"/>.</summary>
    public async Task UpsertAsync(IReadOnlyList<InteractionEvent> events, CancellationToken ct = default)
    {
        await EnsureAsync(ct).ConfigureAwait(false);
        var batches = events.Where(e => e.User.Length > 0)
            .GroupBy(e => e.User)
            .SelectMany(g => g.DistinctBy(RowKey).Chunk(100));
        await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = MaxParallel, CancellationToken = ct }, async (chunk, token) =>
        {
            var actions = chunk.Select(e => new TableTransactionAction(TableTransactionActionType.UpsertReplace, ToEntity(e))).ToList();
            await table.SubmitTransactionAsync(actions, token).ConfigureAwait(false);
        }).ConfigureAwait(false);
        await activity.RecordAsync(events, ct).ConfigureAwait(false);
    }

    public ShopperActivityFeed Activity => activity;

    /// <summary>
    /// Adds a row per event (event ids distinct), then records the shoppers in the activity feed, and says, per
    /// event, whether this call added it (true) or its row already existed (false): the row itself is the dedup marker of <see cref="Ingest.IngestPipeline"/>. Never
    /// overwrites. Transactions of at most 100 per partition (a lone row is a plain insert), <see cref="MaxParallel"/> at a time; a
    /// transaction that fails on an existing row is resubmitted without the rows that exist.
    /// </summary>
    public async Task<bool[]> AddAsync(IReadOnlyList<InteractionEvent> events, CancellationToken ct = default)
    {
        await EnsureAsync(ct).ConfigureAwait(false);
        var added = new bool[events.Count];
        var rowKeys = new string[events.Count];
        for (int i = 0; i < events.Count; i++) rowKeys[i] = RowKey(events[i]);
        // Distinct ids with one row key (same user, same tick, 64-bit hash collision) cannot share a transaction;
        // the later ones count as already stored, as an upsert would have overwritten them.
        var chunks = Enumerable.Range(0, events.Count)
            .GroupBy(i => events[i].User, StringComparer.Ordinal)
            .SelectMany(g => g.DistinctBy(i => rowKeys[i], StringComparer.Ordinal).Chunk(100));
        await Parallel.ForEachAsync(chunks, new ParallelOptions { MaxDegreeOfParallelism = MaxParallel, CancellationToken = ct }, async (chunk, token) =>
        {
            var pending = chunk.ToList();
            var user = events[pending[0]].User;
            while (pending.Count > 0)
            {
                if (pending.Count == 1)
                {
                    // A lone row (the common case when single events of many shoppers are coalesced): a plain insert
                    // is one small request, where a transaction costs a multipart body each way on both ends.
                    try
                    {
                        await table.AddEntityAsync(ToEntity(events[pending[0]]), token).ConfigureAwait(false);
                        added[pending[0]] = true;
                    }
                    catch (RequestFailedException e) when (e.Status == 409 && e.ErrorCode == "EntityAlreadyExists")
                    {
                        // Already stored: a redelivery.
                    }
                    return;
                }
                try
                {
                    var actions = pending.Select(i => new TableTransactionAction(TableTransactionActionType.Add, ToEntity(events[i])));
                    await table.SubmitTransactionAsync(actions, token).ConfigureAwait(false);
                    foreach (var i in pending) added[i] = true;
                    return;
                }
                catch (TableTransactionFailedException e) when (e.Status == 409)
                {
                    // A transaction is all or nothing and names only its first existing row. Drop that one, then
                    // look up which of the rest exist with one range query, so a redelivered batch costs two round
                    // trips per partition rather than one per event. A row added meanwhile just fails the next try;
                    // a conflict that names no existing row is an error.
                    int before = pending.Count;
                    if (e.ErrorCode == "EntityAlreadyExists" && e.FailedTransactionActionIndex is int failed && failed >= 0 && failed < pending.Count) pending.RemoveAt(failed);
                    if (pending.Count == 0) return;
                    var low = pending.Select(i => rowKeys[i]).Min(StringComparer.Ordinal)!;
                    var high = pending.Select(i => rowKeys[i]).Max(StringComparer.Ordinal)!;
                    var existing = new HashSet<string>(StringComparer.Ordinal);
                    var filter = TableClient.CreateQueryFilter($"PartitionKey eq {user} and RowKey ge {low} and RowKey le {high}");
                    await foreach (var row in table.QueryAsync<TableEntity>(filter, select: ["RowKey"], cancellationToken: token).ConfigureAwait(false))
                        existing.Add(row.RowKey);
                    pending.RemoveAll(i => existing.Contains(rowKeys[i]));
                    if (pending.Count == before) throw;
                }
            }
        }).ConfigureAwait(false);
        // Rows that already existed too: when a first try stored them and then failed to record its activity, the
        // sender's retry finds them as duplicates and this records what the first try did not.
        await activity.RecordAsync(events, ct).ConfigureAwait(false);
        return added;
    }

    /// <summary>The user's newest events, newest first, at most <paramref name="max"/>, only those after <paramref name="after"/>.</summary>
    public async Task<List<InteractionEvent>> ReadRecentAsync(string user, DateTimeOffset after, int max, CancellationToken ct = default)
    {
        var result = new List<InteractionEvent>();
        // Rows sort newest first, so everything after `after` has a row key below its inverted ticks.
        var upper = TableKeys.NewestFirst(after);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {user} and RowKey lt {upper}");
        try
        {
            await foreach (var entity in table.QueryAsync<TableEntity>(filter, maxPerPage: Math.Min(max, 1000), cancellationToken: ct).ConfigureAwait(false))
            {
                result.Add(FromEntity(entity));
                if (result.Count >= max) break;
            }
        }
        catch (RequestFailedException e) when (TableSetup.IsMissingTable(e))
        {
            // No event was ever written.
        }
        return result;
    }

    /// <summary>Deletes every row of the user; returns how many were deleted.</summary>
    public async Task<int> DeleteUserAsync(string user, CancellationToken ct = default)
    {
        await EnsureAsync(ct).ConfigureAwait(false);
        var keys = new List<string>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {user}");
        await foreach (var entity in table.QueryAsync<TableEntity>(filter, select: ["RowKey"], cancellationToken: ct).ConfigureAwait(false))
            keys.Add(entity.RowKey);
        int deleted = 0;
        foreach (var chunk in keys.Chunk(100)) deleted += await DeleteRowsAsync(user, [.. chunk], ct).ConfigureAwait(false);
        return deleted;
    }

    /// <summary>
    /// Retention: deletes every row whose event is older than <paramref name="cutoff"/>, in every partition; returns
    /// how many. A redelivery of such an event is accepted again afterwards (see <see cref="Ingest.IngestPipeline"/>).
    /// </summary>
    public async Task<int> DeleteOlderThanAsync(DateTimeOffset cutoff, CancellationToken ct = default)
    {
        // Row keys start with inverted ticks: every event before the cutoff sorts at or after this key.
        var oldest = TableKeys.NewestFirst(cutoff.AddTicks(-1));
        var filter = TableClient.CreateQueryFilter($"RowKey ge {oldest}");
        int deleted = 0;
        var batch = new List<string>();
        string? partition = null;
        try
        {
            // A full scan, for a nightly job; results come partition by partition, so deletes group per partition.
            await foreach (var row in table.QueryAsync<TableEntity>(filter, select: ["PartitionKey", "RowKey"], cancellationToken: ct).ConfigureAwait(false))
            {
                if (row.PartitionKey != partition || batch.Count == 100)
                {
                    deleted += await DeleteRowsAsync(partition, batch, ct).ConfigureAwait(false);
                    partition = row.PartitionKey;
                }
                batch.Add(row.RowKey);
            }
        }
        catch (RequestFailedException e) when (TableSetup.IsMissingTable(e))
        {
            // No event was ever written.
        }
        return deleted + await DeleteRowsAsync(partition, batch, ct).ConfigureAwait(false);
    }

    /// <summary>Deletes the rows (one partition) and empties <paramref name="rowKeys"/>; a row already gone (erasure meanwhile) is no error.</summary>
    private async Task<int> DeleteRowsAsync(string? partition, List<string> rowKeys, CancellationToken ct)
    {
        if (partition is null || rowKeys.Count == 0) return 0;
        int count = rowKeys.Count;
        try
        {
            await table.SubmitTransactionAsync(rowKeys.Select(rk => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(partition, rk), ETag.All)), ct).ConfigureAwait(false);
        }
        catch (TableTransactionFailedException e) when (e.Status == 404)
        {
            // The transaction is all or nothing: delete one by one, where a missing row is not an error.
            foreach (var rk in rowKeys) await table.DeleteEntityAsync(partition, rk, ETag.All, ct).ConfigureAwait(false);
        }
        rowKeys.Clear();
        return count;
    }

    private static TableEntity ToEntity(InteractionEvent e)
    {
        var entity = new TableEntity(e.User, RowKey(e))
        {
            ["EventId"] = e.EventId,
            ["Item"] = e.Item,
            ["Type"] = EventTypes.Name(e.Type),
            ["Quantity"] = e.Quantity,
            ["Market"] = e.Market,
            // "Timestamp" is the table's own last-modified property: the service overwrites it, so the event time needs another name.
            ["OccurredAt"] = e.Timestamp,
        };
        if (e.Value is { } v) entity["Value"] = v;
        if (e.Locale is { } l) entity["Locale"] = l;
        if (e.Session is { } s) entity["Session"] = s;
        if (e.EnqueuedAt is { } q) entity["EnqueuedAt"] = q;
        return entity;
    }

    private static InteractionEvent FromEntity(TableEntity e) => new()
    {
        EventId = e.GetString("EventId") ?? e.RowKey,
        User = e.PartitionKey,
        Item = e.GetString("Item") ?? "",
        Type = EventTypes.TryParse(e.GetString("Type"), out var t) ? t : EventType.View,
        Quantity = e.GetDouble("Quantity") ?? 1,
        Value = e.GetDouble("Value"),
        Market = e.GetString("Market") ?? Markets.Unknown,
        Locale = e.GetString("Locale"),
        Timestamp = e.GetDateTimeOffset("OccurredAt") ?? default,
        Session = e.GetString("Session"),
        EnqueuedAt = e.GetDateTimeOffset("EnqueuedAt"),
    };
}
