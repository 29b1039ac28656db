using System.Numerics.Tensors;
using ServerlessReco.Domain;
using ServerlessReco.Jobs;
using ServerlessReco.Jobs.Embed;
using ServerlessReco.Jobs.Train;
using ServerlessReco.Storage;

namespace ServerlessReco.Tests.Multilingual;

/// <summary>
/// train --model and embed-items on azurite, with the parallel catalogue (English titles plus 7 translations) and
/// the XLM-R fixture encoder. Products p013..p016 have no events: they are the cold items.
/// </summary>
public sealed class EmbedItemsTests : IAsyncLifetime
{
    private const int ColdItems = 4;
    private static readonly TrainSettings Settings = new() { Parameters = new() { Als = new() { Factors = 4, Iterations = 3 } }, Threads = 2 };
    private readonly DataStore _store = TestStorage.NewStore();

    internal static string Encoder => Path.Combine(AppContext.BaseDirectory, "fixtures", "encoders", "xlmr-sentencepiece");

    public async Task InitializeAsync()
    {
        await _store.Catalog.UpsertAsync(MultilingualCatalogue.Items(["GB", "DE", "FR"]));
        var random = new Random(5);
        var start = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var events = new List<InteractionEvent>();
        for (int user = 0; user < 30; user++)
        {
            for (int n = 0; n < 3; n++)
            {
                events.Add(new InteractionEvent
                {
                    EventId = $"e{user}-{n}",
                    User = $"u{user}",
                    Item = $"p{random.Next(1, 16 - ColdItems + 1):D3}",
                    Type = EventType.Purchase,
                    Market = "DE",
                    Timestamp = start.AddHours(user * 3 + n),
                });
            }
        }
        await _store.EventLog.AppendAsync(events);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Train_with_an_encoder_writes_normalised_item_embeddings_the_encoder_identity_and_cold_start_metrics()
    {
        var manifest = (await TrainJob.RunAsync(_store, Settings, IJobProgress.None, default, Encoder, embedBatchSize: 4)).Manifest;

        var model = await _store.Models.LoadAsync(manifest.Version);
        Assert.Equal("xlmr-sentencepiece", model.Manifest.Encoder?.Family);
        Assert.Matches("^[0-9a-f]{64}$", model.Manifest.Encoder!.ModelSha256);
        Assert.Equal(32, model.EmbeddingDimension);
        Assert.Equal(16, model.ItemCount);
        for (int i = 0; i < model.ItemCount; i++)
            Assert.InRange(TensorPrimitives.Norm(model.ItemEmbeddings.AsSpan(i * 32, 32)), 0.999f, 1.001f);
        Assert.Equal(ColdItems, model.Manifest.Counts["coldStartItems"]);
        Assert.Equal(16 * 8, model.Manifest.Counts["embeddedTitles"]);
        Assert.InRange(model.Manifest.Metrics["coldStart.validationRelativeError"], 0, double.MaxValue);
        Assert.InRange(model.Manifest.Metrics["coldStart.validationCosine"], -1, 1);
        Assert.Contains((float)model.Manifest.Metrics["coldStart.lambda"], Train.ContentToFactors.LambdaGrid);
    }

    [Fact]
    public async Task Embed_items_writes_a_new_version_from_the_newest_one_and_changes_only_cold_items()
    {
        var baseManifest = (await TrainJob.RunAsync(_store, Settings, IJobProgress.None, default)).Manifest;
        var baseModel = await _store.Models.LoadAsync(baseManifest.Version);
        Assert.Null(baseModel.ItemEmbeddings);

        var result = await EmbedItemsJob.RunAsync(_store, Encoder, version: null, batchSize: 8, IJobProgress.None, default);

        Assert.NotNull(result);
        var manifest = result.Written;
        Assert.Equal(baseManifest.Version, result.BaseVersion);
        Assert.Equal(baseManifest.Version, manifest.BaseVersion);
        Assert.Equal(2, (await _store.Models.ListVersionsAsync()).Count);
        var model = await _store.Models.LoadAsync(manifest.Version);
        Assert.Equal(baseModel.UserFactors, model.UserFactors);
        Assert.Equal(baseModel.ItemIds, model.ItemIds);
        Assert.Equal(baseModel.Popularity, model.Popularity);
        // Serving excludes and explains with what each shopper bought: the new version must keep it.
        Assert.NotEmpty(baseModel.PurchaseItems);
        Assert.Equal(baseModel.PurchasePointers, model.PurchasePointers);
        Assert.Equal(baseModel.PurchaseItems, model.PurchaseItems);
        Assert.NotNull(model.ItemEmbeddings);
        int k = model.Factors;
        for (int i = 0; i < model.ItemCount; i++)
        {
            bool cold = int.Parse(model.ItemIds[i][1..], System.Globalization.CultureInfo.InvariantCulture) > 16 - ColdItems;
            bool same = model.ItemFactors.AsSpan(i * k, k).SequenceEqual(baseModel.ItemFactors.AsSpan(i * k, k));
            Assert.True(cold != same, $"{model.ItemIds[i]}: cold {cold}, unchanged {same}");
        }
    }

    [Fact]
    public async Task Embed_items_without_an_encoder_writes_nothing()
    {
        await TrainJob.RunAsync(_store, Settings, IJobProgress.None, default);

        var result = await EmbedItemsJob.RunAsync(_store, encoderDirectory: null, version: null, batchSize: 32, IJobProgress.None, default);

        Assert.Null(result);
        Assert.Single(await _store.Models.ListVersionsAsync());
    }
}

/// <summary>tests/fixtures/catalog-multilingual.tsv as catalogue items: English title as source, the other languages as translations.</summary>
internal static class MultilingualCatalogue
{
    public static List<CatalogItem> Items(string[] markets) =>
        File.ReadLines(Path.Combine(AppContext.BaseDirectory, "fixtures", "catalog-multilingual.tsv"))
            .Skip(1)
            .Where(line => line.Length > 0)
            .Select(line => line.Split('\t'))
            .GroupBy(c => c[0])
            .Select(g => new CatalogItem
            {
                Id = g.Key,
                Category = g.First()[1],
                SourceLanguage = "en",
                Title = g.Single(c => c[2] == "en")[3],
                Markets = markets,
                Titles = g.Where(c => c[2] != "en").ToDictionary(c => c[2], c => c[3]),
            })
            .ToList();

    /// <summary>English source titles only, as a shop would upload them before any translation.</summary>
    public static List<CatalogItem> Untranslated(string[] markets) =>
        Items(markets).Select(item => item with { Titles = null }).ToList();
}
