using ServerlessReco.Rank;
using ServerlessReco.Train;
using ServerlessReco.Tests.Train;

namespace ServerlessReco.Tests.Rank;

public class ScoringTests
{
    [Theory]
    [InlineData(3)]
    [InlineData(64)]
    public void ScoreAllMatchesNaive(int k)
    {
        const int items = 257;
        var itemFactors = TestData.Gaussian(items * k, 1f, seed: 1);
        var user = TestData.Gaussian(k, 1f, seed: 2);
        var scores = new float[items];

        Scoring.ScoreAll(itemFactors, k, user, scores);

        for (int j = 0; j < items; j++)
            Assert.Equal(TestData.Dot(itemFactors.AsSpan(j * k, k), user), scores[j], 1e-3);
    }
}
