using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ServerlessReco.Domain;
using ServerlessReco.Tests.Edge;
using ServerlessReco.Tests.Serve;

namespace ServerlessReco.Tests.Worker;

/// <summary>
/// The custom handler (over a socket) and the isolated worker (functions invoked directly) on two stores holding the
/// same published world: every request gets the same status, content type and body from both.
/// </summary>
public sealed class HandlerAndWorker : IAsyncLifetime
{
    public RunningHandler Handler { get; private set; } = null!;
    public WorkerHost Worker { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Handler = await ServeWorld.StartAsync(await ServeWorld.PublishedStoreAsync());
        Worker = await WorkerHost.StartAsync(await ServeWorld.PublishedStoreAsync(), ServeWorld.Settings);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var health = JsonDocument.Parse((await Worker.SendAsync("get", "/api/health")).Body).RootElement;
            if (health.GetProperty("modelVersion").GetString() == "v1" && health.GetProperty("counts").GetProperty("catalogueItems").GetInt32() > 0) break;
            if (DateTime.UtcNow > deadline) throw new TimeoutException("The worker never loaded v1: " + health);
            await Task.Delay(100);
        }
    }

    public async Task DisposeAsync()
    {
        await Handler.DisposeAsync();
        await Worker.DisposeAsync();
    }
}

public class WorkerContractTests(HandlerAndWorker both) : IClassFixture<HandlerAndWorker>
{
    /// <summary>
    /// Fields that differ between any two answers: the request's trace id, the age of the model and catalogue, the
    /// server's own address, a minted token (its expiry is to the second), and what holds the moment a store was
    /// written (a manifest's hash covers its creation time, a dead letter's path its time received and a random id).
    /// Times differ too (each store was written, each request made, at its own moment).
    /// </summary>
    private static readonly string[] Volatile = ["traceId", "modelAge", "catalogueLoadedAt", "servers", "token", "manifestSha256", "path", "recommendationId"];

    /// <summary>The handler's contract cases (<see cref="ContractTests.Calls"/>), then error answers of each kind.</summary>
    public static TheoryData<string, string, string?, string, bool> Requests()
    {
        var data = new TheoryData<string, string, string?, string, bool>();
        foreach (var call in ContractTests.Calls)
            data.Add((string)call[0], (string)call[2], (string?)call[3], "application/json", true);
        data.Add("get", "/api/openapi.json", null, "application/json", false);
        data.Add("get", "/api/popular?market=XX", null, "application/json", false);
        data.Add("get", "/api/items/K1/similar?market=DE&count=0", null, "application/json", false);
        data.Add("get", "/api/items/nothing-like-it/similar?market=DE", null, "application/json", false);
        data.Add("get", "/api/recommendations/alice?market=DE", null, "application/json", false);
        data.Add("get", "/api/items/" + Uri.EscapeDataString(ServeWorld.HostileItem), null, "application/json", false);
        data.Add("get", "/api/items/no-such-item", null, "application/json", false);
        data.Add("post", "/api/events", "[]", "text/plain", false);
        data.Add("post", "/api/events", "[{", "application/json", false);
        data.Add("put", "/api/items", """[{"id": "C2", "category": "kitchen", "title": "Mug", "markets": ["ZZ"]}]""", "application/json", false);
        data.Add("post", "/api/translate", """{"texts": [], "to": ["de"]}""", "application/json", false);
        return data;
    }

    [Theory]
    [MemberData(nameof(Requests))]
    public async Task The_worker_answers_as_the_custom_handler_does(string method, string path, string? body, string contentType, bool shopperToken)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method.ToUpperInvariant()), path);
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue(contentType));
        var handlerResponse = await (shopperToken ? both.Handler.Client : both.Handler.Anonymous).SendAsync(request);
        var handlerBody = await handlerResponse.Content.ReadAsStringAsync();

        string? token = null;
        if (shopperToken && path.StartsWith("/api/recommendations/", StringComparison.Ordinal))
        {
            var user = Uri.UnescapeDataString(path.Split('?')[0]["/api/recommendations/".Length..]);
            token = $"{ShopperTokens.Scheme} {both.Worker.Services.GetRequiredService<ShopperTokens>().Mint(user, DateTimeOffset.UtcNow.AddMinutes(10))}";
        }
        var worker = await both.Worker.SendAsync(method, path, body, request.Content?.Headers.ContentType?.ToString() ?? contentType, token);

        Assert.True((int)handlerResponse.StatusCode == worker.Status, $"{method} {path}: handler {(int)handlerResponse.StatusCode} {handlerBody}; worker {worker.Status} {worker.Body}");
        Assert.Equal(handlerResponse.Content.Headers.ContentType?.MediaType, worker.ContentType?.Split(';')[0]);
        Assert.Equal(handlerResponse.Headers.WwwAuthenticate.ToString(), worker.Headers.WWWAuthenticate.ToString());
        Assert.Equal(Comparable(handlerBody), Comparable(worker.Body));
    }

    [Fact]
    public async Task A_request_the_worker_routed_is_routed_again_to_the_shared_endpoint()
    {
        // The worker's own endpoint is on the context (WorkerHost sets it as the worker's routing does); were it
        // kept, routing would skip the request and nothing would answer.
        var answer = await both.Worker.SendAsync("get", "/api/popular?market=DE&count=3");
        Assert.Equal(200, answer.Status);
        Assert.Equal(3, JsonDocument.Parse(answer.Body).RootElement.GetProperty("items").GetArrayLength());
    }

    /// <summary>The body as JSON with the volatile fields removed, times masked and properties sorted, or as text when it is not JSON.</summary>
    private static string Comparable(string body)
    {
        JsonNode? node;
        try { node = JsonNode.Parse(body); }
        catch (JsonException) { return body; }
        void Strip(JsonNode? n)
        {
            if (n is JsonObject o)
            {
                foreach (var name in Volatile) o.Remove(name);
                foreach (var (_, child) in o) Strip(child);
            }
            else if (n is JsonArray a) foreach (var child in a) Strip(child);
        }
        JsonNode? MaskTimes(JsonNode? n) => n switch
        {
            // Property order carries no meaning, nor does the order of the document's tags: the OpenAPI document lists
            // paths and tags in the order of its endpoint data sources, which each host creates in its own order.
            JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key,
                p.Key == "tags" && p.Value is JsonArray tags ? new JsonArray([.. tags.Select(MaskTimes).OrderBy(t => t?.ToJsonString(), StringComparer.Ordinal)]) : MaskTimes(p.Value)))),
            JsonArray a => new JsonArray([.. a.Select(MaskTimes)]),
            JsonValue v when v.TryGetValue<string>(out var text) && text.Length >= 20 && DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out _) => JsonValue.Create("<time>"),
            _ => n?.DeepClone(),
        };
        Strip(node);
        return MaskTimes(node)?.ToJsonString() ?? "null";
    }
}
