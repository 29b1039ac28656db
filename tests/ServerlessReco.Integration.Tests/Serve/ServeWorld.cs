using System.Net.Http.Json;
using System.Text.Json;
using ServerlessReco.Domain;
using ServerlessReco.Publish;
using ServerlessReco.Storage;

namespace ServerlessReco.Tests.Serve;

/// <summary>
/// A small model with known structure in real storage: four categories, each its own factor direction, so
/// what the right answer is can be read off the factors. Alice likes kitchen (a little garden), Bob garden.
/// </summary>
public static class ServeWorld
{
    public const string PseudonymKey = "serve-tests-pseudonym-key-0123456789";
    public static readonly Pseudonymizer Pseudonyms = new(PseudonymKey);
    public static readonly string[] Blocks = ["kitchen", "garden", "toys", "lights"];
    public const int K = 4;
    public const int PerBlock = 6;
    /// <summary>A kitchen item whose id holds characters Azure Table keys forbid.</summary>
    public const string HostileItem = "K/7#?";
    public static readonly DateTimeOffset TrainedUntil = DateTimeOffset.UtcNow.AddDays(-1);

    public static string[] ItemIds => [.. Blocks.SelectMany(b => Enumerable.Range(1, PerBlock).Select(j => $"{char.ToUpperInvariant(b[0])}{j}")), HostileItem];

    public static Dictionary<string, string?> Settings => new()
    {
        ["RECO_MODEL_POLL_SECONDS"] = "1",
        ["RECO_CATALOG_POLL_SECONDS"] = "1",
        ["RECO_PSEUDONYM_KEY"] = PseudonymKey,
    };

    public static ModelArtifacts Model(string version)
    {
        var ids = ItemIds;
        var factors = new float[ids.Length * K];
        var categories = new string[ids.Length];
        for (int i = 0; i < ids.Length; i++)
        {
            // Block b points along axis b; later items of a block score a little lower and lean toward the next axis.
            int b = i < Blocks.Length * PerBlock ? i / PerBlock : 0;
            int j = i < Blocks.Length * PerBlock ? i % PerBlock : PerBlock;
            factors[i * K + b] = 2f - 0.1f * j;
            factors[i * K + (b + 1) % K] = 0.05f * j;
            categories[i] = Blocks[b];
        }
        string[] users = [Pseudonyms.Pseudonymize("alice"), Pseudonyms.Pseudonymize("bob"), Pseudonyms.Pseudonymize("dora")];
        float[] userFactors = [1f, 0.3f, 0, 0, /* bob */ 0, 1f, 0, 0, /* dora */ 0, 1f, 0, 0];
        // Global popularity favours lights, DE favours garden, FR favours toys.
        string[] markets = [ModelArtifacts.GlobalMarket, "DE", "FR"];
        var popularity = new float[markets.Length * ids.Length];
        for (int i = 0; i < ids.Length; i++)
        {
            float small = 0.01f * (ids.Length - i);
            popularity[i] = categories[i] == "lights" ? 1 + small : small;
            popularity[ids.Length + i] = categories[i] == "garden" ? 1 + small : small;
            popularity[2 * ids.Length + i] = categories[i] == "toys" ? 1 + small : small;
        }
        return new ModelArtifacts
        {
            Manifest = new ModelManifest
            {
                Version = version,
                CreatedAt = DateTimeOffset.UtcNow,
                TrainedUntil = TrainedUntil,
                Training = new ServerlessReco.Train.TrainingParameters
                {
                    Als = new ServerlessReco.Train.AlsOptions { Factors = K, Alpha = 10, Regularization = 0.1f },
                    Interactions = new ServerlessReco.Train.InteractionStrength { HalfLifeDays = 30 },
                },
            },
            UserIds = users,
            ItemIds = ids,
            UserFactors = userFactors,
            ItemFactors = factors,
            PopularityMarkets = markets,
            Popularity = popularity,
            ItemCategories = categories,
            // Dora bought G1 in the training data.
            PurchasePointers = [0, 0, 0, 1],
            PurchaseItems = [Array.IndexOf(ids, "G1")],
        };
    }

    public static List<CatalogItem> Catalog()
    {
        var model = Model("catalog");
        var items = new List<CatalogItem>();
        for (int i = 0; i < model.ItemCount; i++)
        {
            var id = model.ItemIds[i];
            items.Add(new CatalogItem
            {
                Id = id,
                Category = model.ItemCategories[i],
                SourceLanguage = "en",
                Title = "Item " + id,
                // K2 is sold only in France; K3 is out of stock.
                Markets = id == "K2" ? ["FR"] : ["DE", "FR", "AT", "GB"],
                InStock = id != "K3",
                Titles = id switch
                {
                    "K1" => new() { ["de"] = "Messer", ["de-AT"] = "Feitel", ["fr"] = "Couteau" },
                    "K4" => new() { ["de"] = "Topf" },
                    _ => null,
                },
                UpdatedAt = DateTimeOffset.UtcNow,
            });
        }
        return items;
    }

    /// <summary>A store holding the catalogue and version <paramref name="version"/> published.</summary>
    public static async Task<DataStore> PublishedStoreAsync(string version = "v1")
    {
        var store = TestStorage.NewStore();
        await store.Catalog.UpsertAsync(Catalog());
        await PublishAsync(store, version);
        return store;
    }

    public static async Task PublishAsync(DataStore store, string version)
    {
        await store.Models.WriteVersionAsync(Model(version));
        await store.Models.PublishAsync(version);
    }

    public static async Task<RunningHandler> StartAsync(DataStore store, string? waitForVersion = "v1")
    {
        var handler = await RunningHandler.StartAsync(store, Settings);
        if (waitForVersion is not null) await WaitForAsync(handler, h => h.GetProperty("modelVersion").GetString() == waitForVersion && h.GetProperty("counts").GetProperty("catalogueItems").GetInt32() > 0);
        return handler;
    }

    public static async Task<JsonElement> WaitForAsync(RunningHandler handler, Func<JsonElement, bool> condition, double seconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        JsonElement health;
        do
        {
            health = await GetJsonAsync(handler, "/api/health");
            if (health.TryGetProperty("modelVersion", out _) && condition(health)) return health;
            await Task.Delay(100);
        }
        while (DateTime.UtcNow < deadline);
        throw new TimeoutException("Health never showed the expected state: " + health);
    }

    public static async Task<JsonElement> GetJsonAsync(RunningHandler handler, string path, System.Net.HttpStatusCode expected = System.Net.HttpStatusCode.OK)
    {
        var response = await handler.Client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"GET {path}: expected {(int)expected}, got {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public static List<string> ItemsOf(JsonElement answer) =>
        [.. answer.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("itemId").GetString()!)];

    public static string CategoryOf(string item) => Catalog().Single(i => i.Id == item).Category;

    public static InteractionEvent Event(string rawUser, string item, EventType type, DateTimeOffset at) => new()
    {
        EventId = Guid.NewGuid().ToString("N"),
        User = Pseudonyms.Pseudonymize(rawUser),
        Item = item,
        Type = type,
        Market = "DE",
        Timestamp = at,
    };
}
