using System.Text.Json;
using ServerlessReco.Domain;
using static ServerlessReco.Tests.Serve.ServeWorld;

namespace ServerlessReco.Tests.Serve;

public class RecommendationTests
{
    [Fact]
    public async Task Only_items_sold_in_the_market_and_in_stock_are_recommended()
    {
        var store = await PublishedStoreAsync();
        await using var handler = await StartAsync(store);

        var de = await GetJsonAsync(handler, "/api/recommendations/alice?market=DE&count=3");
        Assert.Equal("als", de.GetProperty("strategy").GetString());
        Assert.Equal("v1", de.GetProperty("modelVersion").GetString());
        Assert.Equal(["K1", "K4", "K5"], ItemsOf(de));

        var fr = await GetJsonAsync(handler, "/api/recommendations/alice?market=FR&count=3");
        Assert.Equal(["K1", "K2", "K4"], ItemsOf(fr));
    }

    [Fact]
    public async Task Purchased_items_are_excluded_unless_asked_for()
    {
        var store = await PublishedStoreAsync();
        await store.RecentEvents.UpsertAsync([Event("alice", "K1", EventType.Purchase, TrainedUntil.AddHours(-2))]);
        await using var handler = await StartAsync(store);

        var answer = await GetJsonAsync(handler, "/api/recommendations/alice?market=DE&count=3");
        // The purchase is older than the model, so it is not folded in again: plain ALS.
        Assert.Equal("als", answer.GetProperty("strategy").GetString());
        Assert.Equal(["K4", "K5", "K6"], ItemsOf(answer));
        var reason = answer.GetProperty("items")[0].GetProperty("reason");
        Assert.Equal("because-you-bought", reason.GetProperty("kind").GetString());
        Assert.Equal("K1", reason.GetProperty("itemId").GetString());

        var with = await GetJsonAsync(handler, "/api/recommendations/alice?market=DE&count=3&includePurchased=true");
        Assert.Equal("K1", ItemsOf(with)[0]);

        var excluded = await GetJsonAsync(handler, "/api/recommendations/alice?market=DE&count=3&exclude=K4,K5");
        Assert.Equal(["K6", HostileItem, "G1"], ItemsOf(excluded));
    }

    [Fact]
    public async Task Purchases_from_the_training_data_are_excluded_and_explain_the_recommendations()
    {
        var store = await PublishedStoreAsync();
        await using var handler = await StartAsync(store);
        var answer = await GetJsonAsync(handler, "/api/recommendations/dora?market=DE&count=5");
        Assert.Equal("als", answer.GetProperty("strategy").GetString());
        var items = ItemsOf(answer);
        Assert.DoesNotContain("G1", items);
        Assert.All(items.Take(3), i => Assert.StartsWith("G", i));
        var reason = answer.GetProperty("items")[0].GetProperty("reason");
        Assert.Equal("because-you-bought", reason.GetProperty("kind").GetString());
        Assert.Equal("G1", reason.GetProperty("itemId").GetString());
        Assert.Contains("G1", ItemsOf(await GetJsonAsync(handler, "/api/recommendations/dora?market=DE&count=5&includePurchased=true")));
    }

    [Fact]
    public async Task A_new_user_with_events_gets_a_fold_in_vector_and_every_event_changes_the_answer()
    {
        var store = await PublishedStoreAsync();
        var now = DateTimeOffset.UtcNow;
        await store.RecentEvents.UpsertAsync([Event("carol", "T1", EventType.View, now.AddMinutes(-2)), Event("carol", "T2", EventType.Click, now.AddMinutes(-1))]);
        await using var handler = await StartAsync(store);

        var first = await GetJsonAsync(handler, "/api/recommendations/carol?market=DE&count=4");
        Assert.Equal("als+realtime", first.GetProperty("strategy").GetString());
        Assert.All(ItemsOf(first), item => Assert.Equal("toys", CategoryOf(item)));
        var reason = first.GetProperty("items")[0].GetProperty("reason");
        Assert.Equal("similar-to-recent", reason.GetProperty("kind").GetString());

        await store.RecentEvents.UpsertAsync([Event("carol", "L1", EventType.Purchase, now)]);
        var second = await GetJsonAsync(handler, "/api/recommendations/carol?market=DE&count=4");
        Assert.NotEqual(first.GetProperty("items").ToString(), second.GetProperty("items").ToString());
        Assert.DoesNotContain("L1", ItemsOf(second));
    }

    [Fact]
    public async Task A_known_user_s_new_events_are_folded_into_the_stored_vector()
    {
        var store = await PublishedStoreAsync();
        await using var handler = await StartAsync(store);
        var before = await GetJsonAsync(handler, "/api/recommendations/bob?market=DE&count=10");
        Assert.Equal("als", before.GetProperty("strategy").GetString());
        Assert.DoesNotContain(ItemsOf(before), item => CategoryOf(item) == "lights");

        var now = DateTimeOffset.UtcNow;
        // Stored by another writer: this instance learns of them at its next read of the activity feed (2 s here).
        await store.RecentEvents.UpsertAsync([.. new[] { "L1", "L2", "L3" }.Select(i => Event("bob", i, EventType.Purchase, now))]);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        JsonElement after;
        while ((after = await GetJsonAsync(handler, "/api/recommendations/bob?market=DE&count=10")).GetProperty("strategy").GetString() != "als+realtime" && DateTime.UtcNow < deadline)
            await Task.Delay(100);
        Assert.Equal("als+realtime", after.GetProperty("strategy").GetString());
        // The stored vector is the prior: garden still leads, and lights now follow.
        Assert.Equal("garden", CategoryOf(ItemsOf(after)[0]));
        Assert.Contains(ItemsOf(after), item => CategoryOf(item) == "lights");
    }

    [Fact]
    public async Task Unknown_users_without_events_get_market_popularity()
    {
        var store = await PublishedStoreAsync();
        await using var handler = await StartAsync(store);

        var de = await GetJsonAsync(handler, "/api/recommendations/nobody?market=DE&count=3");
        Assert.Equal("popularity", de.GetProperty("strategy").GetString());
        Assert.All(ItemsOf(de), item => Assert.Equal("garden", CategoryOf(item)));
        var reason = de.GetProperty("items")[0].GetProperty("reason");
        Assert.Equal("popular-in-market", reason.GetProperty("kind").GetString());
        Assert.Equal("DE", reason.GetProperty("market").GetString());

        // No GB row in the model: global popularity.
        var gb = await GetJsonAsync(handler, "/api/recommendations/nobody?market=GB&count=3");
        Assert.All(ItemsOf(gb), item => Assert.Equal("lights", CategoryOf(item)));
        Assert.Equal("popular-globally", gb.GetProperty("items")[0].GetProperty("reason").GetProperty("kind").GetString());
    }

    [Fact]
    public async Task Diversity_mixes_in_other_categories()
    {
        var store = await PublishedStoreAsync();
        await using var handler = await StartAsync(store);

        var plain = await GetJsonAsync(handler, "/api/recommendations/alice?market=DE&count=4");
        var diverse = await GetJsonAsync(handler, "/api/recommendations/alice?market=DE&count=4&diversity=0.8");
        int Kitchen(System.Text.Json.JsonElement a) => ItemsOf(a).Count(i => CategoryOf(i) == "kitchen");
        Assert.Equal(4, Kitchen(plain));
        Assert.True(Kitchen(diverse) < 4, "diverse list: " + string.Join(",", ItemsOf(diverse)));
        Assert.Equal("K1", ItemsOf(diverse)[0]);
    }

    [Fact]
    public async Task Cross_category_guarantees_a_category_the_user_has_not_bought()
    {
        var store = await PublishedStoreAsync();
        await store.RecentEvents.UpsertAsync([Event("alice", "K1", EventType.Purchase, TrainedUntil.AddHours(-2))]);
        await using var handler = await StartAsync(store);

        var plain = await GetJsonAsync(handler, "/api/recommendations/alice?market=DE&count=4");
        Assert.All(ItemsOf(plain), item => Assert.Equal("kitchen", CategoryOf(item)));
        var cross = await GetJsonAsync(handler, "/api/recommendations/alice?market=DE&count=4&crossCategory=true");
        Assert.Equal(4, ItemsOf(cross).Count);
        Assert.Contains(ItemsOf(cross), item => CategoryOf(item) != "kitchen");
    }

    [Fact]
    public async Task Titles_fall_back_from_locale_to_language_to_source()
    {
        var store = await PublishedStoreAsync();
        await using var handler = await StartAsync(store);

        var at = await GetJsonAsync(handler, "/api/recommendations/alice?market=AT&locale=de-AT&count=3");
        var titles = at.GetProperty("items").EnumerateArray().ToDictionary(i => i.GetProperty("itemId").GetString()!, i => i.GetProperty("title"));
        Assert.Equal(("Feitel", "de-AT", true), Title(titles["K1"]));
        Assert.Equal(("Topf", "de", true), Title(titles["K4"]));
        Assert.Equal(("Item K5", "en", false), Title(titles["K5"]));

        var de = await GetJsonAsync(handler, "/api/recommendations/alice?market=AT&count=1");
        Assert.Equal("de", de.GetProperty("locale").GetString());
        Assert.Equal(("Messer", "de", true), Title(de.GetProperty("items")[0].GetProperty("title")));

        static (string, string, bool) Title(System.Text.Json.JsonElement t) =>
            (t.GetProperty("text").GetString()!, t.GetProperty("language").GetString()!, t.GetProperty("translated").GetBoolean());
    }

    [Theory]
    [InlineData("a/b")]
    [InlineData("a\\b")]
    [InlineData("a#b")]
    [InlineData("a?b")]
    [InlineData("Jürgen Ñ 李")]
    public async Task Hostile_user_ids_are_pseudonymised_and_served(string rawUser)
    {
        var store = await PublishedStoreAsync();
        await store.RecentEvents.UpsertAsync([Event(rawUser, "T3", EventType.Purchase, DateTimeOffset.UtcNow)]);
        await using var handler = await StartAsync(store);

        var answer = await GetJsonAsync(handler, $"/api/recommendations/{Uri.EscapeDataString(rawUser)}?market=DE&count=2");
        // The events were found under the pseudonym of exactly this id, so the decoding was exact.
        Assert.Equal("als+realtime", answer.GetProperty("strategy").GetString());
        Assert.All(ItemsOf(answer), item => Assert.Equal("toys", CategoryOf(item)));
    }

    [Fact]
    public async Task A_user_id_ingestion_refuses_is_refused_by_serving_too()
    {
        // One rule for ids in paths and bodies: no event can have been stored for an id with control characters.
        await using var handler = await StartAsync(await PublishedStoreAsync());
        var problem = await GetJsonAsync(handler, $"/api/recommendations/{Uri.EscapeDataString("a\u0001b")}?market=DE", System.Net.HttpStatusCode.BadRequest);
        Assert.Contains("control characters", problem.GetProperty("errors").GetProperty("userId")[0].GetString());
    }
}
