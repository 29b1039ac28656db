using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ServerlessReco.Domain;
using ServerlessReco.Storage;
using static ServerlessReco.Tests.Ingest.IngestTestData;

namespace ServerlessReco.Tests.Ingest;

public class EventIngestionTests
{
    [Fact]
    public async Task Mixed_batch_reports_counts_and_per_field_errors_and_stores_only_the_valid_events()
    {
        var store = TestStorage.NewStore();
        await using var handler = await RunningHandler.StartAsync(store);
        var bad = Event("e-bad");
        bad["quantity"] = 0;
        bad["market"] = "XX";
        // The repeat is the same event (same time too): a resend, so a duplicate; the same id for another event is refused (HostileInputTests).
        var first = Event("e-1");
        var response = await handler.PostEventsAsync(Json(first, bad, Event("e-2", type: "purchase"), JsonValue.Create("not an object")!, first));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var report = await response.ReadJsonAsync();
        Assert.Equal(2, report.GetProperty("accepted").GetInt32());
        Assert.Equal(1, report.GetProperty("duplicates").GetInt32());
        Assert.Equal(2, report.GetProperty("rejected").GetInt32());
        Assert.Equal(["accepted", "rejected", "accepted", "rejected", "duplicate"], Statuses(report));
        var rejected = report.GetProperty("results")[1];
        Assert.Equal(1, rejected.GetProperty("index").GetInt32());
        Assert.Equal("e-bad", rejected.GetProperty("eventId").GetString());
        Assert.Equal(["market", "quantity"], rejected.GetProperty("errors").EnumerateObject().Select(p => p.Name).Order());
        Assert.True(report.GetProperty("results")[3].GetProperty("errors").TryGetProperty("$", out _));

        var logged = await store.EventLog.ReadDistinctAsync();
        Assert.Equal(["e-1", "e-2"], logged.Select(e => e.EventId).Order());
        Assert.Equal(2, await CountRowsAsync(store, "events"));
        Assert.Equal(2, (await DeadLettersAsync(store)).Count);
    }

    [Fact]
    public async Task Redelivered_batch_is_all_duplicates_and_stores_nothing_twice()
    {
        var store = TestStorage.NewStore();
        await using var handler = await RunningHandler.StartAsync(store);
        var batch = Enumerable.Range(0, 150).Select(i => (JsonNode)Event($"r-{i}", user: $"u-{i % 7}")).ToArray();

        var first = await (await handler.PostEventsAsync(Json(batch))).ReadJsonAsync();
        Assert.Equal(150, first.GetProperty("accepted").GetInt32());
        var rows = await CountRowsAsync(store, "events");
        var distinct = (await store.EventLog.ReadDistinctAsync()).Count;

        var second = await (await handler.PostEventsAsync(Json(batch))).ReadJsonAsync();
        Assert.Equal(0, second.GetProperty("accepted").GetInt32());
        Assert.Equal(150, second.GetProperty("duplicates").GetInt32());
        Assert.All(Statuses(second), s => Assert.Equal("duplicate", s));
        Assert.Equal(150, rows);
        Assert.Equal(rows, await CountRowsAsync(store, "events"));
        Assert.Equal(distinct, (await store.EventLog.ReadDistinctAsync()).Count);

        // Redelivered in a different grouping (half old, half new): only the new ones count.
        var mixed = batch.Take(50).Concat(Enumerable.Range(150, 50).Select(i => (JsonNode)Event($"r-{i}"))).ToArray();
        var third = await (await handler.PostEventsAsync(Json(mixed))).ReadJsonAsync();
        Assert.Equal(50, third.GetProperty("accepted").GetInt32());
        Assert.Equal(50, third.GetProperty("duplicates").GetInt32());
        Assert.Equal(200, (await store.EventLog.ReadDistinctAsync()).Count);
        Assert.Equal(200, await CountRowsAsync(store, "events"));
    }

    [Fact]
    public async Task Concurrent_deliveries_of_one_batch_accept_each_event_exactly_once()
    {
        var store = TestStorage.NewStore();
        await using var handler = await RunningHandler.StartAsync(store);
        var at = DateTimeOffset.UtcNow.AddMinutes(-1);
        var batch = Enumerable.Range(0, 120).Select(i => (JsonNode)Event($"c-{i}", user: $"u-{i % 3}", at: at.AddSeconds(-i))).ToArray();

        var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ => await (await handler.PostEventsAsync(Json(batch))).ReadJsonAsync()));

        Assert.Equal(120, answers.Sum(a => a.GetProperty("accepted").GetInt32()));
        Assert.Equal(3 * 120, answers.Sum(a => a.GetProperty("duplicates").GetInt32()));
        // Each event id is "accepted" in exactly one answer.
        for (int i = 0; i < 120; i++)
            Assert.Single(answers, a => Statuses(a)[i] == "accepted");
        Assert.Equal(120, await CountRowsAsync(store, "events"));
        Assert.Equal(120, (await store.EventLog.ReadDistinctAsync()).Count);
    }

    [Fact]
    public async Task More_than_500_events_is_413_naming_the_limit()
    {
        await using var handler = await RunningHandler.StartAsync(TestStorage.NewStore());
        var response = await handler.PostEventsAsync(Json(Enumerable.Range(0, 501).Select(i => (JsonNode)Event($"big-{i}")).ToArray()));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("500 events", (await response.ReadJsonAsync()).GetProperty("detail").GetString());

        var ok = await handler.PostEventsAsync(Json(Enumerable.Range(0, 500).Select(i => (JsonNode)Event($"max-{i}")).ToArray()));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task More_than_1_MiB_is_413_even_without_a_Content_Length()
    {
        await using var handler = await RunningHandler.StartAsync(TestStorage.NewStore());
        var e = Event("padded");
        e["sessionId"] = new string('s', 200);
        var padded = "[" + string.Join(",", Enumerable.Repeat(e.ToJsonString(), 10)) + new string(' ', 1024 * 1024) + "]";
        var response = await handler.PostEventsAsync(Json(padded));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("1 MiB", (await response.ReadJsonAsync()).GetProperty("detail").GetString());

        // Chunked: no Content-Length to trust, the bounded reader still stops.
        var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(padded)));
        chunked.Headers.ContentType = new("application/json");
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/events") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        var chunkedResponse = await handler.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, chunkedResponse.StatusCode);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[{\"eventId\": \"x\"")]
    [InlineData("[] trailing")]
    [InlineData("")]
    [InlineData("{\"eventId\": \"e\"}")]
    [InlineData("\"[]\"")]
    public async Task Body_that_is_not_a_JSON_array_is_400(string body)
    {
        await using var handler = await RunningHandler.StartAsync(TestStorage.NewStore());
        var response = await handler.PostEventsAsync(Json(body));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Empty_array_is_fine()
    {
        await using var handler = await RunningHandler.StartAsync(TestStorage.NewStore());
        var report = await (await handler.PostEventsAsync(Json("[]"))).ReadJsonAsync();
        Assert.Equal(0, report.GetProperty("accepted").GetInt32());
    }

    [Fact]
    public async Task Hostile_ids_are_stored_losslessly_and_controls_and_overlong_ids_are_rejected()
    {
        var store = TestStorage.NewStore();
        await using var handler = await RunningHandler.StartAsync(store);
        var hostile = new[] { "a/b", "c\\d", "e#f", "g?h", "ü/日本/😀", "'; DROP TABLE --", "%2F..%2F" };
        var good = hostile.Select((id, i) => (JsonNode)Event(id, user: id, item: id)).ToArray();
        var bad = new JsonNode[]
        {
            Event("ctl-1", user: "nul\u0000user"),
            Event("ctl-2", item: "bell\u0007"),
            Event("tab\tid"),
            Event(new string('x', 257)),
            Event("long-user", user: new string('u', 257)),
        };
        var report = await (await handler.PostEventsAsync(Json(good.Concat(bad).ToArray()))).ReadJsonAsync();
        Assert.Equal(hostile.Length, report.GetProperty("accepted").GetInt32());
        Assert.Equal(bad.Length, report.GetProperty("rejected").GetInt32());

        var logged = await store.EventLog.ReadDistinctAsync();
        Assert.Equal(hostile.Order(), logged.Select(e => e.EventId).Order());
        Assert.Equal(hostile.Order(), logged.Select(e => e.Item).Order());
        var pseudonyms = handler.Services.GetRequiredService<Pseudonymizer>();
        Assert.All(logged, e => Assert.Equal(32, e.User.Length));
        var recent = await store.RecentEvents.ReadRecentAsync(pseudonyms.Pseudonymize("ü/日本/😀"), DateTimeOffset.MinValue, 10);
        Assert.Equal("ü/日本/😀", Assert.Single(recent).Item);
    }

    [Fact]
    public async Task Rejected_event_is_dead_lettered_byte_for_byte_with_its_reasons()
    {
        var store = TestStorage.NewStore();
        await using var handler = await RunningHandler.StartAsync(store);
        // Odd but valid JSON spacing and escapes: the dead letter must keep exactly these bytes.
        const string raw = "{ \"eventId\":\"dl-1\" ,\"userId\":\"Zo\\u00eb\",\"itemId\":\"i\",\"type\":\"like\",\"market\":\"GB\",\"timestamp\":\"2020-01-01T00:00:00Z\" }";
        var report = await (await handler.PostEventsAsync(Json("[" + raw + "]"))).ReadJsonAsync();
        Assert.Equal(1, report.GetProperty("rejected").GetInt32());

        var path = Assert.Single(await DeadLettersAsync(store));
        Assert.Matches(@"^events/\d{4}/\d{2}/\d{2}/\d{9}-[0-9a-f]{32}\.json$", path);
        var letter = JsonDocument.Parse((await store.Blobs.GetAsync(Containers.DeadLetter, path))!.ToString()).RootElement;
        Assert.Equal(raw, letter.GetProperty("raw").GetString());
        Assert.Equal("utf-8", letter.GetProperty("rawEncoding").GetString());
        Assert.Equal("http", letter.GetProperty("source").GetProperty("kind").GetString());
        var reasons = letter.GetProperty("reasons");
        Assert.True(reasons.TryGetProperty("type", out _));
        Assert.True(reasons.TryGetProperty("timestamp", out _));
        Assert.True(letter.TryGetProperty("receivedAt", out _));
    }
}
