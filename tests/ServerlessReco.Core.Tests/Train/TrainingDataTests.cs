using ServerlessReco.Domain;
using ServerlessReco.Train;

namespace ServerlessReco.Tests.Train;

public class TrainingDataTests
{
    private static readonly DateTimeOffset Day0 = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static InteractionEvent E(string id, string user, string item, EventType type, double days, string market = "DE") => new()
    {
        EventId = id, User = user, Item = item, Type = type, Market = market, Timestamp = Day0.AddDays(days),
    };

    [Fact]
    public void Event_weights_and_half_life_decay_give_the_strength_matrix()
    {
        var events = new[]
        {
            E("1", "u", "a", EventType.Purchase, 10),
            E("2", "u", "a", EventType.View, 10),
            E("3", "u", "b", EventType.Purchase, 0),
        };
        var data = TrainingData.Build(events, new InteractionStrength { HalfLifeDays = 10 });
        Assert.Equal(["a", "b"], data.ItemIds);
        Assert.Equal(1.1f, data.UserItems.RowValues(0)[0], 5);
        Assert.Equal(0.5f, data.UserItems.RowValues(0)[1], 5);
        Assert.Equal(Day0.AddDays(10), data.NewestEvent);
        Assert.Equal([0, 1], data.Purchases.RowIndices(0).ToArray());
    }

    [Fact]
    public void Anonymous_events_count_for_popularity_but_not_as_a_user()
    {
        var events = new[] { E("1", "", "a", EventType.Purchase, 0, "FR"), E("2", "u", "b", EventType.Purchase, 0) };
        var data = TrainingData.Build(events, new InteractionStrength { HalfLifeDays = 0 });
        Assert.Equal(["u"], data.UserIds);
        Assert.Equal(1, data.AnonymousEventCount);
        Assert.Equal(["*", "DE", "FR"], data.Markets);
        Assert.Equal(1f, data.MarketItemWeight[0]);
        Assert.Equal(1f, data.MarketItemWeight[2 * 2 + 0]);
    }

    [Fact]
    public void Market_popularity_is_shrunk_toward_global_by_the_documented_formula()
    {
        var events = new List<InteractionEvent>();
        for (int i = 0; i < 9; i++) events.Add(E("g" + i, "g" + i, "a", EventType.Purchase, 0, "GB"));
        events.Add(E("d", "d", "b", EventType.Purchase, 0, "DE"));
        var data = TrainingData.Build(events, new InteractionStrength { HalfLifeDays = 0 });
        var pop = data.ShrunkPopularity(beta: 10);
        int de = Array.IndexOf(data.Markets, "DE"), items = data.ItemIds.Length;
        Assert.Equal(0.9f, pop[0], 5);
        // (0 + 10 * 0.9) / (1 + 10) and (1 + 10 * 0.1) / (1 + 10)
        Assert.Equal(9f / 11, pop[de * items + 0], 5);
        Assert.Equal(2f / 11, pop[de * items + 1], 5);
    }
}
