using ServerlessReco.Rank;

namespace ServerlessReco.Tests.Rank;

public class TopKAmongTests
{
    [Fact]
    public void Only_the_candidates_compete_best_first()
    {
        float[] scores = [1, 3, 2.5f, 9, 0, 2];
        var top = new int[2];
        var topScores = new float[2];

        Assert.Equal(2, TopK.SelectAmong(scores, [5, 0, 2], 2, top, topScores));
        Assert.Equal([2, 5], top);
        Assert.Equal([2.5f, 2f], topScores);
    }

    [Fact]
    public void Matches_a_full_sort_of_the_candidates_with_ties_to_the_lower_index_and_skips_excluded()
    {
        var random = new Random(7);
        for (int trial = 0; trial < 50; trial++)
        {
            var scores = Enumerable.Range(0, 200).Select(_ => random.Next(0, 8) switch { 0 => float.NegativeInfinity, 1 => float.NaN, var v => (float)v }).ToArray();
            var candidates = Enumerable.Range(0, 200).Where(_ => random.Next(3) > 0).OrderBy(_ => random.Next()).ToArray();
            int k = random.Next(1, 40);
            var expected = candidates.Where(i => scores[i] > float.NegativeInfinity)
                .OrderByDescending(i => scores[i]).ThenBy(i => i).Take(k).ToArray();
            var top = new int[k];

            int count = TopK.SelectAmong(scores, candidates, k, top, new float[k]);

            Assert.Equal(expected, top[..count]);
        }
    }
}
