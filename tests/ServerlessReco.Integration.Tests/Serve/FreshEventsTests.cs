using System.Net;
using System.Text.Json;
using ServerlessReco.Storage;
using static ServerlessReco.Tests.Ingest.IngestTestData;
using static ServerlessReco.Tests.Serve.ServeWorld;

namespace ServerlessReco.Tests.Serve;

/// <summary>
/// Which recommendations read the events table: only those for shoppers the activity feed names as having events
/// newer than the model. Round trips are counted at the table endpoint of a <see cref="FaultyStorage"/> proxy.
/// </summary>
public class FreshEventsTests
{
    private static string Path(string user) => $"/api/recommendations/{user}?market=DE&count=4";

    /// <summary>
    /// The handler behind the proxy with its table polls (catalogue, activity) far apart, so that after start the
    /// only table round trips are the requests' own; the model poll reads blobs.
    /// </summary>
    private static async Task<RunningHandler> StartQuietAsync(DataStore store, FaultyStorage proxy)
    {
        var settings = Settings;
        settings[DataStore.ConnectionStringVariable] = proxy.ConnectionString;
        settings["RECO_CATALOG_POLL_SECONDS"] = "1000";
        settings["RECO_ACTIVITY_POLL_SECONDS"] = "1000";
        var handler = await RunningHandler.StartAsync(store, settings);
        await WaitForAsync(handler, h => h.GetProperty("counts").GetProperty("catalogueItems").GetInt32() > 0
            && h.GetProperty("counts").TryGetProperty("shoppersWithFreshEvents", out var known) && known.ValueKind == JsonValueKind.Number);
        return handler;
    }

    /// <summary>Table round trips the handler made for <paramref name="requests"/> recommendations of <paramref name="user"/>.</summary>
    private static async Task<(long Trips, JsonElement Last)> CountAsync(RunningHandler handler, FaultyStorage proxy, string user, int requests)
    {
        long before = proxy.Tables.RoundTrips;
        JsonElement last = default;
        for (int i = 0; i < requests; i++) last = await GetJsonAsync(handler, Path(user));
        return (proxy.Tables.RoundTrips - before, last);
    }

    [Fact]
    public async Task Shoppers_without_events_newer_than_the_model_cost_no_storage_round_trip_and_those_with_them_one()
    {
        var store = await PublishedStoreAsync();
        // Carol's events were stored before this instance started: it learns of them from the feed, not by itself.
        await store.RecentEvents.UpsertAsync([Event("carol", "T1", ServerlessReco.Domain.EventType.View, DateTimeOffset.UtcNow.AddMinutes(-2))]);
        await using var proxy = FaultyStorage.Start(TestStorage.ConnectionString);
        await using var handler = await StartQuietAsync(store, proxy);

        // Known to the model, and a shopper nobody knows: nothing newer than the model, so no storage call at all.
        var (aliceTrips, alice) = await CountAsync(handler, proxy, "alice", 5);
        Assert.Equal(0, aliceTrips);
        Assert.Equal("als", alice.GetProperty("strategy").GetString());
        Assert.False(alice.GetProperty("freshEventsUnavailable").GetBoolean());
        var (nobodyTrips, nobody) = await CountAsync(handler, proxy, "nobody", 5);
        Assert.Equal(0, nobodyTrips);
        Assert.Equal("popularity", nobody.GetProperty("strategy").GetString());

        // Carol's events are read: one round trip per request, and they are in the answer.
        var (carolTrips, carol) = await CountAsync(handler, proxy, "carol", 5);
        Assert.Equal(5, carolTrips);
        Assert.Equal("als+realtime", carol.GetProperty("strategy").GetString());

        // Bob's event ingested on this instance counts at once, before any poll.
        var posted = await handler.PostEventsAsync(Json(Event("bob-1", user: "bob", item: "L1", type: "purchase", at: DateTimeOffset.UtcNow.AddSeconds(-5))));
        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        var (bobTrips, bob) = await CountAsync(handler, proxy, "bob", 3);
        Assert.Equal(3, bobTrips);
        Assert.Equal("als+realtime", bob.GetProperty("strategy").GetString());
        Assert.DoesNotContain("L1", ItemsOf(bob));
        Assert.Equal(0, (await CountAsync(handler, proxy, "alice", 3)).Trips);

        // A model trained after those events holds them: nobody has fresher events, and no request reads the table.
        var v2 = Model("v2");
        await store.Models.WriteVersionAsync(v2 with { Manifest = v2.Manifest with { TrainedUntil = DateTimeOffset.UtcNow.AddMinutes(10) } });
        await store.Models.PublishAsync("v2");
        await WaitForAsync(handler, h => h.GetProperty("modelVersion").GetString() == "v2");
        var (afterSwap, bobAfter) = await CountAsync(handler, proxy, "bob", 3);
        Assert.Equal(0, afterSwap);
        Assert.Equal("als", bobAfter.GetProperty("strategy").GetString());
        Assert.Equal(0, (await CountAsync(handler, proxy, "carol", 3)).Trips);
    }

    [Fact]
    public async Task An_event_posted_to_one_instance_is_in_the_other_instances_answers_after_one_activity_poll_and_erasure_still_applies()
    {
        var store = await PublishedStoreAsync();
        var settings = Settings;
        settings["RECO_ACTIVITY_POLL_SECONDS"] = "1";
        await using var a = await RunningHandler.StartAsync(store, settings);
        await using var b = await RunningHandler.StartAsync(store, settings);
        foreach (var handler in new[] { a, b })
            await WaitForAsync(handler, h => h.GetProperty("counts").GetProperty("catalogueItems").GetInt32() > 0
                && h.GetProperty("counts").TryGetProperty("shoppersWithFreshEvents", out var known) && known.ValueKind == JsonValueKind.Number);
        Assert.Equal("popularity", (await GetJsonAsync(b, Path("erin"))).GetProperty("strategy").GetString());

        var posted = await a.PostEventsAsync(Json(Event("erin-1", user: "erin", item: "T2", type: "click")));
        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        // On A at once.
        var onA = await GetJsonAsync(a, Path("erin"));
        Assert.Equal("als+realtime", onA.GetProperty("strategy").GetString());
        // On B after its next poll of the feed: within a second here, and the test allows ten.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        JsonElement onB;
        while ((onB = await GetJsonAsync(b, Path("erin"))).GetProperty("strategy").GetString() != "als+realtime" && DateTime.UtcNow < deadline)
            await Task.Delay(100);
        Assert.Equal("als+realtime", onB.GetProperty("strategy").GetString());
        Assert.Equal(ItemsOf(onA), ItemsOf(onB));
        Assert.Equal(1, (await GetJsonAsync(b, "/api/health")).GetProperty("counts").GetProperty("shoppersWithFreshEvents").GetInt32());

        // Erasure on A: its events leave A's answers at once and B's within one model poll, although both still count
        // her as a shopper with fresh events (the table read finds nothing any more).
        Assert.Equal(HttpStatusCode.OK, (await a.Client.DeleteAsync("/api/users/erin")).StatusCode);
        Assert.Equal("popularity", (await GetJsonAsync(a, Path("erin"))).GetProperty("strategy").GetString());
        deadline = DateTime.UtcNow.AddSeconds(10);
        while ((onB = await GetJsonAsync(b, Path("erin"))).GetProperty("strategy").GetString() != "popularity" && DateTime.UtcNow < deadline)
            await Task.Delay(100);
        Assert.Equal("popularity", onB.GetProperty("strategy").GetString());
        Assert.Equal(ItemsOf(await GetJsonAsync(b, Path("nobody"))), ItemsOf(onB));
    }

    [Fact]
    public async Task A_failed_activity_write_acknowledges_nothing_and_the_senders_retry_records_the_activity()
    {
        var store = await PublishedStoreAsync();
        await using var handler = await StartAsync(store);
        var first = await handler.PostEventsAsync(Json(Event("x-1", user: "xavier", item: "T1")));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);

        // The feed table goes away under the running instance: the log and the rows are written, the activity is not.
        await store.Table("activity").DeleteAsync();
        var events = new[] { Event("y-1", user: "yvonne", item: "T2"), Event("y-2", user: "yvonne", item: "T3") };
        var failed = await handler.PostEventsAsync(Json(events));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        Assert.False((await failed.ReadJsonAsync()).TryGetProperty("results", out _));
        Assert.Equal(2, (await store.RecentEvents.ReadRecentAsync(Pseudonyms.Pseudonymize("yvonne"), DateTimeOffset.MinValue, 10)).Count);

        // The sender retries: the rows exist, so the events are duplicates, and this time the activity is recorded.
        await store.Table("activity").CreateIfNotExistsAsync();
        var retried = await handler.PostEventsAsync(Json(events));
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        Assert.Equal(["duplicate", "duplicate"], Statuses(await retried.ReadJsonAsync()));
        var feed = await store.Activity.ReadSinceAsync(DateTimeOffset.UtcNow.AddMinutes(-5));
        Assert.Contains(Pseudonyms.Pseudonymize("yvonne"), feed.Activity.Select(a => a.User));
        Assert.Equal(2, (await store.EventLog.ReadDistinctAsync()).Count(e => e.User == Pseudonyms.Pseudonymize("yvonne")));
    }

    [Fact]
    public async Task A_newer_model_empties_the_set_and_going_back_to_an_older_one_reads_the_feed_back_to_its_cutoff()
    {
        var store = await PublishedStoreAsync();
        await store.RecentEvents.UpsertAsync([Event("carol", "T1", ServerlessReco.Domain.EventType.View, DateTimeOffset.UtcNow.AddMinutes(-2))]);
        var settings = Settings;
        settings["RECO_ACTIVITY_POLL_SECONDS"] = "1";
        await using var handler = await RunningHandler.StartAsync(store, settings);
        static int? Fresh(JsonElement health) =>
            health.GetProperty("counts").TryGetProperty("shoppersWithFreshEvents", out var n) && n.ValueKind == JsonValueKind.Number ? n.GetInt32() : null;
        await WaitForAsync(handler, h => Fresh(h) == 1);

        // Trained after Carol's events: she leaves the set at the next poll, and her answer is the model's alone.
        var v2 = Model("v2");
        await store.Models.WriteVersionAsync(v2 with { Manifest = v2.Manifest with { TrainedUntil = DateTimeOffset.UtcNow.AddMinutes(10) } });
        await store.Models.PublishAsync("v2");
        await WaitForAsync(handler, h => h.GetProperty("modelVersion").GetString() == "v2" && Fresh(h) == 0);
        Assert.Equal("popularity", (await GetJsonAsync(handler, Path("carol"))).GetProperty("strategy").GetString());

        // Back to a model trained before them: the set no longer reaches that cutoff, so the next poll reads the feed
        // back to it, and Carol's events count again.
        await PublishAsync(store, "v3");
        await WaitForAsync(handler, h => h.GetProperty("modelVersion").GetString() == "v3" && Fresh(h) == 1);
        Assert.Equal("als+realtime", (await GetJsonAsync(handler, Path("carol"))).GetProperty("strategy").GetString());
    }
}
