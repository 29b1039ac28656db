using ServerlessReco.Evaluate;

namespace ServerlessReco.Tests.Evaluate;

public class RankingMetricsTests
{
    private const double Tolerance = 1e-12;

    [Fact]
    public void TwoHitsInFive()
    {
        // ranked [3,1,7,2,9], relevant {1,2,5}: hits at positions 1 and 3 (0-based).
        // precision 2/5; recall 2/3;
        // NDCG = (1/log2(3) + 1/log2(5)) / (1 + 1/log2(3) + 1/log2(4)), ideal over min(5,3) = 3 slots;
        // AP = (1/2 + 2/4) / min(5,3) = 1/3.
        var m = RankingMetrics.ForUser([3, 1, 7, 2, 9], [1, 2, 5], 5);

        Assert.Equal(2.0 / 5, m.Precision, Tolerance);
        Assert.Equal(2.0 / 3, m.Recall, Tolerance);
        Assert.Equal((1 / Math.Log2(3) + 1 / Math.Log2(5)) / (1 + 1 / Math.Log2(3) + 1 / Math.Log2(4)), m.Ndcg, Tolerance);
        Assert.Equal((1.0 / 2 + 2.0 / 4) / 3, m.AveragePrecision, Tolerance);
        Assert.True(m.Hit);
    }

    [Fact]
    public void NoHitsScoresZero()
    {
        var m = RankingMetrics.ForUser([0, 3, 4], [1, 2], 3);

        Assert.Equal(new UserMetrics(0, 0, 0, 0, false), m);
    }

    [Fact]
    public void ListShorterThanKIsPaddedWithMisses()
    {
        // ranked [1,4] at k = 5, relevant {1,2,3}: one hit at position 0.
        // precision 1/5 (divided by k, not by the list length); recall 1/3;
        // NDCG = 1 / (1 + 1/log2(3) + 1/log2(4)); AP = (1/1) / min(5,3) = 1/3.
        var m = RankingMetrics.ForUser([1, 4], [1, 2, 3], 5);

        Assert.Equal(1.0 / 5, m.Precision, Tolerance);
        Assert.Equal(1.0 / 3, m.Recall, Tolerance);
        Assert.Equal(1 / (1 + 1 / Math.Log2(3) + 0.5), m.Ndcg, Tolerance);
        Assert.Equal(1.0 / 3, m.AveragePrecision, Tolerance);
    }

    [Fact]
    public void AllHitsScoreOne()
    {
        var m = RankingMetrics.ForUser([2, 0, 1], [0, 1, 2], 3);

        Assert.Equal(new UserMetrics(1, 1, 1, 1, true), m);
    }

    [Fact]
    public void OnlyTheFirstKEntriesCount()
    {
        // Item 1 is relevant but sits at position 2, outside the top 2.
        var m = RankingMetrics.ForUser([5, 6, 1], [1], 2);

        Assert.Equal(new UserMetrics(0, 0, 0, 0, false), m);
    }

    [Fact]
    public void MoreRelevantThanKCapsIdealButNotRecall()
    {
        // k = 2, relevant {0,1,2,3}, both slots hit: precision 2/2; recall 2/4 (Recommenders' definition);
        // NDCG 1 since the ideal list also has only 2 slots; AP = (1/1 + 2/2) / min(2,4) = 1.
        var m = RankingMetrics.ForUser([0, 1], [0, 1, 2, 3], 2);

        Assert.Equal(1.0, m.Precision, Tolerance);
        Assert.Equal(0.5, m.Recall, Tolerance);
        Assert.Equal(1.0, m.Ndcg, Tolerance);
        Assert.Equal(1.0, m.AveragePrecision, Tolerance);
    }

    [Fact]
    public void RejectsEmptyOrUnsortedRelevant()
    {
        Assert.Throws<ArgumentException>(() => RankingMetrics.ForUser([1], [], 1));
        Assert.Throws<ArgumentException>(() => RankingMetrics.ForUser([1], [2, 1], 1));
        Assert.Throws<ArgumentException>(() => RankingMetrics.ForUser([1], [1, 1], 1));
    }

    [Fact]
    public void CoverageCountsDistinctItemsOverCatalogue()
    {
        // Distinct items {0,1,3} out of 8.
        Assert.Equal(3.0 / 8, RankingMetrics.CatalogueCoverage([0, 1, 1, 3, 0], 8), Tolerance);
    }
}
