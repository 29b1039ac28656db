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

/// <summary>
/// Items spread over 256 partitions by a hash of the id (one partition caps throughput on Azure); the row key
/// is the id in base64url, so hostile ids are stored losslessly.
/// </summary>
public sealed class TableItemCatalog(TableServiceClient service, string tableName = "items") : IItemCatalog
{
    private readonly TableClient _table = service.GetTableClient(tableName);
    private readonly EnsureOnce _created = TableSetup.CreateOnce(service.GetTableClient(tableName));

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
            await _table.SubmitTransactionAsync(actions, token).ConfigureAwait(false);
        }).ConfigureAwait(false);
    }

    public async Task<CatalogItem?> GetAsync(string id, CancellationToken ct = default)
    {
        try
        {
            var response = await _table.GetEntityIfExistsAsync<TableEntity>(PartitionOf(id), TableKeys.Encode(id), cancellationToken: ct).ConfigureAwait(false);
            return response.HasValue ? FromEntity(response.Value!) : null;
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
                await _table.UpdateEntityAsync(ToEntity(updated), response.Value!.ETag, TableUpdateMode.Replace, ct).ConfigureAwait(false);
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
