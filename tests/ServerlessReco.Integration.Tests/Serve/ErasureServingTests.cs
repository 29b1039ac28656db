using System.Net;
using System.Text.Json;
using ServerlessReco.Tests.Ingest;
using static ServerlessReco.Tests.Ingest.IngestTestData;
using static ServerlessReco.Tests.Serve.ServeWorld;

namespace ServerlessReco.Tests.Serve;

/// <summary>
/// An erasure in serving: at once on the instance that took the DELETE, within one poll on the others, and
/// events that occur after it counted as new data by serving and training alike.
/// </summary>
public class ErasureServingTests
{
    private const string Dora = "/api/recommendations/dora?market=DE&count=5";
    /// <summary>A shopper nobody knows: what an erased shopper without new events must look like.</summary>
    private const string Nobody = "/api/recommendations/nobody?market=DE&count=5";

    private static string Items(JsonElement answer) => answer.GetProperty("items").ToString();

    private static async Task EraseAsync(RunningHandler handler, string user)
    {
        var response = await handler.Client.DeleteAsync("/api/users/" + user);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task After_DELETE_the_same_instance_no_longer_answers_from_the_shoppers_purchases()
    {
        var store = await PublishedStoreAsync();
        await using var handler = await StartAsync(store);
        var before = await GetJsonAsync(handler, Dora);
        Assert.Contains("because-you-bought", Items(before));

        await EraseAsync(handler, "dora");

        var after = await GetJsonAsync(handler, Dora);
        Assert.DoesNotContain("because-you-bought", Items(after));
        Assert.Equal(Items(await GetJsonAsync(handler, Nobody)), Items(after));
        Assert.Equal("popularity", after.GetProperty("strategy").GetString());
    }

    [Fact]
    public async Task Another_instance_honours_the_erasure_within_one_poll()
    {
        var store = await PublishedStoreAsync();
        await using var first = await StartAsync(store);
        await using var second = await StartAsync(store);
        Assert.Contains("because-you-bought", Items(await GetJsonAsync(second, Dora)));

        await EraseAsync(first, "dora");

        // Settings poll every second: two polls' time is plenty, and well under the next training run.
        var deadline = DateTime.UtcNow.AddSeconds(3);
        var answer = Items(await GetJsonAsync(second, Dora));
        while (answer.Contains("because-you-bought", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
            answer = Items(await GetJsonAsync(second, Dora));
        }
        Assert.Equal(Items(await GetJsonAsync(second, Nobody)), answer);
    }

    [Fact]
    public async Task Events_after_an_erasure_count_in_serving_and_training_and_late_ones_from_before_it_in_neither()
    {
        var store = await PublishedStoreAsync();
        await using var handler = await StartAsync(store);
        var erasedBefore = DateTimeOffset.UtcNow;
        await EraseAsync(handler, "dora");
        var erasedAfter = DateTimeOffset.UtcNow;

        // An event that occurred before the erasure but arrives after it (an offline device, a redelivery).
        var late = await handler.PostEventsAsync(Json(IngestTestData.Event("late", user: "dora", item: "K1", type: "purchase", at: erasedBefore.AddMinutes(-1))));
        Assert.Equal(HttpStatusCode.OK, late.StatusCode);
        Assert.Equal(Items(await GetJsonAsync(handler, Nobody)), Items(await GetJsonAsync(handler, Dora)));

        var fresh = await handler.PostEventsAsync(Json(IngestTestData.Event("fresh", user: "dora", item: "T1", type: "view", at: erasedAfter.AddSeconds(1))));
        Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        var answer = await GetJsonAsync(handler, Dora);
        Assert.Equal("als+realtime", answer.GetProperty("strategy").GetString());
        Assert.All(ItemsOf(answer).Take(3), item => Assert.Equal("toys", CategoryOf(item)));
        Assert.DoesNotContain("because-you-bought", Items(answer));

        var dora = Pseudonyms.Pseudonymize("dora");
        Assert.Equal(["fresh"], (await store.EventLog.ReadDistinctAsync()).Where(e => e.User == dora).Select(e => e.EventId));
    }
}
