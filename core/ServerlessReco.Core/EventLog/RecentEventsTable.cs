using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;
using ServerlessReco.Domain;
using ServerlessReco.Storage;

namespace ServerlessReco.EventLog;

/// <summary>
/// Recent events per user for real-time personalisation. Partition = user pseudonym; row key = inverted
/// timestamp + hash of the event id, so a user's newest events come first and a redelivered event
/// overwrites itself.
/// </summary>
public sealed class RecentEventsTable(TableClient table)
{
    private readonly EnsureOnce _created = TableSetup.CreateOnce(table);

    private Task EnsureAsync(CancellationToken ct) => _created.EnsureAsync(ct);

    public static string RowKey(InteractionEvent e) =>
        TableKeys.NewestFirst(e.Timestamp) + "_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(e.EventId)).AsSpan(0, 8));

    public async Task UpsertAsync(IReadOnlyList<InteractionEvent> events, CancellationToken ct = default)
    {
        await EnsureAsync(ct).ConfigureAwait(false);
        var batches = events.Where(e => e.User.Length > 0)
            .GroupBy(e => e.User)
            .SelectMany(g => g.DistinctBy(RowKey).Chunk(100));
        await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (chunk, token) =>
        {
            var actions = chunk.Select(e => new TableTransactionAction(TableTransactionActionType.UpsertReplace, ToEntity(e))).ToList();
            await table.SubmitTransactionAsync(actions, token).ConfigureAwait(false);
        }).ConfigureAwait(false);
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
        foreach (var chunk in keys.Chunk(100))
        {
            var actions = chunk.Select(rk => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(user, rk), ETag.All));
            await table.SubmitTransactionAsync(actions, ct).ConfigureAwait(false);
        }
        return keys.Count;
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
