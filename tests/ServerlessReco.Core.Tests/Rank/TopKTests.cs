using ServerlessReco.Rank;
using ServerlessReco.Train;

namespace ServerlessReco.Tests.Rank;

public class TopKTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(40)]
    [InlineData(500)]
    public void MatchesFullSortWithTiesAndExclusions(int k)
    {
        var random = new Random(k + 1);
        // Few distinct values force many ties; every tenth score is excluded one way or the other.
        var scores = new float[300];
        for (int i = 0; i < scores.Length; i++)
        {
            scores[i] = (i % 10) switch
            {
                3 => float.NegativeInfinity,
                7 => float.NaN,
                _ => random.Next(12) - 4,
            };
        }
        scores[42] = float.PositiveInfinity;

        var expected = Enumerable.Range(0, scores.Length)
            .Where(i => !float.IsNaN(scores[i]) && !float.IsNegativeInfinity(scores[i]))
            .OrderByDescending(i => scores[i]).ThenBy(i => i)
            .Take(k).ToArray();

        var indices = new int[k];
        var top = new float[k];
        int count = TopK.Select(scores, k, indices, top);

        Assert.Equal(expected.Length, count);
        Assert.Equal(expected, indices[..count]);
        Assert.Equal(expected.Select(i => scores[i]).ToArray(), top[..count]);
    }

    [Fact]
    public void AllExcludedGivesNothing()
    {
        float[] scores = [float.NegativeInfinity, float.NaN];
        Assert.Equal(0, TopK.Select(scores, 2, new int[2], new float[2]));
    }

    [Fact]
    public void RejectsShortOutput()
    {
        Assert.Throws<ArgumentException>(() => TopK.Select([1f, 2f], 2, new int[1], new float[2]));
    }
}
