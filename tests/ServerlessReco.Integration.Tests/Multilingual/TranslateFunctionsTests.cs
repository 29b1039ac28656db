using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ServerlessReco.Domain;
using ServerlessReco.Storage;
using ServerlessReco.Tests.Translate;
using ServerlessReco.Translate;

namespace ServerlessReco.Tests.Multilingual;

/// <summary>POST /api/translate and the TranslateCatalog timer function on a running handler, azurite and the fake Translator.</summary>
public sealed class TranslateFunctionsTests : IAsyncLifetime
{
    // What the Functions host sends for a timer trigger (values as Json.NET writes them).
    private const string TimerInvocation = """
        {"Data": {"timer": {"Schedule": {"AdjustForDST": true}, "ScheduleStatus": null, "IsPastDue": false}},
         "Metadata": {"sys": {"MethodName": "TranslateCatalog", "UtcNow": "2025-06-01T10:15:00.0000000Z", "RandGuid": "4a3f0e4d-2c1b-4d8e-9f7a-1b2c3d4e5f60"}}}
        """;

    private readonly DataStore _store = TestStorage.NewStore();
    private FakeTranslatorServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeTranslatorServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private Task<RunningHandler> StartConfiguredAsync() => RunningHandler.StartAsync(_store,
        new Dictionary<string, string?> { ["TRANSLATOR_KEY"] = FakeTranslatorServer.Key, ["TRANSLATOR_REGION"] = "westeurope" },
        services => services.AddSingleton(_server.CreateOptions()));

    [Fact]
    public async Task Translate_returns_each_text_with_its_translations_and_a_repeat_is_served_from_the_cache()
    {
        await using var handler = await StartConfiguredAsync();
        var request = new { texts = new[] { "Wool scarf", "Tea cup" }, to = new[] { "de", "fr" }, from = "en" };

        using var first = await handler.Client.PostAsJsonAsync("/api/translate", request);
        using var second = await handler.Client.PostAsJsonAsync("/api/translate", request);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using var body = JsonDocument.Parse(await first.Content.ReadAsStringAsync());
        var translations = body.RootElement.GetProperty("translations");
        Assert.Equal("Wool scarf", translations[0].GetProperty("text").GetString());
        Assert.Equal("[de] Wool scarf", translations[0].GetProperty("to").GetProperty("de").GetString());
        Assert.Equal("[fr] Tea cup", translations[1].GetProperty("to").GetProperty("fr").GetString());
        Assert.Equal(0, body.RootElement.GetProperty("cache").GetProperty("hits").GetInt64());
        Assert.Equal(4, body.RootElement.GetProperty("cache").GetProperty("misses").GetInt64());

        using var repeat = JsonDocument.Parse(await second.Content.ReadAsStringAsync());
        Assert.Equal(4, repeat.RootElement.GetProperty("cache").GetProperty("hits").GetInt64());
        Assert.Equal(0, repeat.RootElement.GetProperty("cache").GetProperty("misses").GetInt64());
        Assert.Single(_server.Requests);
    }

    [Theory]
    [InlineData("""{"texts": [], "to": ["de"]}""", "texts")]
    [InlineData("""{"texts": ["ok", ""], "to": ["de"]}""", "texts")]
    [InlineData("""{"texts": ["ok", null], "to": ["de"]}""", "texts")]
    [InlineData("""{"texts": ["ok"], "to": []}""", "to")]
    [InlineData("""{"texts": ["ok"], "to": ["de", "not a language"]}""", "to")]
    [InlineData("""{"texts": ["ok"], "to": ["de"], "from": "en_US"}""", "from")]
    [InlineData("""{"to": ["de"]}""", "texts")]
    public async Task Invalid_requests_are_400_problem_details_naming_the_field(string json, string field)
    {
        await using var handler = await StartConfiguredAsync();

        using var response = await handler.Client.PostAsync("/api/translate", new StringContent(json, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty(field, out _), problem.RootElement.ToString());
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public async Task Too_many_texts_too_long_texts_and_malformed_json_are_400()
    {
        await using var handler = await StartConfiguredAsync();
        var tooMany = new { texts = Enumerable.Repeat("x", 101).ToArray(), to = new[] { "de" } };
        var tooLong = new { texts = new[] { new string('x', 5_001) }, to = new[] { "de" } };
        var tooManyLanguages = new { texts = new[] { "x" }, to = Enumerable.Repeat("de", 11).ToArray() };

        Assert.Equal(HttpStatusCode.BadRequest, (await handler.Client.PostAsJsonAsync("/api/translate", tooMany)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await handler.Client.PostAsJsonAsync("/api/translate", tooLong)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await handler.Client.PostAsJsonAsync("/api/translate", tooManyLanguages)).StatusCode);
        using var malformed = await handler.Client.PostAsync("/api/translate", new StringContent("{\"texts\": [", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Equal("application/problem+json", malformed.Content.Headers.ContentType?.MediaType);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public async Task Without_credentials_translate_is_503_saying_why_and_the_timer_function_succeeds_disabled()
    {
        await using var handler = await RunningHandler.StartAsync(_store);

        using var translate = await handler.Client.PostAsJsonAsync("/api/translate", new { texts = new[] { "x" }, to = new[] { "de" } });
        using var timer = await handler.Client.PostAsync("/TranslateCatalog", new StringContent(TimerInvocation, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, translate.StatusCode);
        Assert.Equal("application/problem+json", translate.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await translate.Content.ReadAsStringAsync());
        Assert.Contains("TRANSLATOR_KEY not set", problem.RootElement.GetProperty("detail").GetString());

        Assert.Equal(HttpStatusCode.OK, timer.StatusCode);
        using var result = JsonDocument.Parse(await timer.Content.ReadAsStringAsync());
        Assert.Contains("TRANSLATOR_KEY not set", result.RootElement.GetProperty("ReturnValue").GetProperty("disabled").GetString());
        Assert.Contains("TRANSLATOR_KEY not set", result.RootElement.GetProperty("Logs")[0].GetString());
        Assert.Equal(JsonValueKind.Object, result.RootElement.GetProperty("Outputs").ValueKind);
    }

    [Fact]
    public async Task TranslateCatalog_adds_market_languages_once_and_retranslates_only_a_changed_title()
    {
        // p001-p008 sell in Germany and France, p009-p012 only in the UK (English, the source), p013-p016 only in France.
        var items = MultilingualCatalogue.Untranslated(["DE", "FR"]);
        for (int i = 8; i < 16; i++) items[i] = items[i] with { Markets = i < 12 ? ["GB"] : ["FR"] };
        await _store.Catalog.UpsertAsync(items);
        await using var handler = await StartConfiguredAsync();

        var firstRun = await InvokeTimerAsync(handler);
        int requestsAfterFirst = _server.Requests.Count;
        var secondRun = await InvokeTimerAsync(handler);

        Assert.Equal(8 * 2 + 4, firstRun.GetProperty("titles").GetInt32());
        Assert.Equal(8 * 2 + 4, firstRun.GetProperty("cacheMisses").GetInt64());
        var p001 = (await _store.Catalog.GetAsync("p001"))!;
        Assert.Equal("[de] " + p001.Title, p001.Titles!["de"]);
        Assert.Equal("[fr] " + p001.Title, p001.Titles["fr"]);
        Assert.Equal(CatalogTranslation.SourceHash(p001), p001.TitlesSource);
        Assert.Null((await _store.Catalog.GetAsync("p010"))!.Titles);
        Assert.Equal(["fr"], (await _store.Catalog.GetAsync("p014"))!.Titles!.Keys);

        Assert.Equal(0, secondRun.GetProperty("titles").GetInt32());
        Assert.Equal(0, secondRun.GetProperty("updatedItems").GetInt32());
        Assert.Equal(requestsAfterFirst, _server.Requests.Count);

        var p002 = (await _store.Catalog.GetAsync("p002"))!;
        await _store.Catalog.UpsertAsync([p002 with { Title = "Women's trail running shoes, waterproof" }]);
        var thirdRun = await InvokeTimerAsync(handler);

        Assert.Equal(1, thirdRun.GetProperty("updatedItems").GetInt32());
        Assert.Equal(1, thirdRun.GetProperty("retranslatedItems").GetInt32());
        var retranslation = Assert.Single(_server.Requests.Skip(requestsAfterFirst));
        Assert.Equal(["Women's trail running shoes, waterproof"], retranslation.Texts);
        Assert.Equal("[de] Women's trail running shoes, waterproof", (await _store.Catalog.GetAsync("p002"))!.Titles!["de"]);
        Assert.Equal(p001.Titles, (await _store.Catalog.GetAsync("p001"))!.Titles);
    }

    private static async Task<JsonElement> InvokeTimerAsync(RunningHandler handler)
    {
        using var response = await handler.Client.PostAsync("/TranslateCatalog", new StringContent(TimerInvocation, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var result = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Single(result.RootElement.GetProperty("Logs").EnumerateArray());
        return result.RootElement.GetProperty("ReturnValue").Clone();
    }
}
