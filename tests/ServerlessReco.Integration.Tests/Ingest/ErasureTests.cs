using System.Net;
using System.Text.Json.Nodes;
using ServerlessReco.Domain;
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
        Assert.Contains("retention", report.GetProperty("note").GetString());

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
}
