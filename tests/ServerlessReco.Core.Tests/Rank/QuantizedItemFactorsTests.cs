using ServerlessReco.Rank;
using ServerlessReco.Train;

namespace ServerlessReco.Tests.Rank;

public class QuantizedItemFactorsTests
{
    private static float Gaussian(Random random) =>
        (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));

    /// <summary>Rows of very different lengths, a few zero rows, and item counts that do not fill the last block.</summary>
    private static float[] Factors(Random random, int items, int k)
    {
        var factors = new float[items * k];
        for (int i = 0; i < items; i++)
        {
            float rowScale = i % 17 == 5 ? 0f : (float)Math.Exp(Gaussian(random));
            for (int d = 0; d < k; d++) factors[i * k + d] = Gaussian(random) * rowScale * 0.1f;
        }
        return factors;
    }

    private static float[] Vector(Random random, int k) => [.. Enumerable.Range(0, k).Select(_ => Gaussian(random) * 0.1f)];

    private static (int[] Indices, float[] Scores) FloatScan(float[] factors, int k, float[] user, int count, Func<int, bool>? allow)
    {
        var scores = new float[factors.Length / k];
        Scoring.ScoreAll(factors, k, user, scores);
        if (allow is not null)
            for (int i = 0; i < scores.Length; i++)
                if (!allow(i)) scores[i] = float.NegativeInfinity;
        var indices = new int[count];
        var top = new float[count];
        int got = TopK.Select(scores, count, indices, top);
        return (indices[..got], top[..got]);
    }

    [Theory]
    [InlineData(1003, 64)]
    [InlineData(517, 10)]
    [InlineData(9, 1)]
    public void UpperBoundsNeverFallBelowTheExactScore(int items, int k)
    {
        var random = new Random(items + k);
        var factors = Factors(random, items, k);
        var quantized = QuantizedItemFactors.Build(factors, k);
        var exact = new float[items];
        var upper = new float[items];
        for (int trial = 0; trial < 20; trial++)
        {
            var user = Vector(random, k);
            Scoring.ScoreAll(factors, k, user, exact);
            quantized.UpperBounds(user, upper);
            float spread = exact.Max() - exact.Min();
            for (int i = 0; i < items; i++)
            {
                Assert.True(upper[i] >= exact[i], $"item {i}: bound {upper[i]} below exact {exact[i]}");
                // A bound that is always loose would make every request rescore everything.
                Assert.True(upper[i] - exact[i] <= 0.25f * spread + 1e-6f, $"item {i}: bound {upper[i]} far above exact {exact[i]}");
            }
        }
    }

    [Fact]
    public void EveryKernelComputesTheSameBounds()
    {
        var random = new Random(5);
        const int k = 64, items = 801;
        var quantized = QuantizedItemFactors.Build(Factors(random, items, k), k);
        var user = Vector(random, k);
        var fastest = new float[items];
        quantized.UpperBounds(user, fastest);
        var kernels = new List<QuantizedItemFactors.ScanKernel> { QuantizedItemFactors.ScanKernel.Scalar };
        if (System.Runtime.Intrinsics.X86.Avx2.IsSupported) kernels.Add(QuantizedItemFactors.ScanKernel.Avx2);
        if (System.Runtime.Intrinsics.X86.AvxVnni.IsSupported) kernels.Add(QuantizedItemFactors.ScanKernel.AvxVnni);
        foreach (var kernel in kernels)
        {
            var bounds = new float[items];
            try
            {
                QuantizedItemFactors.ForcedKernel = kernel;
                quantized.UpperBounds(user, bounds);
            }
            finally
            {
                QuantizedItemFactors.ForcedKernel = null;
            }
            // All compute the same integer dot products, so the bounds agree to the bit.
            Assert.Equal(fastest, bounds);
        }
    }

    [Theory]
    [InlineData(20, 1)]
    [InlineData(20, 20)]
    [InlineData(100, 3)]
    public void TopExactReturnsWhatAFloatScanReturns(int count, int passOneIn)
    {
        var random = new Random(count * 31 + passOneIn);
        const int k = 64, items = 5000;
        var factors = Factors(random, items, k);
        var quantized = QuantizedItemFactors.Build(factors, k);
        Func<int, bool>? allow = passOneIn == 1 ? null : i => i % passOneIn == 1;
        var indices = new int[count];
        var scores = new float[count];
        for (int trial = 0; trial < 25; trial++)
        {
            var user = Vector(random, k);
            var expected = FloatScan(factors, k, user, count, allow);
            int got = quantized.TopExact(factors, user, count, allow, indices, scores);
            Assert.Equal(expected.Indices, indices[..got]);
            Assert.Equal(expected.Scores, scores[..got]);
        }
    }

    [Fact]
    public void TiesAndDegenerateUsersFollowTheFloatScanOrder()
    {
        const int k = 8;
        var random = new Random(9);
        var factors = Factors(random, 300, k);
        // Identical rows tie exactly: the lower index comes first, as after a float scan. Long rows, so they lead.
        for (int d = 0; d < k; d++) factors[10 * k + d] = 10 + d;
        factors.AsSpan(10 * k, k).CopyTo(factors.AsSpan(250 * k, k));
        factors.AsSpan(10 * k, k).CopyTo(factors.AsSpan(3 * k, k));
        var quantized = QuantizedItemFactors.Build(factors, k);
        var indices = new int[12];
        var scores = new float[12];

        var towardTwin = factors.AsSpan(10 * k, k).ToArray();
        int got = quantized.TopExact(factors, towardTwin, 12, null, indices, scores);
        var expected = FloatScan(factors, k, towardTwin, 12, null);
        Assert.Equal(expected.Indices, indices[..got]);
        Assert.Equal([3, 10, 250], indices[..3]);

        var zero = new float[k];
        got = quantized.TopExact(factors, zero, 12, i => i >= 100, indices, scores);
        Assert.Equal(FloatScan(factors, k, zero, 12, i => i >= 100).Indices, indices[..got]);

        Assert.Equal(0, quantized.TopExact(factors, towardTwin, 5, _ => false, indices, scores));
        Assert.Equal(3, quantized.TopExact(factors, towardTwin, 10, i => i is 7 or 8 or 299, indices, scores));
    }

    [Fact]
    public void RefusesFactorsThatAreNotFiniteNumbers()
    {
        var factors = new float[16];
        factors[9] = float.NaN;
        var error = Assert.Throws<ArgumentException>(() => QuantizedItemFactors.Build(factors, 8));
        Assert.Contains("Item 1", error.Message);
    }
}
