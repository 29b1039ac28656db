using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ServerlessReco.Storage;
using ServerlessReco.Tests.Ingest;
using static ServerlessReco.Tests.Ingest.IngestTestData;

namespace ServerlessReco.Tests.Edge;

/// <summary>A fresh store and handler for the class: ingestion needs no model.</summary>
public sealed class IngestHandler : IAsyncLifetime
{
    public DataStore Store { get; } = TestStorage.NewStore();
    public RunningHandler Handler { get; private set; } = null!;

    public async Task InitializeAsync() => Handler = await RunningHandler.StartAsync(Store);

    public async Task DisposeAsync() => await Handler.DisposeAsync();
}

/// <summary>
/// The probe's bad input, over real sockets: every refusal is a 4xx Problem Details naming the field (a batch
/// refuses the record and names the field in its result), never a 500, and valid neighbours are stored.
/// </summary>
public class HostileInputTests(IngestHandler world) : IClassFixture<IngestHandler>
{
    private RunningHandler handler => world.Handler;

    private static string Item(string id, string extra = "") =>
        $$"""{"id": "{{id}}", "title": "Mug", "sourceLanguage": "en", "markets": ["GB"], "prices": {"GB": 3}{{extra}}}""";

    private static string Event(string id, string user = "shopper-1", string extra = "") =>
        $$"""{"eventId": "{{id}}", "userId": "{{user}}", "itemId": "85123A", "type": "view", "market": "GB", "timestamp": "{{DateTimeOffset.UtcNow.AddMinutes(-1):O}}"{{extra}}}""";

    /// <summary>Requests refused whole: method, path, content type (null: none), body, status, the field named in errors.</summary>
    public static TheoryData<string, string, string?, string, int, string> Refused => new()
    {
        { "PATCH", "/api/items/p1", "application/json", """{"addMarkets": ["\ud800"]}""", 400, "addMarkets" },
        { "PATCH", "/api/items/p1", "application/json", """{"markets": ["GB", "\udc00"]}""", 400, "markets" },
        { "PATCH", "/api/items/p1", "application/json", """{"inStock": false, "\ud800": 1}""", 400, "$" },
        { "POST", "/api/translate", "application/json", """{"texts": ["\ud800"], "to": ["de"]}""", 400, "texts" },
        { "POST", "/api/translate", "application/json", """{"texts": ["Mug"], "to": ["de", "\ud800"]}""", 400, "to" },
        { "POST", "/api/translate", "application/json", """{"texts": ["Mug"], "to": ["de"], "from": "\udfff"}""", 400, "from" },
        { "POST", "/api/translate", "application/json", """{"texts": ["Mug"], "to": ["de"], "\ud800": 1}""", 400, "$" },
        // Cross-site forms and text posts need no CORS preflight: only JSON is taken, so a browser must ask first.
        { "POST", "/api/events", "text/plain", "[]", 415, "Content-Type" },
        { "POST", "/api/events", "application/x-www-form-urlencoded", "a=1", 415, "Content-Type" },
        { "POST", "/api/events", "multipart/form-data; boundary=x", "--x--", 415, "Content-Type" },
        { "POST", "/api/events", null, "[]", 415, "Content-Type" },
        { "PUT", "/api/items", "text/plain", "[]", 415, "Content-Type" },
        { "PATCH", "/api/items/p1", "text/plain", """{"inStock": false}""", 415, "Content-Type" },
        { "POST", "/api/translate", "text/plain", """{"texts": ["Mug"], "to": ["de"]}""", 415, "Content-Type" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task Bad_input_is_a_4xx_problem_naming_the_field(string method, string path, string? contentType, string body, int status, string field)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)) };
        if (contentType is not null) request.Content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);
        var response = await handler.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == (int)response.StatusCode, $"{method} {path} {body}: {(int)response.StatusCode} {text}");
        await ProblemShape.AssertAsync(handler, response, status);
        var errors = JsonDocument.Parse(text).RootElement.GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out _), $"errors do not name {field}: {text}");
    }

    /// <summary>Batches: the bad record is rejected naming the field; its valid neighbour (index 0) is stored.</summary>
    public static TheoryData<string, string, string, string> BadRecords => new()
    {
        { "/api/items", "ok-price", Item("bad-price", """, "prices": {"\ud800": 1}""").Replace("""}, "prices": {"GB": 3}""", "}"), "prices" },
        { "/api/items", "ok-market", Item("bad-market").Replace("""["GB"]""", """["\ud800"]"""), "markets" },
        { "/api/items", "ok-title", Item("bad-title").Replace("\"Mug\"", "\"\\udbff\""), "title" },
        { "/api/items", "ok-language", Item("bad-language").Replace("\"en\"", "\"english\""), "sourceLanguage" },
        { "/api/items", "ok-none", Item("bad-none").Replace("""["GB"]""", "[]"), "markets" },
        { "/api/events", "ok-event", Event("bad-event", user: "\\ud800"), "userId" },
        { "/api/events", "ok-locale", Event("bad-locale", extra: """, "locale": "\udc00" """), "locale" },
    };

    [Theory]
    [MemberData(nameof(BadRecords))]
    public async Task A_bad_record_is_rejected_by_field_and_its_valid_neighbour_is_stored(string path, string goodId, string bad, string field)
    {
        var good = path == "/api/items" ? Item(goodId) : Event(goodId);
        var method = path == "/api/items" ? HttpMethod.Put : HttpMethod.Post;
        var response = await handler.Client.SendAsync(new HttpRequestMessage(method, path) { Content = Json($"[{good}, {bad}]") });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {text}");
        var report = JsonDocument.Parse(text).RootElement;
        Assert.Equal(["upserted", "rejected"], Statuses(report).Select(s => s == "accepted" ? "upserted" : s));
        Assert.True(report.GetProperty("results")[1].GetProperty("errors").TryGetProperty(field, out _), text);
        if (path == "/api/items")
            Assert.NotNull(await world.Store.Catalog.GetAsync(goodId));
        else
            Assert.Contains(await world.Store.EventLog.ReadDistinctAsync(), e => e.EventId == goodId);
    }
}
