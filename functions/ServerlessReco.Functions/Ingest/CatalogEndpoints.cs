using System.Text.Json;
using ServerlessReco.Domain;
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
    private const string ItemsPrefix = "/api/items/";

    /// <summary>PUT /api/items: a JSON array of items, each upserted or rejected on its own.</summary>
    public static async Task<IResult> PutItemsAsync(HttpContext ctx)
    {
        if (await RequestHelpers.ReadBoundedAsync(ctx, MaxBytesPerRequest, ctx.RequestAborted) is not { } body)
            return RequestHelpers.TooLarge($"{MaxItemsPerRequest:N0} items and 16 MiB");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException e)
        {
            return RequestHelpers.BadRequest("The body is not valid JSON: " + e.Message);
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Array) return RequestHelpers.BadRequest("The body must be a JSON array of items.");
            if (document.RootElement.GetArrayLength() > MaxItemsPerRequest) return RequestHelpers.TooLarge($"{MaxItemsPerRequest:N0} items and 16 MiB");
            var records = document.RootElement.EnumerateArray().ToList();
            var writer = ctx.RequestServices.GetRequiredService<CatalogWriter>();
            var cache = ctx.RequestServices.GetRequiredService<CatalogCache>();
            return await RequestHelpers.WithStorageAsync(ctx, "Upserting the items", async ct =>
            {
                var (report, written) = await writer.UpsertAsync(records, ct);
                cache.Apply(written);
                return Results.Json(report, IngestJsonContext.Default.ItemUpsertReport);
            });
        }
    }

    /// <summary>GET /api/items/{id}: the item as stored, or 404.</summary>
    public static async Task<IResult> GetItemAsync(HttpContext ctx)
    {
        var id = RequestHelpers.PathId(ctx, ItemsPrefix);
        if (!InputRules.IsValidId(id, out var problem)) return InvalidId(problem);
        var store = ctx.RequestServices.GetRequiredService<DataStore>();
        return await RequestHelpers.WithStorageAsync(ctx, "Reading the item", async ct =>
            await store.Catalog.GetAsync(id, ct) is { } item
                ? Results.Json(item, DomainJsonContext.Default.CatalogItem)
                : NotFound(id));
    }

    /// <summary>PATCH /api/items/{id} with {inStock?, markets?, addMarkets?, removeMarkets?}.</summary>
    public static async Task<IResult> PatchItemAsync(HttpContext ctx)
    {
        var id = RequestHelpers.PathId(ctx, ItemsPrefix);
        if (!InputRules.IsValidId(id, out var problem)) return InvalidId(problem);
        if (await RequestHelpers.ReadBoundedAsync(ctx, 64 * 1024, ctx.RequestAborted) is not { } body)
            return RequestHelpers.TooLarge("64 KiB");
        ItemPatch patch;
        try
        {
            using var document = JsonDocument.Parse(body);
            var (parsed, errors) = ItemValidator.ValidatePatch(document.RootElement);
            if (errors is not null) return Results.ValidationProblem(errors, title: "Invalid change");
            patch = parsed!;
        }
        catch (JsonException e)
        {
            return RequestHelpers.BadRequest("The body is not valid JSON: " + e.Message);
        }
        var writer = ctx.RequestServices.GetRequiredService<CatalogWriter>();
        var cache = ctx.RequestServices.GetRequiredService<CatalogCache>();
        return await RequestHelpers.WithStorageAsync(ctx, "Updating the item", async ct =>
        {
            if (await writer.PatchAsync(id, patch, ct) is not { } item) return NotFound(id);
            cache.Apply([item]);
            return Results.Json(item, DomainJsonContext.Default.CatalogItem);
        });
    }

    private static IResult InvalidId(string problem) =>
        Results.ValidationProblem(new Dictionary<string, string[]> { ["id"] = [problem] }, title: "Invalid item id");

    private static IResult NotFound(string id) => Results.Problem(
        statusCode: StatusCodes.Status404NotFound, title: "Item not found",
        detail: id.Length <= 64 ? $"There is no item '{id}'." : "There is no item with this id.");
}
