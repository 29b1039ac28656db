using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using ServerlessReco.Domain;
using ServerlessReco.Feedback;
using ServerlessReco.Jobs;
using ServerlessReco.Jobs.Search;
using ServerlessReco.Publish;
using ServerlessReco.Rank;
using ServerlessReco.Search;
using ServerlessReco.Storage;
using ServerlessReco.Tests.Multilingual;
using ServerlessReco.Tests.Serve;
using static ServerlessReco.Tests.Serve.ServeWorld;

namespace ServerlessReco.Tests.Search;

/// <summary>
/// ServeWorld's catalogue and model plus the 16 multilingual fixture products, indexed by build-search-index with
/// the fixture BERT encoder (random weights: semantic retrieval runs, its ranking means nothing), served over a socket.
/// </summary>
public sealed class SearchWorld : IAsyncLifetime
{
    public static string Encoder => Path.Combine(AppContext.BaseDirectory, "fixtures", "encoders", "bert-wordpiece");

    public DataStore Store { get; private set; } = null!;
    public RunningHandler Handler { get; private set; } = null!;
    public string FirstIndex { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Store = await PublishedStoreAsync();
        await Store.Catalog.UpsertAsync(MultilingualCatalogue.Items(["DE", "FR", "GB"]));
        FirstIndex = (await BuildSearchIndexJob.RunAsync(Store, Encoder, 8, IJobProgress.None, default)).Written.Version;
        // The query encoder is the one the index was built with.
        Handler = await RunningHandler.StartAsync(Store, new Dictionary<string, string?>(Settings) { [ServerlessReco.Embed.TextEncoder.DirectoryVariable] = Encoder });
        await WaitForAsync(Handler, h => h.GetProperty("modelVersion").GetString() == "v1" && h.GetProperty("counts").GetProperty("catalogueItems").GetInt32() > 0);
    }

    public async Task DisposeAsync() => await Handler.DisposeAsync();
}

public class SearchTests(SearchWorld world) : IClassFixture<SearchWorld>
{
    private RunningHandler handler => world.Handler;

    private static List<string> Ids(JsonElement answer) => ItemsOf(answer);

    [Fact]
    public async Task A_fragment_with_typos_finds_the_product_with_its_title_in_the_shoppers_language()
    {
        var answer = await GetJsonAsync(handler, "/api/search?q=runing%20shoes&market=DE&locale=de-AT&count=5");

        Assert.Equal("p001", Ids(answer)[0]);
        var top = answer.GetProperty("items")[0];
        Assert.Equal("de", top.GetProperty("title").GetProperty("language").GetString());
        Assert.True(top.GetProperty("title").GetProperty("translated").GetBoolean());
        Assert.Equal("footwear", top.GetProperty("category").GetString());
        Assert.True(top.GetProperty("score").GetSingle() > 0);
        Assert.True(answer.GetProperty("semantic").GetBoolean());
        Assert.Equal("both", top.GetProperty("matched").GetString());
        Assert.False(answer.GetProperty("queryTranslated").GetBoolean());
        Assert.False(answer.GetProperty("personalized").GetBoolean());
        // The version serving (another test of this class publishes a second one); health names the same.
        var version = answer.GetProperty("indexVersion").GetString();
        Assert.StartsWith(world.FirstIndex[..8], version);
        Assert.Equal(version, (await GetJsonAsync(handler, "/api/health")).GetProperty("searchIndexVersion").GetString());
        Assert.True(Ids(answer).Count <= 5);
    }

    [Fact]
    public async Task Every_answer_has_a_recommendation_id_and_its_items_are_recorded_as_search_impressions()
    {
        var answer = await GetJsonAsync(handler, "/api/search?q=shoes&market=DE&count=3");
        var id = answer.GetProperty("recommendationId").GetString();
        Assert.True(RecommendationIds.IsWellFormed(id), id);
        Assert.NotEqual(id, (await GetJsonAsync(handler, "/api/search?q=shoes&market=DE&count=3")).GetProperty("recommendationId").GetString());

        // Written off the request path at the next flush (every 5 s by default).
        List<Impression> shown = [];
        for (var deadline = DateTime.UtcNow.AddSeconds(20); shown.Count == 0 && DateTime.UtcNow < deadline; await Task.Delay(250))
            shown = [.. (await new ImpressionLog(world.Store.Blobs).ReadAsync(null)).Where(i => i.RecommendationId == id)];
        Assert.Equal(Ids(answer), shown.OrderBy(i => i.Position).Select(i => i.Item).ToList());
        Assert.All(shown, i =>
        {
            Assert.Equal(Strategy.Search, i.Strategy);
            Assert.Equal(answer.GetProperty("indexVersion").GetString(), i.ModelVersion);
            Assert.Equal("DE", i.Market);
        });
    }

    [Theory]
    [InlineData("Laufschuhe", "p001")]
    [InlineData("chaussures de course", "p001")]
    [InlineData("ランニングシューズ", "p001")]
    public async Task A_query_in_a_stored_translations_language_finds_the_product(string query, string expected)
    {
        var answer = await GetJsonAsync(handler, $"/api/search?q={Uri.EscapeDataString(query)}&market=FR");
        Assert.Equal(expected, Ids(answer)[0]);
    }

    [Fact]
    public async Task Every_retrieval_takes_part_and_says_so()
    {
        var answer = await GetJsonAsync(handler, "/api/search?q=Laufschuhe&market=DE&count=50");
        var matched = answer.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("matched").GetString()).ToList();

        Assert.Equal("both", matched[0]);
        // Items without the word come from the encoder alone.
        Assert.Contains("semantic", matched);
        Assert.DoesNotContain("lexical", matched.Skip(1).Where(m => m != "semantic" && m != "both"));
    }

    [Fact]
    public async Task Only_items_sold_in_the_market_and_in_stock_are_answered()
    {
        // K2 is sold only in France, K3 is out of stock.
        Assert.DoesNotContain("K2", Ids(await GetJsonAsync(handler, "/api/search?q=item%20K2&market=DE&count=50")));
        Assert.Contains("K2", Ids(await GetJsonAsync(handler, "/api/search?q=item%20K2&market=FR&count=50")));
        Assert.DoesNotContain("K3", Ids(await GetJsonAsync(handler, "/api/search?q=item%20K3&market=FR&count=50")));
    }

    [Fact]
    public async Task A_stock_change_after_the_index_was_built_applies_to_the_next_search()
    {
        Assert.Equal("p016", Ids(await GetJsonAsync(handler, "/api/search?q=sunscreen&market=GB"))[0]);
        var patch = new HttpRequestMessage(HttpMethod.Patch, "/api/items/p016") { Content = new StringContent("{\"inStock\": false}", Encoding.UTF8, "application/json") };
        Assert.Equal(HttpStatusCode.OK, (await handler.Client.SendAsync(patch)).StatusCode);

        Assert.DoesNotContain("p016", Ids(await GetJsonAsync(handler, "/api/search?q=sunscreen&market=GB&count=50")));
    }

    [Fact]
    public async Task With_a_shoppers_token_results_are_re_ranked_for_that_shopper()
    {
        // Every ServeWorld title is "Item <id>": the query ties them, the shopper's taste decides.
        var anonymous = Ids(await GetJsonAsync(handler, "/api/search?q=item&market=DE&count=6"));
        var alice = await AsShopperAsync("alice", "/api/search?q=item&market=DE&count=6&userId=alice");
        var bob = await AsShopperAsync("bob", "/api/search?q=item&market=DE&count=6&userId=bob");

        Assert.True(alice.GetProperty("personalized").GetBoolean(), $"anonymous {string.Join(",", anonymous)} alice {string.Join(",", Ids(alice))} bob {string.Join(",", Ids(bob))}");
        Assert.Equal("v1", alice.GetProperty("modelVersion").GetString());
        Assert.All(Ids(alice).Take(3), id => Assert.Equal("kitchen", CategoryOf(id)));
        Assert.All(Ids(bob), id => Assert.Equal("garden", CategoryOf(id)));
        // Anonymous, the same query mixes categories.
        Assert.Contains(anonymous, id => CategoryOf(id) != "garden");
        Assert.NotEqual(Ids(alice), Ids(bob));
        Assert.NotEqual(anonymous, Ids(bob));
    }

    [Fact]
    public async Task A_userId_needs_that_shoppers_token()
    {
        var none = await handler.Anonymous.GetAsync("/api/search?q=item&market=DE&userId=alice");
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal("application/problem+json", none.Content.Headers.ContentType?.MediaType);

        var other = new HttpRequestMessage(HttpMethod.Get, "/api/search?q=item&market=DE&userId=alice");
        other.Headers.Authorization = new AuthenticationHeaderValue(ShopperTokens.Scheme, Tokens.Mint("bob", DateTimeOffset.UtcNow.AddMinutes(5)));
        Assert.Equal(HttpStatusCode.Forbidden, (await handler.Anonymous.SendAsync(other)).StatusCode);
    }

    public static TheoryData<string, string> BadRequests => new()
    {
        { "/api/search?market=DE", "q" },
        { "/api/search?q=&market=DE", "q" },
        { "/api/search?q=%20%20%09&market=DE", "q" },
        { $"/api/search?q={new string('a', 501)}&market=DE", "q" },
        { "/api/search?q=shoes%0Ashoes&market=DE", "q" },
        { "/api/search?q=shoes%01&market=DE", "q" },
        { "/api/search?q=shoes", "market" },
        { "/api/search?q=shoes&market=XX", "market" },
        { "/api/search?q=shoes&market=DE&locale=de_AT", "locale" },
        { "/api/search?q=shoes&market=DE&count=0", "count" },
        { "/api/search?q=shoes&market=DE&count=201", "count" },
        { $"/api/search?q=shoes&market=DE&userId={new string('u', 257)}", "userId" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Bad_input_is_400_problem_details_naming_the_parameter(string path, string parameter)
    {
        var response = await handler.Anonymous.GetAsync(path);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal([parameter], problem.GetProperty("errors").EnumerateObject().Select(e => e.Name));
    }

    [Fact]
    public async Task A_query_of_500_characters_is_accepted()
    {
        var answer = await GetJsonAsync(handler, $"/api/search?q={string.Concat(Enumerable.Repeat("shoes ", 83))}ab&market=DE");
        Assert.Equal("p001", Ids(answer)[0]);
    }

    [Fact]
    public async Task The_openapi_document_lists_search_with_its_parameters_and_the_shopper_token()
    {
        var document = await GetJsonAsync(handler, "/api/openapi.json");
        var search = document.GetProperty("paths").GetProperty("/api/search").GetProperty("get");

        Assert.True(search.GetProperty("x-shopper-token").GetBoolean());
        Assert.Equal("anonymous", search.GetProperty("x-auth-level").GetString());
        var parameters = search.GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("name").GetString()).ToList();
        Assert.Equal(["count", "locale", "market", "q", "userId"], parameters.Order());
        Assert.True(search.GetProperty("responses").TryGetProperty("200", out _));
    }

    [Fact]
    public async Task A_newly_published_index_is_swapped_in_and_a_corrupt_one_refused()
    {
        await world.Store.Catalog.UpsertAsync([new CatalogItem { Id = "zebra-1", Title = "Striped zebra night lamp", Markets = ["DE"], UpdatedAt = DateTimeOffset.UtcNow }]);
        var second = (await BuildSearchIndexJob.RunAsync(world.Store, SearchWorld.Encoder, 8, IJobProgress.None, default)).Written.Version;

        var deadline = DateTime.UtcNow.AddSeconds(20);
        JsonElement answer;
        do answer = await GetJsonAsync(handler, "/api/search?q=zebra&market=DE&count=50");
        while (answer.GetProperty("indexVersion").GetString() != second && DateTime.UtcNow < deadline && await Delay());
        Assert.Equal(second, answer.GetProperty("indexVersion").GetString());
        // The catalogue cache follows the feed: the new item shows once it is known there too.
        deadline = DateTime.UtcNow.AddSeconds(20);
        while (!Ids(answer).Contains("zebra-1") && DateTime.UtcNow < deadline && await Delay())
            answer = await GetJsonAsync(handler, "/api/search?q=zebra&market=DE&count=50");
        Assert.Equal("zebra-1", Ids(answer)[0]);
    }

    private static async Task<bool> Delay()
    {
        await Task.Delay(200);
        return true;
    }

    private ShopperTokens Tokens => (ShopperTokens)handler.Services.GetService(typeof(ShopperTokens))!;

    private async Task<JsonElement> AsShopperAsync(string user, string path)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue(ShopperTokens.Scheme, Tokens.Mint(user, DateTimeOffset.UtcNow.AddMinutes(5)));
        var response = await handler.Anonymous.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return JsonDocument.Parse(body).RootElement.Clone();
    }
}

/// <summary>The artifact in azurite: versions are verified before they are published or loaded.</summary>
public class SearchIndexStoreTests
{
    [Fact]
    public async Task A_version_round_trips_and_an_altered_file_is_refused_by_name()
    {
        var store = TestStorage.NewStore();
        var items = MultilingualCatalogue.Items(["DE"]);
        var indexes = new SearchIndexStore(store.Blobs);
        var written = await indexes.WriteVersionAsync(SearchIndex.Build(items, "s1", DateTimeOffset.UtcNow));
        var published = await indexes.PublishAsync("s1");

        Assert.Equal(published, await indexes.ReadCurrentAsync());
        var loaded = await indexes.LoadAsync(published);
        Assert.Equal(items.Select(i => i.Id), loaded.ItemIds);
        Assert.Null(loaded.Embeddings);
        using (var index = SearchIndex.Open(loaded))
            Assert.Equal("p001", index.ItemIds[index.Lexical("Laufschuhe", 1).Rows[0]]);

        var file = written.Files.Keys.First(f => f.StartsWith(SearchIndexStore.LucenePrefix, StringComparison.Ordinal));
        await store.Blobs.PutAsync(Containers.Catalog, $"{SearchIndexStore.Root}s1/{file}", new BinaryData("altered"u8.ToArray()), overwrite: true);
        var refused = await Assert.ThrowsAsync<ModelIntegrityException>(() => indexes.LoadAsync(published));
        Assert.Contains(file, refused.Message);
        await Assert.ThrowsAsync<ModelIntegrityException>(() => indexes.PublishAsync("s1"));
    }

    [Fact]
    public async Task Without_a_published_index_search_is_503()
    {
        var store = await PublishedStoreAsync();
        await using var handler = await ServeWorld.StartAsync(store);
        // Nothing of search loads at start.
        var health = await GetJsonAsync(handler, "/api/health");
        Assert.True(!health.TryGetProperty("searchIndexVersion", out var loaded) || loaded.ValueKind == JsonValueKind.Null, health.ToString());
        var response = await handler.Anonymous.GetAsync("/api/search?q=shoes&market=DE");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("build-search-index", await response.Content.ReadAsStringAsync());
    }
}

/// <summary>With a Translator key the query is also searched in the catalogue's languages, through the translations cache.</summary>
public sealed class SearchTranslationTests : IAsyncLifetime
{
    private readonly DataStore _store = TestStorage.NewStore();
    private Translate.FakeTranslatorServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await Translate.FakeTranslatorServer.StartAsync();
        // Stored under the Translator's codes, as TranslateCatalog stores them (the fixture writes pt and zh).
        await _store.Catalog.UpsertAsync([.. MultilingualCatalogue.Items(["DE"]).Select(i => i with
        {
            Titles = i.Titles!.ToDictionary(t => t.Key switch { "pt" => "pt-br", "zh" => "zh-Hans", var k => k }, t => t.Value),
        })]);
        await BuildSearchIndexJob.RunAsync(_store, encoderDirectory: null, 8, IJobProgress.None, default);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_query_is_translated_into_the_index_languages_once_and_then_served_from_the_cache()
    {
        await using var handler = await RunningHandler.StartAsync(_store,
            new Dictionary<string, string?>(Settings) { ["TRANSLATOR_KEY"] = Translate.FakeTranslatorServer.Key, ["TRANSLATOR_REGION"] = "westeurope" },
            services => services.AddSingleton(_server.CreateOptions()));
        // The first call opens the index, the translations table and a TLS connection to the service, which on a
        // busy machine can take longer than a search waits for its translation (it then searches untranslated).
        var deadline = DateTime.UtcNow.AddSeconds(30);
        JsonElement warm;
        do warm = await GetJsonAsync(handler, "/api/search?q=Sonnencreme&market=DE");
        while (!warm.GetProperty("queryTranslated").GetBoolean() && DateTime.UtcNow < deadline && await Pause());
        Assert.True(warm.GetProperty("queryTranslated").GetBoolean());

        var answer = await GetJsonAsync(handler, "/api/search?q=Laufschuhe&market=DE");
        Assert.True(answer.GetProperty("queryTranslated").GetBoolean());
        Assert.False(answer.GetProperty("semantic").GetBoolean());
        Assert.Equal("p001", Ids(answer)[0]);
        var sent = Assert.Single(_server.Requests, r => r.Texts.Contains("Laufschuhe"));
        Assert.Null(sent.From);
        // Every language of the index (the Translator detects the query's own and answers it unchanged).
        Assert.Equal(["de", "en", "es", "fr", "it", "ja", "pt-br", "zh-Hans"], sent.To.Order(StringComparer.Ordinal));

        var again = await GetJsonAsync(handler, "/api/search?q=Laufschuhe&market=DE");
        Assert.True(again.GetProperty("queryTranslated").GetBoolean());
        Assert.Single(_server.Requests, r => r.Texts.Contains("Laufschuhe"));
    }

    private static List<string> Ids(JsonElement answer) => ItemsOf(answer);

    private static async Task<bool> Pause()
    {
        await Task.Delay(200);
        return true;
    }
}
