using System.Globalization;
using System.IO.Hashing;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using ServerlessReco.Domain;
using ServerlessReco.Storage;

namespace ServerlessReco.Catalog;

/// <summary>An item with the <see cref="CatalogChangeFeed.VersionKey"/> of the items-table ETag of the write it came from.</summary>
public readonly record struct VersionedItem(CatalogItem Item, ulong Version);

/// <summary>
/// Every item, and the change-feed position (storage time) from which writes the scan may have missed are read.
/// </summary>
public sealed record CatalogScan(List<VersionedItem> Items, DateTimeOffset FeedPosition);

/// <summary>
/// Items spread over 256 partitions by a hash of the id (one partition caps throughput on Azure); the row key
/// is the id in base64url, so hostile ids are stored losslessly. Every write is recorded in
/// <see cref="Changes"/> after it reached the items table.
/// </summary>
public sealed class TableItemCatalog(TableServiceClient service, string tableName = "items", string changesTableName = "catalogchanges") : IItemCatalog
{
    private readonly TableClient _table = service.GetTableClient(tableName);
    private readonly EnsureOnce _created = TableSetup.CreateOnce(service.GetTableClient(tableName));

    public CatalogChangeFeed Changes { get; } = new(service, changesTableName);

    private Task EnsureTableAsync(CancellationToken ct) => _created.EnsureAsync(ct);

    public static string PartitionOf(string id) => (XxHash32.HashToUInt32(Encoding.UTF8.GetBytes(id)) & 0xFF).ToString("x2", CultureInfo.InvariantCulture);

    public async Task UpsertAsync(IReadOnlyList<CatalogItem> items, CancellationToken ct = default)
    {
        await EnsureTableAsync(ct).ConfigureAwait(false);
        var batches = items.Select(ToEntity).GroupBy(e => e.PartitionKey)
            .SelectMany(g => g.DistinctBy(e => e.RowKey).Chunk(100));
        await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (chunk, token) =>
        {
            var actions = chunk.Select(e => new TableTransactionAction(TableTransactionActionType.UpsertReplace, e));
            var responses = (await _table.SubmitTransactionAsync(actions, token).ConfigureAwait(false)).Value;
            // Recorded per chunk, so the chunks that reached the table are in the feed even when another chunk fails.
            await Changes.RecordAsync([.. chunk.Select((e, i) => new ItemChange(e.GetString("Id")!, VersionOf(responses[i])))], token).ConfigureAwait(false);
        }).ConfigureAwait(false);
    }

    public async Task<CatalogItem?> GetAsync(string id, CancellationToken ct = default) =>
        (await GetVersionedAsync(id, ct).ConfigureAwait(false))?.Item;

    public async Task<VersionedItem?> GetVersionedAsync(string id, CancellationToken ct = default)
    {
        try
        {
            var response = await _table.GetEntityIfExistsAsync<TableEntity>(PartitionOf(id), TableKeys.Encode(id), cancellationToken: ct).ConfigureAwait(false);
            return response.HasValue ? new VersionedItem(FromEntity(response.Value!), CatalogChangeFeed.VersionKey(response.Value!.ETag.ToString())) : null;
        }
        catch (RequestFailedException e) when (TableSetup.IsMissingTable(e))
        {
            return null;
        }
    }

    public async Task<CatalogItem?> UpdateAsync(string id, Func<CatalogItem, CatalogItem> change, CancellationToken ct = default)
    {
        await EnsureTableAsync(ct).ConfigureAwait(false);
        while (true)
        {
            var response = await _table.GetEntityIfExistsAsync<TableEntity>(PartitionOf(id), TableKeys.Encode(id), cancellationToken: ct).ConfigureAwait(false);
            if (!response.HasValue) return null;
            var updated = change(FromEntity(response.Value!)) with { Id = id };
            try
            {
                var written = await _table.UpdateEntityAsync(ToEntity(updated), response.Value!.ETag, TableUpdateMode.Replace, ct).ConfigureAwait(false);
                await Changes.RecordAsync([new ItemChange(id, VersionOf(written))], ct).ConfigureAwait(false);
                return updated;
            }
            catch (RequestFailedException e) when (e.Status == 412)
            {
                // Someone wrote the item since it was read: apply the change again to their version, never over it.
            }
        }
    }

    public async IAsyncEnumerable<CatalogItem> ReadAllAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var pages = _table.QueryAsync<TableEntity>(cancellationToken: ct).AsPages().GetAsyncEnumerator(ct);
        while (true)
        {
            Page<TableEntity> page;
            try
            {
                if (!await pages.MoveNextAsync().ConfigureAwait(false)) yield break;
                page = pages.Current;
            }
            catch (RequestFailedException e) when (TableSetup.IsMissingTable(e))
            {
                // No item was ever written: an empty catalogue.
                yield break;
            }
            foreach (var entity in page.Values) yield return FromEntity(entity);
        }
    }

    /// <summary>
    /// Every item with its version. The feed position is taken from the storage clock before any item is read, so
    /// a write the scan misses was committed after it and is in the feed from there on.
    /// </summary>
    public async Task<CatalogScan> ScanAsync(CancellationToken ct = default)
    {
        var items = new List<VersionedItem>();
        DateTimeOffset? position = null;
        try
        {
            await foreach (var page in _table.QueryAsync<TableEntity>(cancellationToken: ct).AsPages().ConfigureAwait(false))
            {
                position ??= CatalogChangeFeed.ServerTime(page.GetRawResponse()) - CatalogChangeFeed.CommitSlack;
                foreach (var entity in page.Values) items.Add(new VersionedItem(FromEntity(entity), CatalogChangeFeed.VersionKey(entity.ETag.ToString())));
            }
        }
        catch (RequestFailedException e) when (TableSetup.IsMissingTable(e) && e.GetRawResponse() is { } response)
        {
            // No item was ever written: an empty catalogue as of the server's answer.
            position = CatalogChangeFeed.ServerTime(response) - CatalogChangeFeed.CommitSlack;
        }
        return new CatalogScan(items, position ?? throw new InvalidOperationException("The items table answered no page."));
    }

    private static string VersionOf(Response response) => response.Headers.ETag?.ToString() ?? "";

    private static TableEntity ToEntity(CatalogItem item)
    {
        var entity = new TableEntity(PartitionOf(item.Id), TableKeys.Encode(item.Id))
        {
            ["Id"] = item.Id,
            ["Category"] = item.Category,
            ["SourceLanguage"] = item.SourceLanguage,
            ["Title"] = item.Title,
            ["Description"] = item.Description,
            ["Markets"] = string.Join(',', item.Markets),
            ["InStock"] = item.InStock,
            ["UpdatedAt"] = item.UpdatedAt == default ? DateTimeOffset.UtcNow : item.UpdatedAt,
        };
        if (item.Prices is { Count: > 0 }) entity["Prices"] = JsonSerializer.Serialize(item.Prices, DomainJsonContext.Default.DictionaryStringDecimal);
        if (item.Titles is { Count: > 0 }) entity["Titles"] = JsonSerializer.Serialize(item.Titles, DomainJsonContext.Default.DictionaryStringString);
        if (item.TitlesSource is not null) entity["TitlesSource"] = item.TitlesSource;
        return entity;
    }

    private static CatalogItem FromEntity(TableEntity e) => new()
    {
        Id = e.GetString("Id") ?? TableKeys.Decode(e.RowKey),
        Category = e.GetString("Category") ?? "",
        SourceLanguage = e.GetString("SourceLanguage") ?? "en",
        Title = e.GetString("Title") ?? "",
        Description = e.GetString("Description") ?? "",
        Markets = (e.GetString("Markets") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries),
        InStock = e.GetBoolean("InStock") ?? true,
        Prices = e.GetString("Prices") is { } p ? JsonSerializer.Deserialize(p, DomainJsonContext.Default.DictionaryStringDecimal) : null,
        Titles = e.GetString("Titles") is { } t ? JsonSerializer.Deserialize(t, DomainJsonContext.Default.DictionaryStringString) : null,
        TitlesSource = e.GetString("TitlesSource"),
        UpdatedAt = e.GetDateTimeOffset("UpdatedAt") ?? e.Timestamp ?? default,
    };
}
