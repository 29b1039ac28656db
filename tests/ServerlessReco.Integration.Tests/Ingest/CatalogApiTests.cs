using System.Net;
using System.Text.Json.Nodes;
using ServerlessReco.Functions.Serve;
using static ServerlessReco.Tests.Ingest.IngestTestData;

namespace ServerlessReco.Tests.Ingest;

public class CatalogApiTests
{
    private static JsonObject Item(string id, params string[] markets) => new()
    {
        ["id"] = id,
        ["category"] = "home",
        ["sourceLanguage"] = "en",
        ["title"] = "WHITE HANGING HEART T-LIGHT HOLDER",
        ["description"] = "Cream heart\nwith hook",
        ["markets"] = new JsonArray(markets.Select(m => (JsonNode)m).ToArray()),
        ["inStock"] = true,
        ["prices"] = new JsonObject { ["GB"] = 2.55, ["DE"] = 2.99 },
    };

    private static string Path(string id) => "/api/items/" + Uri.EscapeDataString(id);

    [Fact]
    public async Task Put_then_get_round_trips_items_with_hostile_ids()
    {
        await using var handler = await RunningHandler.StartAsync(TestStorage.NewStore());
        var ids = new[] { "85123A", "a/b\\c#d?e", "Kaffeemühle ☕", "%2F", "a/../b", ".hidden", "x y+z&w=1" };
        var response = await handler.Client.PutAsync("/api/items", Json(ids.Select(id => (JsonNode)Item(id, "GB", "de")).ToArray()));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var report = await response.ReadJsonAsync();
        Assert.Equal(ids.Length, report.GetProperty("upserted").GetInt32());

        foreach (var id in ids)
        {
            var get = await handler.Client.GetAsync(Path(id));
            Assert.True(get.StatusCode == HttpStatusCode.OK, $"GET {id}: {get.StatusCode}");
            var item = await get.ReadJsonAsync();
            Assert.Equal(id, item.GetProperty("id").GetString());
            Assert.Equal(["GB", "DE"], item.GetProperty("markets").EnumerateArray().Select(m => m.GetString()));
            Assert.Equal(2.99m, item.GetProperty("prices").GetProperty("DE").GetDecimal());
        }
    }

    [Fact]
    public async Task Put_validates_each_item_on_its_own()
    {
        await using var handler = await RunningHandler.StartAsync(TestStorage.NewStore());
        var bad = Item("bad\u0001id", "XX");
        bad["prices"] = new JsonObject { ["GB"] = -1 };
        var response = await handler.Client.PutAsync("/api/items", Json(Item("good", "GB"), bad, Item("good", "FR")));
        var report = await response.ReadJsonAsync();
        Assert.Equal(1, report.GetProperty("upserted").GetInt32());
        Assert.Equal(2, report.GetProperty("rejected").GetInt32());
        Assert.Equal(["upserted", "rejected", "rejected"], Statuses(report));
        Assert.Equal(["id", "markets", "prices"], report.GetProperty("results")[1].GetProperty("errors").EnumerateObject().Select(p => p.Name).Order());
        Assert.True(report.GetProperty("results")[2].GetProperty("errors").TryGetProperty("id", out _));
    }

    [Fact]
    public async Task Put_limits_and_shape()
    {
        await using var handler = await RunningHandler.StartAsync(TestStorage.NewStore());
        var tooMany = await handler.Client.PutAsync("/api/items", Json(Enumerable.Range(0, 1001).Select(i => (JsonNode)Item($"i{i}", "GB")).ToArray()));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooMany.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await handler.Client.PutAsync("/api/items", Json("{\"id\":\"x\"}"))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await handler.Client.PutAsync("/api/items", Json("nope"))).StatusCode);
    }

    [Fact]
    public async Task Get_missing_item_is_404_problem()
    {
        await using var handler = await RunningHandler.StartAsync(TestStorage.NewStore());
        var response = await handler.Client.GetAsync(Path("no/such#item"));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.BadRequest, (await handler.Client.GetAsync(Path("ctl\u0001"))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await handler.Client.GetAsync(Path(new string('x', 257)))).StatusCode);
    }

    [Fact]
    public async Task Patch_out_of_stock_and_markets_is_stored_and_seen_by_the_serving_cache_at_once()
    {
        var store = TestStorage.NewStore();
        await using var handler = await RunningHandler.StartAsync(store);
        const string id = "mug/42";
        await handler.Client.PutAsync("/api/items", Json(Item(id, "GB", "DE")));
        var cache = handler.Services.GetRequiredService<CatalogCache>();
        Assert.True(cache.TryGet(id, out var cached) && cached.InStock);

        var patch = new HttpRequestMessage(HttpMethod.Patch, Path(id)) { Content = Json("{\"inStock\": false, \"addMarkets\": [\"fr\"], \"removeMarkets\": [\"GB\"]}") };
        var response = await handler.Client.SendAsync(patch);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.ReadJsonAsync();
        Assert.False(body.GetProperty("inStock").GetBoolean());

        Assert.True(cache.TryGet(id, out var now));
        Assert.False(now.InStock);
        Assert.Equal(["DE", "FR"], now.Markets);
        var stored = await store.Catalog.GetAsync(id);
        Assert.False(stored!.InStock);
        Assert.Equal(["DE", "FR"], stored.Markets);
        Assert.Equal("WHITE HANGING HEART T-LIGHT HOLDER", stored.Title);
    }

    [Fact]
    public async Task Patch_validation_and_missing_item()
    {
        await using var handler = await RunningHandler.StartAsync(TestStorage.NewStore());
        await handler.Client.PutAsync("/api/items", Json(Item("p1", "GB")));
        async Task<HttpResponseMessage> Patch(string id, string json) =>
            await handler.Client.SendAsync(new HttpRequestMessage(HttpMethod.Patch, Path(id)) { Content = Json(json) });

        var invalid = await Patch("p1", "{\"markets\": [\"XX\"], \"inStock\": \"no\"}");
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        var errors = (await invalid.ReadJsonAsync()).GetProperty("errors");
        Assert.True(errors.TryGetProperty("markets", out _));
        Assert.True(errors.TryGetProperty("inStock", out _));
        Assert.Equal(HttpStatusCode.BadRequest, (await Patch("p1", "{}")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await Patch("p1", "not json")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Patch("absent", "{\"inStock\": false}")).StatusCode);
    }
}
