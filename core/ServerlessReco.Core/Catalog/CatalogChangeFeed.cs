using System.Globalization;
using System.IO.Hashing;
using System.Text;
using Azure;
using Azure.Data.Tables;
using ServerlessReco.Storage;

namespace ServerlessReco.Catalog;

/// <summary>One catalogue write: the item and the items-table ETag that write produced.</summary>
public readonly record struct ItemChange(string Id, string Version);

/// <summary>The changes committed since a position, and the position to read from next time.</summary>
public sealed record ChangeBatch(IReadOnlyList<ItemChange> Changes, DateTimeOffset NextPosition);

/// <summary>
/// The catalogue's change feed: one row per write of an item, in a table partitioned by the writer's UTC minute,
/// so a serving instance catches up on other instances' writes by reading the last few partitions instead of
/// scanning the items table. Rows name the item and the version written, not its content: readers fetch the item
/// itself, so two writers whose feed rows land in the other order than their item writes cannot leave a reader
/// with the older content.
/// </summary>
/// <remarks>
/// Positions are storage-server time (the Date of a response minus <see cref="CommitSlack"/>) and are compared
/// with the rows' server-assigned Timestamp, so the skew of the writers' clocks matters only for choosing which
/// partitions to read (<see cref="WriterClockSlack"/>), never for which rows are returned.
/// </remarks>
public sealed class CatalogChangeFeed
{
    /// <summary>
    /// How far a writer's clock, plus the time its feed write spends in retries, may trail the storage clock: the
    /// partitions up to this much older than a position are read too. Only costs the server a wider range scan.
    /// </summary>
    public static readonly TimeSpan WriterClockSlack = TimeSpan.FromMinutes(15);

    /// <summary>
    /// Server timestamps are assigned at commit and partitions may sit on servers whose clocks differ a little;
    /// Date headers have one-second resolution. Rows up to this much older than a position are read again.
    /// </summary>
    public static readonly TimeSpan CommitSlack = TimeSpan.FromSeconds(10);

    /// <summary>How long feed rows are kept (the snapshot job deletes older partitions).</summary>
    public static readonly TimeSpan DefaultRetention = TimeSpan.FromHours(48);

    private readonly TableClient _table;
    private readonly EnsureOnce _created;
    private readonly TimeProvider _time;

    public CatalogChangeFeed(TableServiceClient service, string tableName, TimeProvider? time = null)
    {
        _table = service.GetTableClient(tableName);
        _created = TableSetup.CreateOnce(_table);
        _time = time ?? TimeProvider.System;
    }

    public static string PartitionOf(DateTimeOffset time) => time.UtcDateTime.ToString("yyyyMMddHHmm", CultureInfo.InvariantCulture);

    /// <summary>
    /// Whether a reader at <paramref name="position"/> can still catch up from the feed at <paramref name="now"/>,
    /// given that partitions older than <paramref name="retention"/> may have been deleted by a job whose clock
    /// may differ from this one by up to <see cref="WriterClockSlack"/>.
    /// </summary>
    public static bool Covers(DateTimeOffset position, DateTimeOffset now, TimeSpan retention) =>
        now - position <= retention - 2 * WriterClockSlack;

    /// <summary>
    /// Records writes that are already in the items table. Called only after the item write succeeded, so a
    /// reader that sees a row and then reads the item gets that write or a later one.
    /// </summary>
    public async Task RecordAsync(IReadOnlyList<ItemChange> changes, CancellationToken ct = default)
    {
        if (changes.Count == 0) return;
        await _created.EnsureAsync(ct).ConfigureAwait(false);
        var partition = PartitionOf(_time.GetUtcNow());
        foreach (var chunk in changes.DistinctBy(c => c).Chunk(100))
        {
            var actions = chunk.Select(c => new TableTransactionAction(TableTransactionActionType.UpsertReplace, new TableEntity(partition, RowKeyOf(c))
            {
                ["Id"] = c.Id,
                ["Version"] = c.Version,
            }));
            await _table.SubmitTransactionAsync(actions, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Rows committed at or after <paramref name="position"/> (storage time), in no particular order; the same
    /// write may be returned again by the next call, and a reader skips versions it already holds.
    /// </summary>
    public async Task<ChangeBatch> ReadSinceAsync(DateTimeOffset position, CancellationToken ct = default)
    {
        var (rows, next) = await ReadRowsSinceAsync(_table, position, ["Id", "Version"], ct).ConfigureAwait(false);
        var changes = new List<ItemChange>(rows.Count);
        foreach (var row in rows)
            if (row.GetString("Id") is { } id) changes.Add(new ItemChange(id, row.GetString("Version") ?? ""));
        return new ChangeBatch(changes, next);
    }

    /// <summary>Deletes the partitions older than <paramref name="cutoff"/> (writer time); returns the rows deleted.</summary>
    public Task<int> DeleteBeforeAsync(DateTimeOffset cutoff, CancellationToken ct = default) => DeletePartitionsBeforeAsync(_table, cutoff, ct);

    /// <summary>
    /// The read of any table laid out like this feed (minute partitions by writer time, positions in storage
    /// time): the rows committed at or after <paramref name="position"/>, and the position to read from next.
    /// One query, so an idle feed costs one small round trip; a table never created reads as empty.
    /// </summary>
    internal static async Task<(List<TableEntity> Rows, DateTimeOffset Next)> ReadRowsSinceAsync(
        TableClient table, DateTimeOffset position, IEnumerable<string> select, CancellationToken ct)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey ge {PartitionOf(position - WriterClockSlack)} and Timestamp ge {position}");
        var rows = new List<TableEntity>();
        DateTimeOffset? served = null;
        try
        {
            await foreach (var page in table.QueryAsync<TableEntity>(filter, select: select, cancellationToken: ct).AsPages().ConfigureAwait(false))
            {
                // The first page's Date bounds what this read saw: anything committed later is read next time.
                served ??= ServerTime(page.GetRawResponse());
                rows.AddRange(page.Values);
            }
        }
        catch (RequestFailedException e) when (TableSetup.IsMissingTable(e))
        {
            // Nothing was ever written through the feed.
            served = e.GetRawResponse() is { } response ? ServerTime(response) : null;
        }
        var next = served is { } s && s - CommitSlack > position ? s - CommitSlack : position;
        return (rows, next);
    }

    /// <summary>Retention of any table laid out like this feed: deletes the partitions older than <paramref name="cutoff"/> (writer time).</summary>
    internal static async Task<int> DeletePartitionsBeforeAsync(TableClient table, DateTimeOffset cutoff, CancellationToken ct)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey lt {PartitionOf(cutoff)}");
        var keys = new List<(string Partition, string Row)>();
        try
        {
            await foreach (var row in table.QueryAsync<TableEntity>(filter, select: ["PartitionKey", "RowKey"], cancellationToken: ct).ConfigureAwait(false))
                keys.Add((row.PartitionKey, row.RowKey));
        }
        catch (RequestFailedException e) when (TableSetup.IsMissingTable(e))
        {
            return 0;
        }
        foreach (var chunk in keys.GroupBy(k => k.Partition).SelectMany(g => g.Chunk(100)))
        {
            var actions = chunk.Select(k => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(k.Partition, k.Row), ETag.All));
            await table.SubmitTransactionAsync(actions, ct).ConfigureAwait(false);
        }
        return keys.Count;
    }

    /// <summary>
    /// An ETag as the 64-bit number readers hold and compare: eight bytes per cached item instead of a 50-character
    /// string. Two versions of one item colliding (2^-64) would make a reader skip that one change until the next scan.
    /// </summary>
    public static ulong VersionKey(string etag) => XxHash3.HashToUInt64(Encoding.UTF8.GetBytes(etag));

    /// <summary>The storage server's clock at the time it answered.</summary>
    public static DateTimeOffset ServerTime(Response response) =>
        response.Headers.Date ?? throw new InvalidOperationException("Storage answered without a Date header; the change feed needs the server's clock.");

    // One row per write: a retried feed write rewrites its own row, and two writes of one item in one minute keep two rows.
    private static string RowKeyOf(ItemChange change) =>
        Convert.ToHexStringLower(XxHash128.Hash(Encoding.UTF8.GetBytes(change.Id + "\n" + change.Version)));
}
