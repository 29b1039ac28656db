using System.Net;
using System.Text.Json.Nodes;
using ServerlessReco.Domain;
using ServerlessReco.Storage;
using static ServerlessReco.Tests.Ingest.IngestTestData;

namespace ServerlessReco.Tests.Ingest;

public class ErasureTests
{
    [Fact]
    public async Task Erased_user_is_gone_from_the_events_table_and_from_the_next_training_read()
    {
        var store = TestStorage.NewStore();
        await using var handler = await RunningHandler.StartAsync(store);
        const string user = "erase/me#1";
        var events = Enumerable.Range(0, 5).Select(i => (JsonNode)Event($"er-{i}", user: user))
            .Concat(Enumerable.Range(0, 3).Select(i => (JsonNode)Event($"keep-{i}", user: "stays"))).ToArray();
        await handler.PostEventsAsync(Json(events));
        Assert.Equal(8, (await store.EventLog.ReadDistinctAsync()).Count);

        var response = await handler.Client.DeleteAsync("/api/users/" + Uri.EscapeDataString(user));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var report = await response.ReadJsonAsync();
        var pseudonym = handler.Services.GetRequiredService<Pseudonymizer>().Pseudonymize(user);
        Assert.Equal(pseudonym, report.GetProperty("userPseudonym").GetString());
        Assert.Equal(5, report.GetProperty("eventsTableRowsDeleted").GetInt32());
        Assert.True(report.GetProperty("tombstoneRecorded").GetBoolean());
        Assert.InRange(report.GetProperty("erasedAt").GetDateTimeOffset(), DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow);
        Assert.Contains("next model poll", report.GetProperty("serving").GetString());
        Assert.Contains("next published model holds nothing", report.GetProperty("nextTraining").GetString());
        Assert.Contains("after erasedAt are new data", report.GetProperty("laterEvents").GetString());

        var remaining = await store.EventLog.ReadDistinctAsync();
        Assert.Equal(3, remaining.Count);
        Assert.DoesNotContain(remaining, e => e.User == pseudonym);
        Assert.Empty(await store.RecentEvents.ReadRecentAsync(pseudonym, DateTimeOffset.MinValue, 100));
        Assert.Equal(3, await CountRowsAsync(store, "events"));
    }

    [Fact]
    public async Task Erasing_an_unknown_user_is_200_with_nothing_deleted()
    {
        await using var handler = await RunningHandler.StartAsync(TestStorage.NewStore());
        var response = await handler.Client.DeleteAsync("/api/users/nobody");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, (await response.ReadJsonAsync()).GetProperty("eventsTableRowsDeleted").GetInt32());
    }

    [Fact]
    public async Task A_tombstone_covers_the_users_events_up_to_the_latest_erasure_and_an_untimed_one_covers_all()
    {
        var store = TestStorage.NewStore();
        var t = new DateTimeOffset(2026, 11, 30, 10, 0, 0, TimeSpan.Zero);
        InteractionEvent At(string id, string user, DateTimeOffset at) => new() { EventId = id, User = user, Item = "i", Type = EventType.View, Market = "GB", Timestamp = at };
        await store.EventLog.AppendAsync([
            At("a-before", "a", t.AddHours(-1)), At("a-at", "a", t), At("a-between", "a", t.AddHours(1)), At("a-after", "a", t.AddHours(3)),
            At("legacy", "old", t.AddYears(1)), At("kept", "b", t)]);
        await store.EventLog.RecordTombstoneAsync("a", t);
        await store.EventLog.RecordTombstoneAsync("a", t.AddHours(2));
        // What erasure wrote before tombstones carried a time: the pseudonym alone.
        await store.Blobs.PutAsync(Containers.Tombstones, "old", BinaryData.FromString(t.ToString("O")), overwrite: true);

        var tombstones = await store.EventLog.ReadTombstonesAsync();
        Assert.Equal(t.AddHours(2), tombstones["a"]);
        Assert.Equal(DateTimeOffset.MaxValue, tombstones["old"]);
        Assert.Equal(["a-after", "kept"], (await store.EventLog.ReadDistinctAsync()).Select(e => e.EventId).Order());
    }
}
