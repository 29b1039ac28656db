using ServerlessReco.Evaluate;
using ServerlessReco.Train;

namespace ServerlessReco.Tests.Evaluate;

internal static class TestMatrices
{
    /// <summary>One int[] of item indices per user, every value 1.</summary>
    public static CsrMatrix FromRows(int items, params int[][] rows)
    {
        var r = new List<int>();
        var c = new List<int>();
        for (int u = 0; u < rows.Length; u++)
        {
            foreach (int i in rows[u]) { r.Add(u); c.Add(i); }
        }
        return CsrMatrix.FromCoordinates(rows.Length, items, r.ToArray(), c.ToArray(), Enumerable.Repeat(1f, r.Count).ToArray());
    }

    /// <summary>Random disjoint train/test split; train values are random weights in 1..5.</summary>
    public static (CsrMatrix Train, CsrMatrix Test) RandomSplit(int users, int items, double density, int seed)
    {
        var random = new Random(seed);
        var trainR = new List<int>(); var trainC = new List<int>(); var trainV = new List<float>();
        var testR = new List<int>(); var testC = new List<int>();
        for (int u = 0; u < users; u++)
        {
            for (int i = 0; i < items; i++)
            {
                if (random.NextDouble() >= density) continue;
                if (random.NextDouble() < 0.25) { testR.Add(u); testC.Add(i); }
                else { trainR.Add(u); trainC.Add(i); trainV.Add(random.Next(1, 6)); }
            }
        }
        var train = CsrMatrix.FromCoordinates(users, items, trainR.ToArray(), trainC.ToArray(), trainV.ToArray());
        var test = CsrMatrix.FromCoordinates(users, items, testR.ToArray(), testC.ToArray(), Enumerable.Repeat(1f, testR.Count).ToArray());
        return (train, test);
    }

    public static float[] Scores(UserScorer scorer, int user, int items)
    {
        var scores = new float[items];
        scorer(user, scores);
        return scores;
    }
}
