using System.Net;
using static ServerlessReco.Tests.Serve.ServeWorld;

namespace ServerlessReco.Tests.Serve;

public class SimilarAndPopularTests(PublishedHandler world) : IClassFixture<PublishedHandler>
{
    private RunningHandler handler => world.Handler;

    [Fact]
    public async Task Similar_items_are_the_item_s_block_filtered_by_market_and_stock()
    {

        var answer = await GetJsonAsync(handler, "/api/items/K1/similar?market=DE&count=4&locale=fr");
        Assert.Equal("K1", answer.GetProperty("itemId").GetString());
        var items = ItemsOf(answer);
        Assert.Equal(4, items.Count);
        Assert.All(items, item => Assert.Equal("kitchen", CategoryOf(item)));
        Assert.DoesNotContain("K1", items);
        Assert.DoesNotContain("K2", items);
        Assert.DoesNotContain("K3", items);
        var reason = answer.GetProperty("items")[0].GetProperty("reason");
        Assert.Equal("similar-to", reason.GetProperty("kind").GetString());
    }

    [Fact]
    public async Task Similar_items_of_an_id_with_forbidden_key_characters()
    {
        var answer = await GetJsonAsync(handler, $"/api/items/{Uri.EscapeDataString(HostileItem)}/similar?market=DE&count=2");
        Assert.Equal(HostileItem, answer.GetProperty("itemId").GetString());
        Assert.Equal(2, ItemsOf(answer).Count);
    }

    [Fact]
    public async Task Unknown_item_is_404_problem_details()
    {
        var problem = await GetJsonAsync(handler, "/api/items/nope/similar?market=DE", HttpStatusCode.NotFound);
        Assert.Equal(404, problem.GetProperty("status").GetInt32());
        Assert.Contains("'nope'", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Popular_is_per_market_with_category_filter()
    {

        var fr = await GetJsonAsync(handler, "/api/popular?market=FR&count=3");
        Assert.All(ItemsOf(fr), item => Assert.Equal("toys", CategoryOf(item)));
        Assert.Equal("T1", ItemsOf(fr)[0]);

        var kitchen = await GetJsonAsync(handler, "/api/popular?market=DE&category=kitchen&count=10");
        Assert.Equal(["K1", "K4", "K5", "K6", HostileItem], ItemsOf(kitchen));
    }
}
