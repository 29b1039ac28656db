using ServerlessReco.Domain;
using ServerlessReco.Jobs.Embed;
using ServerlessReco.Jobs.Evaluate;
using ServerlessReco.Jobs.Train;
using ServerlessReco.Storage;

namespace ServerlessReco.Tests.Multilingual;

/// <summary>
/// evaluate --model on azurite with the real all-MiniLM-L6-v2: two kinds of shoppers (kitchen, garden) buy from
/// their own kind only, and the test month brings new items of both kinds. Titles are the only thing that says
/// which kind a new item is, so the content figures must clearly beat random.
/// </summary>
public sealed class ContentQualityEvaluationTests : IAsyncLifetime
{
    private static readonly string[] Kitchen =
    [
        "white ceramic coffee mug", "porcelain tea cup and saucer", "enamel camping mug", "stoneware tea mug", "glass teapot with infuser",
        "bone china coffee cup", "espresso cup set", "ceramic milk jug", "tea cosy", "coffee cup with lid",
    ];
    private static readonly string[] Garden =
    [
        "garden hose reel", "metal watering can", "stainless garden trowel", "terracotta plant pot", "leather gardening gloves",
        "pruning shears", "garden kneeler pad", "seed tray propagator", "bird feeder for the garden", "wheelbarrow",
    ];
    private static readonly string[] NewKitchen = ["red ceramic coffee mug", "large tea cup", "porcelain espresso cup", "travel coffee mug"];
    private static readonly string[] NewGarden = ["green garden hose", "plastic watering can", "garden hand fork", "hanging flower pot"];

    private static readonly DateTimeOffset Split = new(2025, 3, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly DataStore _store = TestStorage.NewStore();
    private readonly string _encoder = Directory.CreateTempSubdirectory("reco-encoder-").FullName;

    public async Task InitializeAsync()
    {
        await InstallEncoderJob.RunAsync(_encoder, default);
        var items = new List<CatalogItem>();
        void Add(string prefix, string[] titles) => items.AddRange(titles.Select((t, n) => new CatalogItem { Id = $"{prefix}{n:D2}", Title = t, Markets = ["GB"] }));
        Add("k", Kitchen); Add("g", Garden); Add("nk", NewKitchen); Add("ng", NewGarden);
        await _store.Catalog.UpsertAsync(items);

        var random = new Random(11);
        var events = new List<InteractionEvent>();
        void Buy(int user, string item, DateTimeOffset at) => events.Add(new InteractionEvent
        {
            EventId = $"e{events.Count}", User = $"u{user:D2}", Item = item, Type = EventType.Purchase, Market = "GB", Timestamp = at,
        });
        for (int user = 0; user < 40; user++)
        {
            bool kitchen = user % 2 == 0;
            string prefix = kitchen ? "k" : "g";
            foreach (int n in Enumerable.Range(0, 10).OrderBy(_ => random.Next()).Take(5))
                Buy(user, $"{prefix}{n:D2}", Split.AddDays(-30 + random.Next(29)));
            // In the test month: one new item and three more of the shopper's kind.
            Buy(user, $"n{prefix}{random.Next(4):D2}", Split.AddDays(random.Next(1, 28)));
            foreach (int n in Enumerable.Range(0, 10).OrderBy(_ => random.Next()).Take(3))
                Buy(user, $"{prefix}{n:D2}", Split.AddDays(random.Next(1, 28)));
        }
        await _store.EventLog.AppendAsync(events);
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_encoder, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task New_items_ranked_by_content_and_similar_items_by_content_beat_random()
    {
        var settings = new TrainSettings { Parameters = new() { Als = new() { Factors = 4, Iterations = 10 } }, Threads = 2 };

        var report = await EvaluateJob.RunAsync(_store, $"time:{Split:yyyy-MM-dd}", 2, settings, tune: false, default, _encoder);

        var c = report.Content!;
        Assert.Equal(8, c.NewItems);
        Assert.Equal(40, c.ColdStartShoppers);
        Assert.Equal(40, c.ColdStartPairs);
        Assert.Equal([ContentQualityEvaluation.ContentMap, ContentQualityEvaluation.NewItemPopularity, ContentQualityEvaluation.Random], c.ColdStart.Select(r => r.Method));
        double Recall(string method) => c.ColdStart.Single(r => r.Method == method).Metrics.Recall;
        // Random holds the one new item a shopper bought in 2 of 8 slots a quarter of the time; the right kind's 4 items in 2 slots half the time.
        Assert.True(Recall(ContentQualityEvaluation.ContentMap) > Recall(ContentQualityEvaluation.Random) + 0.15,
            $"content map {Recall(ContentQualityEvaluation.ContentMap)}, random {Recall(ContentQualityEvaluation.Random)}");

        Assert.Equal([ContentQualityEvaluation.ContentOnly, ContentQualityEvaluation.AlsOnly, ContentQualityEvaluation.ServedBlend], c.Similar.Select(r => r.Method));
        Assert.Equal(20, c.SimilarAnchors);
        // Test-month shoppers bought three of their own kind: a top 2 of the anchor's kind holds one of their ~8 partners
        // almost always, while a top 2 drawn from both kinds misses about a third of the time.
        Assert.All(c.Similar, r => Assert.True(r.Metrics.HitRate >= 0.8, $"{r.Method}: hit rate {r.Metrics.HitRate}"));
    }
}
