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
        // A key that cannot be read makes every lookup in its object throw: the record is refused as a whole.
        { "/api/events", "ok-key-last", Event("bad-key-last", extra: """, "\ud800": 1"""), "$" },
        { "/api/events", "ok-key-first", Event("bad-key-first").Replace("""{"eventId""", """{"\udc00": 1, "eventId"""), "$" },
        { "/api/items", "ok-key", Item("bad-key", """, "\ud800": 1"""), "$" },
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

    /// <summary>Event Hubs invocations whose envelope holds an escaped lone surrogate: the field named in the dead letter's reasons.</summary>
    public static TheoryData<string, string, string> PoisonInvocations => new()
    {
        { "\"PartitionId\":\"3\"", "\"PartitionId\":\"\\ud800\"", "Metadata.TriggerPartitionContext.PartitionId" },
        { "\"EnqueuedTimeUtcArray\":\"[", "\"EnqueuedTimeUtcArray\":\"[\\\"\\\\udc00\\\",", "Metadata.EnqueuedTimeUtcArray" },
        { "\"SequenceNumberArray\":\"[", "\"SequenceNumberArray\":\"[\\\"\\\\udc00\\\",", "Metadata.SequenceNumberArray" },
        { "\"Data\":{\"events\":", "\"Data\":\"\\ud800\",\"Unused\":{\"events\":", "Data" },
    };

    [Theory]
    [MemberData(nameof(PoisonInvocations))]
    public async Task A_poison_event_hubs_invocation_is_dead_lettered_byte_for_byte_and_acknowledged(string find, string replace, string field)
    {
        var clean = EventHubTriggerTests.HostPayload([Event("eh-poison-" + Guid.NewGuid().ToString("N"))], [DateTimeOffset.UtcNow]);
        Assert.Contains(find, clean);
        var payload = clean.Replace(find, replace);
        var response = await handler.Client.PostAsync("/IngestEvents", Json(payload));

        // 200 is what stops the host's retry policy (maxRetryCount -1) from sending it again forever.
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {text}");
        Assert.Equal(1, JsonDocument.Parse(text).RootElement.GetProperty("ReturnValue").GetProperty("rejected").GetInt32());
        JsonElement? letter = null;
        foreach (var path in await DeadLettersAsync(world.Store))
        {
            var candidate = JsonDocument.Parse((await world.Store.Blobs.GetAsync(Containers.DeadLetter, path))!.ToString()).RootElement;
            if (candidate.GetProperty("raw").GetString() == payload) letter = candidate;
        }
        Assert.True(letter is not null, "no dead letter holds the invocation byte for byte");
        Assert.True(letter.Value.GetProperty("reasons").TryGetProperty(field, out _), letter.Value.GetProperty("reasons").GetRawText());
    }

    [Fact]
    public async Task One_event_id_for_two_users_in_a_batch_rejects_the_second_and_a_repeat_is_a_duplicate()
    {
        var id = "shared-" + Guid.NewGuid().ToString("N");
        var first = Event(id, user: "ann");
        var response = await handler.Client.PostAsync("/api/events", Json($"[{first}, {Event(id, user: "ben")}, {first}]"));
        var report = await response.ReadJsonAsync();
        Assert.Equal(["accepted", "rejected", "duplicate"], Statuses(report));
        var errors = report.GetProperty("results")[1].GetProperty("errors");
        Assert.Contains("index 0", errors.GetProperty("eventId")[0].GetString());
        var stored = (await world.Store.EventLog.ReadDistinctAsync()).Where(e => e.EventId == id).ToList();
        Assert.Equal(handler.Services.GetRequiredService<Domain.Pseudonymizer>().Pseudonymize("ann"), Assert.Single(stored).User);
    }

    [Theory]
    [InlineData("/API/items/{0}")]
    [InlineData("/api/items/{0}")]
    [InlineData("http://reco.example/API/items/{0}")]
    public async Task A_path_id_is_percent_decoded_once(string target)
    {
        var id = "%41" + Guid.NewGuid().ToString("N");
        var put = await handler.Client.PutAsync("/api/items", Json($"[{Item(id)}]"));
        Assert.Equal(1, (await put.ReadJsonAsync()).GetProperty("upserted").GetInt32());
        // %2541 is the id's "%41" encoded once; decoded twice it would be "A".
        var host = target.StartsWith("http://", StringComparison.Ordinal) ? new Uri(target).Authority : "reco";
        var (status, _, body) = await RawAsync($"GET {string.Format(target, Uri.EscapeDataString(id))} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        Assert.True(status == 200, $"{status} {body}");
        Assert.Equal(id, JsonDocument.Parse(body).RootElement.GetProperty("id").GetString());
    }

    /// <summary>
    /// Refusals outside any endpoint: the request line, exactly as sent. Not here: what Kestrel refuses while
    /// parsing (a NUL in the decoded path, a request line over 64 KiB, headers too slow), which it answers itself
    /// without a body and with no hook to change that (SERVING.md).
    /// </summary>
    public static TheoryData<string, int> FrameworkRefusals => new()
    {
        { $"GET /api/popular?market=DE&pad={new string('x', 9000)} HTTP/1.1", 414 },
        { $"GET /api/items/{new string('x', 20_000)} HTTP/1.1", 414 },
        { "GET /api/nothing-here HTTP/1.1", 404 },
        { "PUT /api/popular HTTP/1.1", 405 },
    };

    [Theory]
    [MemberData(nameof(FrameworkRefusals))]
    public async Task A_framework_refusal_is_problem_details_too(string requestLine, int expected)
    {
        var (status, headers, body) = await RawAsync($"{requestLine}\r\nHost: reco\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        Assert.True(status == expected, $"{status} {headers} {body}");
        Assert.Contains("Content-Type: application/problem+json", headers, StringComparison.OrdinalIgnoreCase);
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal(expected, problem.GetProperty("status").GetInt32());
        foreach (var field in new[] { "type", "title", "detail" })
            Assert.True(problem.TryGetProperty(field, out var value) && value.GetString() is { Length: > 0 }, $"{field} missing: {body}");
    }

    [Fact]
    public async Task A_body_that_stops_arriving_is_408_problem_details()
    {
        // 1 of 1,000 promised bytes: Kestrel's minimum body data rate (240 bytes/s after a 5 s grace) fails the read.
        var (status, headers, body) = await RawAsync("POST /api/events HTTP/1.1\r\nHost: reco\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n[");
        Assert.True(status == 408, $"{status} {headers} {body}");
        Assert.Contains("Content-Type: application/problem+json", headers, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(408, JsonDocument.Parse(body).RootElement.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task A_translate_body_over_the_limit_is_413_problem_details()
    {
        var big = """{"texts": [""" + string.Join(",", Enumerable.Repeat("\"" + new string('a', 5000) + "\"", 1000)) + """], "to": ["de"]}""";
        var response = await handler.Client.PostAsync("/api/translate", Json(big));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        await ProblemShape.AssertAsync(handler, response, 413);
    }

    /// <summary>One request over a raw socket (the client library would normalise the target): status, header block, body.</summary>
    private async Task<(int Status, string Headers, string Body)> RawAsync(string request)
    {
        using var socket = new TcpClient();
        await socket.ConnectAsync(handler.Address.Host, handler.Address.Port);
        var stream = socket.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var received = new MemoryStream();
        var buffer = new byte[16384];
        try
        {
            while (await stream.ReadAsync(buffer, timeout.Token) is var read and > 0) received.Write(buffer, 0, read);
        }
        catch (IOException)
        {
            // Kestrel may reset the connection after answering a refused request; what arrived is the answer.
        }
        var answer = Encoding.UTF8.GetString(received.ToArray());
        var split = answer.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        Assert.True(split > 0, $"no HTTP answer: '{answer}'");
        var headers = answer[..split];
        var body = answer[(split + 4)..];
        if (headers.Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase))
            body = string.Concat(Regex.Split(body, "\r\n").Where((_, i) => i % 2 == 1));
        return (int.Parse(headers.Split(' ')[1]), headers, body);
    }
}
