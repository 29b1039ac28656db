using ServerlessReco.Domain;
using ServerlessReco.Evaluate;
using ServerlessReco.Publish;
using ServerlessReco.Rank;

namespace ServerlessReco.Tests.Evaluate;

/// <summary>A small log whose next-order figures can be worked out by hand, ranked by popularity A > B > C > D > E.</summary>
public sealed class NextOrderEvaluationTests
{
    private static readonly DateTimeOffset TrainedUntil = new(2024, 3, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly string[] Items = ["A", "B", "C", "D", "E"];
    private static readonly string[] Categories = ["x", "x", "y", "y", "z"];

    private static ServingModel Model() => ServingModel.Build(new ModelArtifacts
    {
        Manifest = new ModelManifest
        {
            Version = "v1", CreatedAt = TrainedUntil, TrainedUntil = TrainedUntil,
            Training = new ServerlessReco.Train.TrainingParameters { Als = new ServerlessReco.Train.AlsOptions { Factors = 2 } },
        },
        UserIds = ["u1"],
        ItemIds = Items,
        UserFactors = [1, 0],
        ItemFactors = [1, 0, 0.9f, 0, 0, 1, 0, 0.9f, 0.5f, 0.5f],
        PopularityMarkets = [ModelArtifacts.GlobalMarket],
        Popularity = [5, 4, 3, 2, 1],
        ItemCategories = Categories,
        // u1 bought B in the training data.
        PurchasePointers = [0, 1],
        PurchaseItems = [1],
    });

    private static InteractionEvent Buy(string user, string item, int hours, EventType type = EventType.Purchase) => new()
    {
        EventId = $"{user}-{item}-{hours}-{type}", User = user, Item = item, Type = type, Market = Markets.Unknown, Timestamp = TrainedUntil.AddHours(hours),
    };

    [Fact]
    public void Every_order_is_ranked_with_what_came_before_it_and_scored_on_items_not_bought_before()
    {
        List<InteractionEvent> events =
        [
            Buy("u1", "A", 1),                      // relevant A; B (bought in training) is not offered: A first, NDCG 1
            Buy("u1", "C", 2, EventType.View),
            Buy("u1", "C", 3), Buy("u1", "B", 3),   // B bought before: relevant C only; A and B now excluded: C first, NDCG 1, a new category
            Buy("u1", "B", 4),                      // nothing new: not scored
            Buy("u9", "E", 1), Buy("u9", "D", 1),   // a shopper the model never saw: D and E at places 4 and 5 of A B C D E
            Buy("", "A", 1),                        // anonymous: no order
        ];
        var orders = NextOrderEvaluation.Orders(events);
        Assert.Equal(4, orders.Count);
        var second = orders.Single(o => o.User == "u1" && o.Time == TrainedUntil.AddHours(3));
        Assert.Equal(["C", "A"], second.Before.Select(e => e.Item));
        Assert.Equal(["C", "B"], second.Items);

        var catalog = new FixedCatalog(Items.Select((id, i) => new CatalogItem { Id = id, Category = Categories[i], Markets = ["GB"] }).ToDictionary(c => c.Id));
        var result = NextOrderEvaluation.Evaluate("popularity", Model(), catalog, orders, [new PopularityScorer()], 10, threads: 2);

        double stranger = (1 / Math.Log2(5) + 1 / Math.Log2(6)) / (1 + 1 / Math.Log2(3));
        Assert.Equal(3, result.Orders);
        Assert.Equal((1 + 1 + stranger) / 3, result.Ndcg, 12);
        Assert.Equal(1, result.Recall, 12);
        Assert.Equal(1, result.HitRate, 12);
        Assert.Equal(4, result.Hits);
        // Cross-category: C (y, u1 bought only x before), D and E (u9 bought nothing before); not A.
        Assert.Equal(0.75, result.CrossCategoryShare, 12);

        // At k = 3 the stranger's D and E (places 4 and 5) are missed.
        var top3 = NextOrderEvaluation.Evaluate("popularity", Model(), catalog, orders, [new PopularityScorer()], 3, threads: 1);
        Assert.Equal(2.0 / 3, top3.Ndcg, 12);
        Assert.Equal(2.0 / 3, top3.HitRate, 12);
        Assert.Equal(0.5, top3.CrossCategoryShare, 12);
    }
}
