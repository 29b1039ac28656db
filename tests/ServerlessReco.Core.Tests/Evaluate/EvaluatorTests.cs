using ServerlessReco.Evaluate;

namespace ServerlessReco.Tests.Evaluate;

public class EvaluatorTests
{
    [Fact]
    public void OracleScorerScoresPerfectly()
    {
        var train = TestMatrices.FromRows(6, [0], [1], [2]);
        var test = TestMatrices.FromRows(6, [3, 4], [2, 5], [0, 1]);
        UserScorer oracle = (user, scores) => { foreach (int i in test.RowIndices(user)) scores[i] = 1; };

        var result = Evaluator.Evaluate(train, test, oracle, k: 2, threads: 1);

        Assert.Equal(new EvaluationResult(1, 1, 1, 1, 1, 1, 3), result);
    }

    [Fact]
    public void TrainingItemsAreExcludedEvenWhenScoredHighest()
    {
        var train = TestMatrices.FromRows(5, [0, 1], [2, 3]);
        var test = TestMatrices.FromRows(5, [4], [0]);
        UserScorer scorer = (user, scores) =>
        {
            foreach (int i in train.RowIndices(user)) scores[i] = 100;
            foreach (int i in test.RowIndices(user)) scores[i] = 10;
        };

        var result = Evaluator.Evaluate(train, test, scorer, k: 1, threads: 1);

        Assert.Equal(1.0, result.Precision);
        Assert.Equal(1.0, result.HitRate);
    }

    [Fact]
    public void UsersWithoutTestItemsAreSkipped()
    {
        // User 1 has nothing held out: scoring it would throw, and its zero metrics would halve the means.
        var train = TestMatrices.FromRows(4, [0], [1], [2]);
        var test = TestMatrices.FromRows(4, [3], [], [3]);
        UserScorer scorer = (user, scores) =>
        {
            if (user == 1) throw new InvalidOperationException("user without test items was scored");
            scores[3] = 1;
        };

        var result = Evaluator.Evaluate(train, test, scorer, k: 1, threads: 2);

        Assert.Equal(2, result.UsersEvaluated);
        Assert.Equal(1.0, result.Recall);
    }

    [Fact]
    public void AveragesOverUsersAndCountsCoverage()
    {
        // Global order 0 > 1 > 2 > 3 > 4 with each user's train item removed, k = 2:
        // user 0 (train {0}) gets [1,2], test {2}: precision 1/2, recall 1, NDCG 1/log2(3), AP 1/2.
        // user 1 (train {1}) gets [0,2], test {4}: all zero.
        // Means: precision 1/4, recall 1/2, NDCG 1/(2 log2 3), MAP 1/4, hit rate 1/2; coverage {0,1,2} / 5.
        var train = TestMatrices.FromRows(5, [0], [1]);
        var test = TestMatrices.FromRows(5, [2], [4]);
        UserScorer scorer = (_, scores) => { for (int i = 0; i < scores.Length; i++) scores[i] = -i; };

        var result = Evaluator.Evaluate(train, test, scorer, k: 2, threads: 1);

        Assert.Equal(0.25, result.Precision, 1e-12);
        Assert.Equal(0.5, result.Recall, 1e-12);
        Assert.Equal(1 / (2 * Math.Log2(3)), result.Ndcg, 1e-12);
        Assert.Equal(0.25, result.Map, 1e-12);
        Assert.Equal(0.5, result.HitRate, 1e-12);
        Assert.Equal(3.0 / 5, result.Coverage, 1e-12);
    }

    [Fact]
    public void ResultsDoNotDependOnThreadCount()
    {
        var (train, test) = TestMatrices.RandomSplit(users: 300, items: 60, density: 0.15, seed: 11);
        var knn = new ItemKnnBaseline(train, neighbours: 10);
        var popularity = PopularityBaseline.Global(train);

        foreach (var scorer in new UserScorer[] { knn.Score, popularity })
        {
            var single = Evaluator.Evaluate(train, test, scorer, k: 5, threads: 1);
            Assert.True(single.UsersEvaluated > 100);
            Assert.Equal(single, Evaluator.Evaluate(train, test, scorer, k: 5, threads: 2));
            Assert.Equal(single, Evaluator.Evaluate(train, test, scorer, k: 5, threads: 8));
        }
    }

    [Fact]
    public void RejectsMismatchedShapes()
    {
        var train = TestMatrices.FromRows(4, [0]);
        var test = TestMatrices.FromRows(5, [1]);

        Assert.Throws<ArgumentException>(() => Evaluator.Evaluate(train, test, (_, _) => { }, k: 1, threads: 1));
    }
}
