using ServerlessReco.Evaluate;

namespace ServerlessReco.Tests.Evaluate;

public class RankingTests
{
    [Fact]
    public void OrdersByScoreThenLowerIndexAndSkipsExcluded()
    {
        float[] scores = [1, 3, 3, float.NegativeInfinity, float.NaN, 2];
        var top = new int[3];

        Assert.Equal(3, Ranking.TopIndices(scores, top));
        Assert.Equal([1, 2, 5], top);
    }

    [Fact]
    public void ReturnsFewerWhenFewerItemsQualify()
    {
        float[] scores = [1, 3, 3, float.NegativeInfinity, float.NaN, 2];
        var top = new int[10];

        int count = Ranking.TopIndices(scores, top);

        Assert.Equal([1, 2, 5, 0], top[..count]);
    }

    [Fact]
    public void CandidatesOverloadConsidersOnlyCandidates()
    {
        float[] scores = [1, 3, 2.5f, 9, 0, 2];
        var top = new int[2];

        Assert.Equal(2, Ranking.TopIndices(scores, [5, 0, 2], top));
        Assert.Equal([2, 5], top);
    }

    [Fact]
    public void MatchesFullSortOnRandomScoresWithTies()
    {
        var random = new Random(7);
        for (int trial = 0; trial < 50; trial++)
        {
            var scores = Enumerable.Range(0, 200).Select(_ => (float)random.Next(0, 6)).ToArray();
            int k = random.Next(1, 40);
            var expected = Enumerable.Range(0, scores.Length).OrderByDescending(i => scores[i]).ThenBy(i => i).Take(k).ToArray();
            var top = new int[k];

            int count = Ranking.TopIndices(scores, top);

            Assert.Equal(expected, top[..count]);
        }
    }
}
