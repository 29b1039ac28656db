using Azure;
using ServerlessReco.Tests.Translate;
using ServerlessReco.Translate;

namespace ServerlessReco.Tests.Multilingual;

/// <summary>TranslationCache and CachedTranslator on azurite's table service, with the fake Translator behind the client.</summary>
public sealed class TranslationCacheTests : IAsyncLifetime
{
    private FakeTranslatorServer _server = null!;
    private readonly TranslationCache _cache = new(TestStorage.NewStore().Table(TranslationCache.DefaultTableName));

    public async Task InitializeAsync() => _server = await FakeTranslatorServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Stored_translations_round_trip_and_anything_else_is_a_null_miss()
    {
        await _cache.SetManyAsync("de", "en", ["Red scarf", "Blue mug"], ["Roter Schal", "Blaue Tasse"]);

        Assert.Equal(["Roter Schal", null, "Blaue Tasse"], await _cache.GetManyAsync("DE", "EN", ["Red scarf", "Green lamp", "Blue mug"]));
        Assert.Equal([null, null], await _cache.GetManyAsync("fr", "en", ["Red scarf", "Blue mug"]));
        Assert.Equal([null], await _cache.GetManyAsync("de", TranslationCache.AutoDetectSource, ["Red scarf"]));
    }

    [Fact]
    public async Task A_second_call_is_all_hits_and_sends_no_request()
    {
        var client = new TranslatorClient(TranslatorClient.GlobalEndpoint, new AzureKeyCredential(FakeTranslatorServer.Key), _server.CreateOptions());
        string[] texts = ["Wool scarf", "Tea cup", "Wool scarf"];

        var first = new CachedTranslator(client, _cache);
        var translated = await first.TranslateAsync(texts, ["de", "fr"], "en");
        var second = new CachedTranslator(client, _cache);
        var again = await second.TranslateAsync(texts, ["de", "fr"], "en");

        Assert.Equal((0, 4), (first.Hits, first.Misses));
        Assert.Equal((4, 0), (second.Hits, second.Misses));
        var request = Assert.Single(_server.Requests);
        Assert.Equal(["Wool scarf", "Tea cup"], request.Texts);
        Assert.Equal("[fr] Tea cup", again[1]["fr"]);
        Assert.Equal(translated.Select(t => t["de"]), again.Select(t => t["de"]));
    }
}
