using ServerlessReco.Domain;
using ServerlessReco.Publish;
using ServerlessReco.Rank;
using ServerlessReco.Train;

namespace ServerlessReco.Tests.Rank;

/// <summary>The ranking path serving and evaluate share, on a model small enough to reason about.</summary>
public class RankingPipelineTests
{
    // Six items over two categories; item i's factors point at angle i * 15 degrees, so shopper u0 = (1, 0) ranks
    // them a0 > a1 > a2 > b0 > b1 > b2 and neighbours are near in angle.
    private static readonly string[] Items = ["a0", "a1", "a2", "b0", "b1", "b2"];

    private static ServingModel Model()
    {
        var factors = new float[Items.Length * 2];
        for (int i = 0; i < Items.Length; i++)
        {
            factors[2 * i] = MathF.Cos(i * MathF.PI / 12);
            factors[2 * i + 1] = MathF.Sin(i * MathF.PI / 12);
        }
        return ServingModel.Build(new ModelArtifacts
        {
            Manifest = new ModelManifest
            {
                Version = "v1", CreatedAt = DateTimeOffset.UnixEpoch, TrainedUntil = DateTimeOffset.UnixEpoch,
                Training = new TrainingParameters { Als = new AlsOptions { Factors = 2, Regularization = 0.1f } },
            },
            UserIds = ["u0"],
            ItemIds = Items,
            UserFactors = [1, 0],
            ItemFactors = factors,
            PopularityMarkets = ["*", "DE"],
            // Global: b2 first; in DE: a2 first.
            Popularity = [1, 2, 3, 4, 5, 6, 1, 1, 9, 1, 1, 1],
            ItemCategories = ["a", "a", "a", "b", "b", "b"],
            PurchasePointers = [0, 1],
            PurchaseItems = [0],
        });
    }

    private static FixedCatalog Catalog(Func<string, CatalogItem, CatalogItem>? edit = null) => new(Items.ToDictionary(id => id, id =>
    {
        var item = new CatalogItem { Id = id, Category = id[..1], Markets = ["DE", "FR"] };
        return edit is null ? item : edit(id, item);
    }));

    private static readonly RankingPipeline Pipeline = new(new RankingOptions());

    private static string[] Ids(RankedList list) => [.. list.Items.Select(i => i.Item.Id)];

    [Fact]
    public void A_known_shopper_gets_als_order_without_what_they_bought()
    {
        var model = Model();
        var shopper = ShopperHistory.From([], model, 0, DateTimeOffset.UnixEpoch);

        var list = Pipeline.Recommend(model, Catalog(), shopper, new RecommendationRequest { Market = "DE", Count = 3 });

        Assert.Equal(Strategy.Als, list.Strategy);
        Assert.Equal(["a1", "a2", "b0"], Ids(list));
        Assert.All(list.Items, i => Assert.Equal(new Reason("because-you-bought", "a0"), i.Reason));
    }

    [Fact]
    public void Market_stock_and_request_exclusions_filter_every_scorer()
    {
        var model = Model();
        var catalog = Catalog((id, item) => id switch
        {
            "a1" => item with { InStock = false },
            "a2" => item with { Markets = ["FR"] },
            _ => item,
        });
        var shopper = ShopperHistory.From([], model, 0, DateTimeOffset.UnixEpoch);

        var personal = Pipeline.Recommend(model, catalog, shopper, new RecommendationRequest { Market = "DE", Count = 2, Exclude = new HashSet<string> { "b0" } });
        var popular = Pipeline.Popular(model, catalog, "DE", null, 2);

        Assert.Equal(["b1", "b2"], Ids(personal));
        Assert.Equal(["a0", "b0"], Ids(popular));
    }

    [Fact]
    public void An_unknown_shopper_without_events_gets_market_popularity_and_a_fresh_event_switches_to_fold_in()
    {
        var model = Model();
        var none = ShopperHistory.From([], model, -1, DateTimeOffset.UnixEpoch);
        var viewed = ShopperHistory.From([new InteractionEvent { EventId = "e", User = "x", Item = "b2", Type = EventType.Purchase, Timestamp = DateTimeOffset.UnixEpoch, Market = "DE" }],
            model, -1, DateTimeOffset.UnixEpoch);

        var cold = Pipeline.Recommend(model, Catalog(), none, new RecommendationRequest { Market = "DE", Count = 1 });
        var warm = Pipeline.Recommend(model, Catalog(), viewed, new RecommendationRequest { Market = "DE", Count = 1 });

        Assert.Equal(Strategy.Popularity, cold.Strategy);
        Assert.Equal(["a2"], Ids(cold));
        Assert.Equal(new Reason("popular-in-market", Market: "DE"), cold.Items[0].Reason);
        Assert.Equal(Strategy.AlsRealtime, warm.Strategy);
        Assert.Equal(["b1"], Ids(warm));
    }

    [Fact]
    public void An_erasure_leaves_out_the_events_it_covers_and_the_row_of_a_model_trained_before_it()
    {
        var model = Model();
        var erasedAt = DateTimeOffset.UnixEpoch.AddDays(1);
        InteractionEvent Bought(string item, DateTimeOffset at) => new() { EventId = item, User = "u0", Item = item, Type = EventType.Purchase, Timestamp = at, Market = "DE" };
        // Newest first: one purchase after the erasure, one at it (covered).
        var shopper = ShopperHistory.From([Bought("b2", erasedAt.AddSeconds(1)), Bought("a1", erasedAt)], model, 0, erasedAt.AddHours(1), erasedAt);

        var list = Pipeline.Recommend(model, Catalog(), shopper, new RecommendationRequest { Market = "DE", Count = 6, IncludePurchased = false });

        // The model (trained until the epoch) predates the erasure: its row and its purchase a0 are gone, as is a1.
        Assert.Equal(-1, shopper.ModelRow);
        Assert.Equal(["b2"], shopper.Purchased);
        Assert.Equal(Strategy.AlsRealtime, list.Strategy);
        Assert.Contains("a0", Ids(list));
        Assert.Contains("a1", Ids(list));
        Assert.DoesNotContain(list.Items, i => i.Reason.ItemId is "a0" or "a1");
    }

    [Fact]
    public void A_model_trained_after_an_erasure_keeps_the_shoppers_row()
    {
        var model = Model();
        var shopper = ShopperHistory.From([], model, 0, DateTimeOffset.UnixEpoch, erasedAt: DateTimeOffset.UnixEpoch.AddTicks(-1));

        Assert.Equal(0, shopper.ModelRow);
        Assert.Equal(["a0"], shopper.Purchased);
    }

    [Fact]
    public void Cross_category_slots_bring_in_a_category_the_shopper_does_not_buy_from()
    {
        var model = Model();
        var shopper = ShopperHistory.From([], model, 0, DateTimeOffset.UnixEpoch);
        var catalog = Catalog();

        var plain = Pipeline.Recommend(model, catalog, shopper, new RecommendationRequest { Market = "DE", Count = 2 });
        var crossed = Pipeline.Recommend(model, catalog, shopper, new RecommendationRequest { Market = "DE", Count = 2, CrossCategory = true });

        Assert.Equal(["a1", "a2"], Ids(plain));
        Assert.Contains(crossed.Items, i => i.Category == "b");
    }

    /// <summary>A model that only likes one item: anything that implements IScorer ranks through the same filters.</summary>
    private sealed class OneItemScorer(string favourite) : IScorer
    {
        public ShopperScores? Score(ServingModel model, ShopperHistory shopper, string? market)
        {
            var scores = new float[model.ItemCount];
            scores[model.ItemIndex[favourite]] = 1;
            return new DenseScores(Strategy.Popularity, scores, _ => new Reason("test"));
        }
    }

    [Fact]
    public void A_new_scorer_plugs_in_and_the_pipeline_still_filters_its_choice()
    {
        var model = Model();
        var shopper = ShopperHistory.From([], model, 0, DateTimeOffset.UnixEpoch);

        var pipeline = new RankingPipeline([new OneItemScorer("a0")], new RankingOptions());
        var list = pipeline.Recommend(model, Catalog(), shopper, new RecommendationRequest { Market = "DE", Count = 1 });
        var withPurchases = pipeline.Recommend(model, Catalog(), shopper, new RecommendationRequest { Market = "DE", Count = 1, IncludePurchased = true });

        // a0 is the shopper's purchase: excluded, so the next-best (score 0, lowest index) comes.
        Assert.Equal(["a1"], Ids(list));
        Assert.Equal(["a0"], Ids(withPurchases));
        Assert.Equal("test", withPurchases.Items[0].Reason.Kind);
    }
}
