using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using ServerlessReco.Storage;

namespace ServerlessReco.Tests.Ingest;

internal static class IngestTestData
{
    public static JsonObject Event(string id, string user = "shopper-1", string item = "85123A", string type = "view", DateTimeOffset? at = null) => new()
    {
        ["eventId"] = id,
        ["userId"] = user,
        ["itemId"] = item,
        ["type"] = type,
        ["quantity"] = 1,
        ["market"] = "GB",
        ["locale"] = "en-GB",
        ["timestamp"] = (at ?? DateTimeOffset.UtcNow.AddMinutes(-1)).ToString("O"),
    };

    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public static StringContent Json(params JsonNode[] events) => Json(new JsonArray(events.Select(e => e.DeepClone()).ToArray()).ToJsonString());

    public static async Task<JsonElement> ReadJsonAsync(this HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    public static async Task<int> CountRowsAsync(DataStore store, string table)
    {
        int n = 0;
        await foreach (var _ in store.Table(table).QueryAsync<TableEntity>(select: ["RowKey"])) n++;
        return n;
    }

    public static async Task<List<string>> DeadLettersAsync(DataStore store)
    {
        var list = new List<string>();
        await foreach (var path in store.Blobs.ListAsync(Containers.DeadLetter, "")) list.Add(path);
        return list;
    }

    public static Task<HttpResponseMessage> PostEventsAsync(this RunningHandler handler, HttpContent content) => handler.Client.PostAsync("/api/events", content);

    public static string[] Statuses(JsonElement report) =>
        report.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("status").GetString()!).ToArray();

    public static HttpContent AsJson<T>(T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info) => JsonContent.Create(value, info);
}
