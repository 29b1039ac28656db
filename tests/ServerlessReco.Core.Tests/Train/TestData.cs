using ServerlessReco.Train;

namespace ServerlessReco.Tests.Train;

internal static class TestData
{
    /// <summary>Random sparse matrix with roughly density * rows * cols entries valued in [0.5, 3).</summary>
    public static CsrMatrix RandomMatrix(int rows, int cols, double density, int seed)
    {
        var random = new Random(seed);
        var r = new List<int>();
        var c = new List<int>();
        var v = new List<float>();
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < cols; j++)
            {
                if (random.NextDouble() >= density) continue;
                r.Add(i);
                c.Add(j);
                v.Add(0.5f + 2.5f * random.NextSingle());
            }
        }
        return CsrMatrix.FromCoordinates(rows, cols, r.ToArray(), c.ToArray(), v.ToArray());
    }

    public static float[] Gaussian(int count, float scale, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int n = 0; n < count; n++)
            values[n] = scale * (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
        return values;
    }

    public static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double sum = 0;
        for (int n = 0; n < a.Length; n++) sum += (double)a[n] * b[n];
        return sum;
    }

    public static double RelativeDistance(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected)
    {
        double diff = 0, norm = 0;
        for (int n = 0; n < expected.Length; n++)
        {
            diff += Math.Pow(actual[n] - expected[n], 2);
            norm += Math.Pow(expected[n], 2);
        }
        return Math.Sqrt(diff / norm);
    }
}
