using ServerlessReco.Evaluate;
using ServerlessReco.Train;

namespace ServerlessReco.Tests.Evaluate;

public class ItemKnnBaselineTests
{
    private const int Users = 30, Items = 12;

    [Theory]
    [InlineData(0f)]
    [InlineData(3f)]
    public void SimilarityMatchesNaiveDenseCosine(float shrink)
    {
        var (train, _) = TestMatrices.RandomSplit(Users, Items, density: 0.35, seed: 3);
        var expected = NaiveCosine(train, shrink);

        // Enough neighbours that nothing is pruned.
        var actual = Dense(new ItemKnnBaseline(train, neighbours: Items, shrink: shrink).Similarity);

        for (int i = 0; i < Items; i++)
        {
            for (int j = 0; j < Items; j++) Assert.Equal(expected[i, j], actual[i, j], 1e-5);
        }
    }

    [Fact]
    public void KeepsOnlyTheMostSimilarNeighbours()
    {
        var (train, _) = TestMatrices.RandomSplit(Users, Items, density: 0.35, seed: 5);
        var expected = NaiveCosine(train, 0);
        var similarity = new ItemKnnBaseline(train, neighbours: 3).Similarity;

        for (int i = 0; i < Items; i++)
        {
            var kept = similarity.RowIndices(i).ToArray();
            var dropped = Enumerable.Range(0, Items).Where(j => j != i && !kept.Contains(j)).ToArray();
            Assert.Equal(Math.Min(3, Enumerable.Range(0, Items).Count(j => j != i && expected[i, j] > 0)), kept.Length);
            Assert.DoesNotContain(i, kept);
            // Compared with a tolerance: float and double may break near-ties differently.
            double weakestKept = kept.Min(j => expected[i, j]);
            Assert.All(dropped, j => Assert.True(expected[i, j] <= weakestKept + 1e-6));
        }
    }

    [Fact]
    public void ScoreSumsSimilaritiesOfTheUsersItems()
    {
        var (train, _) = TestMatrices.RandomSplit(Users, Items, density: 0.35, seed: 9);
        var knn = new ItemKnnBaseline(train, neighbours: 4);
        var similarity = Dense(knn.Similarity);

        for (int u = 0; u < Users; u++)
        {
            var scores = TestMatrices.Scores(knn.Score, u, Items);
            for (int j = 0; j < Items; j++)
            {
                double expected = 0;
                foreach (int i in train.RowIndices(u)) expected += similarity[i, j];
                Assert.Equal(expected, scores[j], 1e-5);
            }
        }
    }

    [Fact]
    public void StrongCoOccurrenceIsRecommendedFirst()
    {
        // Items 0 (A) and 1 (B) are bought together by five users; item 2 has more users (6) but
        // meets A only once. User 10 has only A and must get B first, where popularity would give item 2.
        var train = TestMatrices.FromRows(5,
            [0, 1], [0, 1], [0, 1], [0, 1], [0, 1, 2],
            [2, 3], [2, 4], [2, 3], [2, 4], [2],
            [0]);
        var test = TestMatrices.FromRows(5, [], [], [], [], [], [], [], [], [], [], [1]);

        var result = Evaluator.Evaluate(train, test, new ItemKnnBaseline(train, neighbours: 2).Score, k: 1, threads: 1);

        Assert.Equal(1.0, result.Precision);
    }

    private static double[,] NaiveCosine(CsrMatrix train, float shrink)
    {
        var binary = new double[train.Rows, train.Cols];
        for (int u = 0; u < train.Rows; u++)
        {
            foreach (int i in train.RowIndices(u)) binary[u, i] = 1;
        }
        var sim = new double[train.Cols, train.Cols];
        for (int i = 0; i < train.Cols; i++)
        {
            for (int j = 0; j < train.Cols; j++)
            {
                if (i == j) continue;
                double dot = 0, ni = 0, nj = 0;
                for (int u = 0; u < train.Rows; u++)
                {
                    dot += binary[u, i] * binary[u, j];
                    ni += binary[u, i] * binary[u, i];
                    nj += binary[u, j] * binary[u, j];
                }
                sim[i, j] = dot == 0 ? 0 : dot / (Math.Sqrt(ni) * Math.Sqrt(nj) + shrink);
            }
        }
        return sim;
    }

    private static double[,] Dense(CsrMatrix m)
    {
        var dense = new double[m.Rows, m.Cols];
        for (int r = 0; r < m.Rows; r++)
        {
            var cols = m.RowIndices(r);
            var vals = m.RowValues(r);
            for (int n = 0; n < cols.Length; n++) dense[r, cols[n]] = vals[n];
        }
        return dense;
    }
}
