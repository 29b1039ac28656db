using ServerlessReco.Evaluate;
using ServerlessReco.Train;

namespace ServerlessReco.Tests.Evaluate;

public class PopularityBaselineTests
{
    [Fact]
    public void GlobalCountsUsersNotWeights()
    {
        // Item 1 has one user with weight 50; it must still rank below item 0 (two users).
        var train = CsrMatrix.FromCoordinates(4, 4,
            [0, 0, 1, 2, 2, 3],
            [0, 2, 2, 1, 2, 0],
            [1, 1, 7, 50, 1, 1]);

        var scores = TestMatrices.Scores(PopularityBaseline.Global(train), user: 0, items: 4);

        Assert.Equal([2f, 1f, 3f, 0f], scores);
    }

    [Fact]
    public void GlobalRanksMostPopularUnseenItemFirst()
    {
        // Popularity: item 2 (3 users) > item 0 (2) > item 1 (1). User 1 already has item 2.
        var train = TestMatrices.FromRows(4, [0, 2], [2], [1, 2], [0]);
        var test = TestMatrices.FromRows(4, [], [0], [], []);

        var result = Evaluator.Evaluate(train, test, PopularityBaseline.Global(train), k: 1, threads: 1);

        Assert.Equal(1.0, result.Precision);
    }

    // Market 0 (4 users) favours item 0, market 1 (6 users) item 1; market 2 has one active user
    // (item 3) and one with no history. Global user counts [5, 6, 2, 1] over N = 11 active users.
    private static readonly int[] Markets = [0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2];
    private static readonly CsrMatrix MarketTrain = TestMatrices.FromRows(4,
        [0], [0], [0, 2], [0],
        [1], [1], [1, 2], [1], [1], [1, 0],
        [3], []);

    [Fact]
    public void PerMarketRanksEachMarketByItsOwnFavourite()
    {
        var scorer = PopularityBaseline.PerMarket(MarketTrain, Markets, markets: 3, shrinkage: 2);

        Assert.Equal(0, ArgMax(TestMatrices.Scores(scorer, user: 1, items: 4)));
        Assert.Equal(1, ArgMax(TestMatrices.Scores(scorer, user: 5, items: 4)));
    }

    [Fact]
    public void PerMarketFollowsTheDocumentedFormula()
    {
        // Market 0, item 0, shrinkage 2: (c_0 + s * c / N) / (n_0 + s) = (4 + 2 * 5/11) / (4 + 2).
        var scores = TestMatrices.Scores(PopularityBaseline.PerMarket(MarketTrain, Markets, 3, shrinkage: 2), user: 0, items: 4);

        Assert.Equal((4 + 2 * 5.0 / 11) / 6, scores[0], 1e-6);
    }

    [Fact]
    public void TinyMarketShrinksTowardGlobal()
    {
        var own = PopularityBaseline.PerMarket(MarketTrain, Markets, 3, shrinkage: 0);
        var moderate = PopularityBaseline.PerMarket(MarketTrain, Markets, 3, shrinkage: 3);
        var strong = PopularityBaseline.PerMarket(MarketTrain, Markets, 3, shrinkage: 1000);
        var global = TestMatrices.Scores(PopularityBaseline.Global(MarketTrain), user: 0, items: 4);

        // Without shrinkage the one-user market recommends its one user's item.
        Assert.Equal(3, ArgMax(TestMatrices.Scores(own, user: 11, items: 4)));
        // Shrinkage 3 outweighs one user but not four: market 2 turns to the global favourite
        // (item 3: (1 + 3/11) / 4 = 0.32 < item 1: (3 * 6/11) / 4 = 0.41), market 0 keeps its own
        // (item 0: (4 + 15/11) / 7 = 0.77 > item 1: (18/11) / 7 = 0.23).
        Assert.Equal(1, ArgMax(TestMatrices.Scores(moderate, user: 10, items: 4)));
        Assert.Equal(0, ArgMax(TestMatrices.Scores(moderate, user: 0, items: 4)));
        // With overwhelming shrinkage the tiny market's whole ranking is the global one.
        Assert.Equal(Order(global), Order(TestMatrices.Scores(strong, user: 11, items: 4)));
    }

    [Fact]
    public void RejectsMarketOutOfRange()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            PopularityBaseline.PerMarket(MarketTrain, [0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 2, 3], markets: 3, shrinkage: 1));
    }

    private static int ArgMax(float[] scores) => Array.IndexOf(scores, scores.Max());

    private static int[] Order(float[] scores)
        => Enumerable.Range(0, scores.Length).OrderByDescending(i => scores[i]).ThenBy(i => i).ToArray();
}
