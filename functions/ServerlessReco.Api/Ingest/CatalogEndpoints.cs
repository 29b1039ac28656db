using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using ServerlessReco.Domain;
using ServerlessReco.Functions.Edge;
using ServerlessReco.Functions.Serve;
using ServerlessReco.Ingest;
using ServerlessReco.Storage;

namespace ServerlessReco.Functions.Ingest;

/// <summary>
/// The catalogue API. Every write goes to the items table and its change feed first and then into this
/// instance's <see cref="CatalogCache"/>, so stock and availability changes show in recommendations at once,
/// without retraining; other instances pick them up from the change feed on their next poll. A failed feed
/// write fails the request (500, nothing acknowledged), although the item itself may already be stored.
/// </summary>
public static class CatalogEndpoints
{
    public const int MaxItemsPerRequest = 1_000;
    public const int MaxBytesPerRequest = 16 * 1024 * 1024;
    private const int MaxPatchBytes = 64 * 1024;

    /// <summary>PUT /api/items: a JSON array of items, each upserted or rejected on its own.</summary>
    public static async Task<Results<Ok<ItemUpsertReport>, ProblemHttpResult>> PutItemsAsync(
        HttpRequest request, CatalogWriter writer, CatalogCache cache, StorageCalls storage, CancellationToken aborted)
    {
        if (await RequestHelpers.ReadBoundedAsync(request, MaxBytesPerRequest, aborted) is not { } body)
            return Problems.TooLarge($"{MaxItemsPerRequest:N0} items and 16 MiB");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException e)
        {
            return Problems.BadRequest("The body is not valid JSON: " + e.Message);
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Array) return Problems.BadRequest("The body must be a JSON array of items.");
            if (document.RootElement.GetArrayLength() > MaxItemsPerRequest) return Problems.TooLarge($"{MaxItemsPerRequest:N0} items and 16 MiB");
            var (report, valid) = writer.Validate(document.RootElement.EnumerateArray().ToList());
            return await storage.RunAsync<Ok<ItemUpsertReport>>("Upserting the items", async ct =>
            {
                await writer.UpsertAsync(valid, ct);
                cache.Apply(valid);
                return TypedResults.Ok(report);
            }, request.HttpContext);
        }
    }

    /// <summary>GET /api/items/{itemId}: the item as stored, or 404.</summary>
    public static async Task<Results<Ok<CatalogItem>, ProblemHttpResult>> GetItemAsync(
        HttpRequest request, DataStore store, StorageCalls storage, CancellationToken aborted)
    {
        if (!PathIds.TryRead(request, "itemId", out var id, out var problem)) return problem;
        return await storage.RunAsync<Ok<CatalogItem>>("Reading the item", async ct =>
            await store.Catalog.GetAsync(id, ct) is { } item ? TypedResults.Ok(item) : NotFound(id), request.HttpContext);
    }

    /// <summary>PATCH /api/items/{itemId} with {inStock?, markets?, addMarkets?, removeMarkets?}.</summary>
    public static async Task<Results<Ok<CatalogItem>, ProblemHttpResult>> PatchItemAsync(
        HttpRequest request, CatalogWriter writer, CatalogCache cache, StorageCalls storage, CancellationToken aborted)
    {
        if (!PathIds.TryRead(request, "itemId", out var id, out var problem)) return problem;
        if (await RequestHelpers.ReadBoundedAsync(request, MaxPatchBytes, aborted) is not { } body)
            return Problems.TooLarge("64 KiB");
        ItemPatch patch;
        try
        {
            using var document = JsonDocument.Parse(body);
            var (parsed, errors) = ItemValidator.ValidatePatch(document.RootElement);
            if (errors is not null) return Problems.Invalid(errors, "Invalid change");
            patch = parsed!;
        }
        catch (JsonException e)
        {
            return Problems.BadRequest("The body is not valid JSON: " + e.Message);
        }
        return await storage.RunAsync<Ok<CatalogItem>>("Updating the item", async ct =>
        {
            if (await writer.PatchAsync(id, patch, ct) is not { } item) return NotFound(id);
            cache.Apply([item]);
            return TypedResults.Ok(item);
        }, request.HttpContext);
    }

    private static ProblemHttpResult NotFound(string id) => Problems.NotFound(
        "Item not found", id.Length <= 64 ? $"There is no item '{id}'." : "There is no item with this id.");
}
