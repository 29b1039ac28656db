using System.IO.Compression;
using System.Net;
using Azure.Storage.Blobs;
using ServerlessReco.Storage;
using static ServerlessReco.Tests.Ingest.IngestTestData;

namespace ServerlessReco.Tests.Ingest;

/// <summary>Many single-event requests at once, as storefronts send them: coalesced into shared flushes.</summary>
public class GroupCommitIngestionTests
{
    /// <summary>
    /// Hundreds of posts at once on a test machine shared with the rest of the suite can wait past the write budget
    /// (1.5 s) and be answered 503, as they should be under such load (FaultInjectionTests covers that); these tests
    /// are about what the shared flushes store, so the posts wait as long as storage may take.
    /// </summary>
    private static readonly Dictionary<string, string?> Unhurried = new() { [ServerlessReco.Functions.Ingest.IngestOptions.WriteBudgetSecondsKey] = "60" };

    private static async Task<HttpResponseMessage[]> PostEachAsync(RunningHandler handler, IEnumerable<string> ids) =>
        await Task.WhenAll(ids.Select(id => handler.PostEventsAsync(Json(Event(id, user: "shopper-" + id)))));

    /// <summary>Every event line in the event log, counting copies (training's ReadDistinctAsync would hide them).</summary>
    private static async Task<List<string>> LoggedLinesAsync(DataStore store)
    {
        var lines = new List<string>();
        await foreach (var path in store.Blobs.ListAsync(Containers.Events, ""))
        {
            if (!path.EndsWith(".jsonl.gz", StringComparison.Ordinal)) continue;
            using var gzip = new GZipStream((await store.Blobs.GetAsync(Containers.Events, path))!.ToStream(), CompressionMode.Decompress);
            using var reader = new StreamReader(gzip);
            while (await reader.ReadLineAsync() is { } line)
                if (line.Length > 0) lines.Add(line);
        }
        return lines;
    }

    [Fact]
    public async Task Concurrent_single_event_requests_are_all_accepted_and_stored_exactly_once()
    {
        var store = TestStorage.NewStore();
        await using var handler = await RunningHandler.StartAsync(store, Unhurried);
        var ids = Enumerable.Range(0, 300).Select(i => $"single-{i}").ToList();

        var responses = await PostEachAsync(handler, ids);

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        foreach (var (response, id) in responses.Zip(ids))
        {
            var report = await response.ReadJsonAsync();
            Assert.Equal(1, report.GetProperty("accepted").GetInt32());
            Assert.Equal(id, report.GetProperty("results")[0].GetProperty("eventId").GetString());
        }
        // Once in the log (not merely once after training's dedup) and once in the table.
        Assert.Equal(ids.Count, (await LoggedLinesAsync(store)).Count);
        Assert.Equal(ids.Order(), (await store.EventLog.ReadDistinctAsync()).Select(e => e.EventId).Order());
        Assert.Equal(ids.Count, await CountRowsAsync(store, "events"));
    }

    [Fact]
    public async Task The_same_event_in_concurrent_requests_is_accepted_once()
    {
        var store = TestStorage.NewStore();
        await using var handler = await RunningHandler.StartAsync(store, Unhurried);
        var ids = Enumerable.Range(0, 60).Select(i => $"dup-{i}").ToList();
        var at = DateTimeOffset.UtcNow.AddMinutes(-1);
        // Each event three times, from three concurrent requests (a storefront retrying while the first is in flight).
        var sends = ids.SelectMany(id => Enumerable.Repeat(id, 3)).ToList();

        var responses = await Task.WhenAll(sends.Select(id => handler.PostEventsAsync(Json(Event(id, user: "shopper-" + id, at: at)))));

        var statuses = new List<(string Id, string Status)>();
        foreach (var (response, id) in responses.Zip(sends))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            statuses.Add((id, Statuses(await response.ReadJsonAsync())[0]));
        }
        foreach (var id in ids)
        {
            Assert.Single(statuses, s => s.Id == id && s.Status == "accepted");
            Assert.Equal(2, statuses.Count(s => s.Id == id && s.Status == "duplicate"));
        }
        Assert.Equal(ids.Count, await CountRowsAsync(store, "events"));
        Assert.Equal(ids.Order(), (await store.EventLog.ReadDistinctAsync()).Select(e => e.EventId).Order());
    }

    [Fact]
    public async Task Storage_failing_during_coalesced_flushes_fails_every_waiting_request_and_a_retry_stores_each_event_once()
    {
        var store = TestStorage.NewStore();
        await using var handler = await RunningHandler.StartAsync(store, Unhurried);
        Assert.Equal(HttpStatusCode.OK, (await handler.PostEventsAsync(Json(Event("before")))).StatusCode);
        // The event log's container disappears under the running handler: every flush's first write now fails.
        var events = new BlobServiceClient(TestStorage.ConnectionString).GetBlobContainerClient(store.Prefix + Containers.Events);
        await events.DeleteAsync();

        var ids = Enumerable.Range(0, 100).Select(i => $"fail-{i}").ToList();
        var now = DateTimeOffset.UtcNow;
        var hubBodies = Enumerable.Range(0, 5).Select(i => Event($"fail-hub-{i}").ToJsonString()).ToList();
        var http = PostEachAsync(handler, ids);
        var hub = handler.Client.PostAsync("/IngestEvents", Json(EventHubTriggerTests.HostPayload(hubBodies, hubBodies.Select(_ => now).ToList())));

        foreach (var response in await http)
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.False((await response.ReadJsonAsync()).TryGetProperty("results", out _));
        }
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await hub).StatusCode);
        // Nothing acknowledged, nothing half-stored: the rows come only after the log.
        Assert.Equal(1, await CountRowsAsync(store, "events"));

        await events.CreateAsync();
        var retried = await PostEachAsync(handler, ids);
        foreach (var response in retried)
            Assert.Equal(1, (await response.ReadJsonAsync()).GetProperty("accepted").GetInt32());
        Assert.Equal(ids.Count + 1, await CountRowsAsync(store, "events"));
        Assert.Equal(ids.Count, (await store.EventLog.ReadDistinctAsync()).Count(e => e.EventId.StartsWith("fail-", StringComparison.Ordinal)));
    }
}
