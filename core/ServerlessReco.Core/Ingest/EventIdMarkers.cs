using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;
using ServerlessReco.Domain;
using ServerlessReco.Storage;

namespace ServerlessReco.Ingest;

/// <summary>
/// Table "eventids": one empty row per ingested event id, written only after the event's log and table writes
/// succeeded, so a marker proves the event is stored. Adding a marker that exists fails with 409: that is how a
/// redelivery is told apart from a first delivery.
/// Partition = the event's UTC date + the first hex digit of the id hash: a redelivery carries the same timestamp
/// so it lands in the same partition, a batch's markers fit in a few transactions, and partitions older than the
/// accepted event age can never be hit again (such events are rejected), so they can be dropped whole.
/// </summary>
public sealed class EventIdMarkers(TableClient table)
{
    private const int MaxParallel = 8;
    private readonly EnsureOnce _created = TableSetup.CreateOnce(table);

    public static (string PartitionKey, string RowKey) Key(InteractionEvent e)
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(e.EventId)).AsSpan(0, 16));
        return (e.Timestamp.UtcDateTime.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture) + "-" + hash[0], hash);
    }

    /// <summary>Adds a marker per event (ids must be distinct); true where this call added it, false where it already existed.</summary>
    public async Task<bool[]> AddAsync(IReadOnlyList<InteractionEvent> events, CancellationToken ct = default)
    {
        await _created.EnsureAsync(ct).ConfigureAwait(false);
        var added = new bool[events.Count];
        var keys = events.Select(Key).ToArray();
        var chunks = Enumerable.Range(0, events.Count).GroupBy(i => keys[i].PartitionKey).SelectMany(g => g.Chunk(100));
        await Parallel.ForEachAsync(chunks, new ParallelOptions { MaxDegreeOfParallelism = MaxParallel, CancellationToken = ct }, async (chunk, token) =>
        {
            try
            {
                var actions = chunk.Select(i => new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(keys[i].PartitionKey, keys[i].RowKey)));
                await table.SubmitTransactionAsync(actions, token).ConfigureAwait(false);
                foreach (var i in chunk) added[i] = true;
            }
            catch (TableTransactionFailedException e) when (e.Status == 409)
            {
                // Some of these were delivered before, and a transaction is all or nothing: settle each one alone.
                await Parallel.ForEachAsync(chunk, new ParallelOptions { MaxDegreeOfParallelism = MaxParallel, CancellationToken = token }, async (i, t) =>
                {
                    try
                    {
                        await table.AddEntityAsync(new TableEntity(keys[i].PartitionKey, keys[i].RowKey), t).ConfigureAwait(false);
                        added[i] = true;
                    }
                    catch (RequestFailedException conflict) when (conflict.Status == 409)
                    {
                    }
                }).ConfigureAwait(false);
            }
        }).ConfigureAwait(false);
        return added;
    }
}
