using ServerlessReco.Rank;
using ServerlessReco.Train;

namespace ServerlessReco.Tests.Train;

public class ImplicitAlsTests
{
    private const float Alpha = 10f;
    private const float Reg = 0.1f;

    // 64 exercises the k the benchmark and serving use, 7 a k that no vector width divides, 96 the exact
    // solve's pooled (rather than stack) buffer.
    [Theory]
    [InlineData(64)]
    [InlineData(7)]
    [InlineData(96)]
    public void CgWithKStepsAgreesWithCholeskySolve(int k)
    {
        var m = TestData.RandomMatrix(40, 120, 0.15, seed: 11);
        var itemFactors = TestData.Gaussian(m.Cols * k, 0.3f, seed: 12);
        var gram = ImplicitAls.Gram(itemFactors, m.Cols, k, Reg);
        var cg = TestData.Gaussian(m.Rows * k, 0.1f, seed: 13);

        ImplicitAls.SolvePass(m, itemFactors, gram, cg, k, Alpha, cgSteps: k, threads: 2, CancellationToken.None);

        var exact = new float[k];
        for (int u = 0; u < m.Rows; u++)
        {
            ImplicitAls.SolveUserExact(itemFactors, k, gram, m.RowIndices(u), m.RowValues(u), Alpha, exact);
            Assert.True(TestData.RelativeDistance(cg.AsSpan(u * k, k), exact) < 1e-3, $"user {u}");
        }
    }

    [Fact]
    public void ThreeCgStepsReachNearlyTheExactAlsLoss()
    {
        var m = TestData.RandomMatrix(150, 100, 0.08, seed: 21);
        var options = new AlsOptions { Factors = 16, Iterations = 12, Regularization = Reg, Alpha = Alpha, Threads = 2 };
        var cg = ImplicitAls.Fit(m, options);

        // Same starting point as Fit: zero iterations return the initial factors.
        var start = ImplicitAls.Fit(m, options with { Iterations = 0 });
        var exact = ExactAls(m, start, options);

        double cgLoss = ImplicitAls.Loss(m, cg, Alpha, Reg);
        double exactLoss = ImplicitAls.Loss(m, exact, Alpha, Reg);
        Assert.True(Math.Abs(cgLoss - exactLoss) < 0.01 * exactLoss, $"CG {cgLoss}, exact {exactLoss}");
    }

    [Fact]
    public void LossNeverIncreases()
    {
        var m = TestData.RandomMatrix(200, 150, 0.05, seed: 31);
        var losses = new List<double>();
        ImplicitAls.Fit(m, new AlsOptions { Factors = 16, Iterations = 10, ComputeLoss = true, Threads = 2 },
            report => losses.Add(report.Loss!.Value));

        Assert.Equal(10, losses.Count);
        for (int n = 1; n < losses.Count; n++)
            Assert.True(losses[n] <= losses[n - 1] * (1 + 1e-5), $"iteration {n + 1}: {losses[n]} > {losses[n - 1]}");
        Assert.True(losses[^1] < 0.9 * losses[0]);
    }

    [Fact]
    public void LossMatchesDenseDefinition()
    {
        const int k = 5;
        var m = TestData.RandomMatrix(9, 7, 0.3, seed: 41);
        var f = new AlsFactors(k, TestData.Gaussian(m.Rows * k, 0.5f, 42), TestData.Gaussian(m.Cols * k, 0.5f, 43));

        double expected = 0;
        for (int u = 0; u < m.Rows; u++)
        {
            for (int i = 0; i < m.Cols; i++)
            {
                int at = m.RowIndices(u).IndexOf(i);
                double r = at >= 0 ? m.RowValues(u)[at] : 0;
                double p = at >= 0 ? 1 : 0;
                double error = p - TestData.Dot(f.User(u), f.Item(i));
                expected += (1 + Alpha * r) * error * error;
            }
        }
        expected += Reg * (TestData.Dot(f.UserFactors, f.UserFactors) + TestData.Dot(f.ItemFactors, f.ItemFactors));

        Assert.Equal(expected, ImplicitAls.Loss(m, f, Alpha, Reg), expected * 1e-5);
    }

    [Fact]
    public void SameSeedGivesBitwiseIdenticalFactorsForAnyThreadCount()
    {
        var m = SyntheticInteractions.Generate(3000, 500, 40_000, seed: 1);
        var options = new AlsOptions { Factors = 64, Iterations = 2, Seed = 9 };

        var a = ImplicitAls.Fit(m, options with { Threads = 2 });
        var b = ImplicitAls.Fit(m, options with { Threads = 2 });
        var c = ImplicitAls.Fit(m, options with { Threads = 3 });
        var d = ImplicitAls.Fit(m, options with { Threads = 2, Seed = 10 });

        Assert.Equal(a.UserFactors, b.UserFactors);
        Assert.Equal(a.ItemFactors, b.ItemFactors);
        Assert.Equal(a.UserFactors, c.UserFactors);
        Assert.Equal(a.ItemFactors, c.ItemFactors);
        Assert.NotEqual(a.ItemFactors, d.ItemFactors);
    }

    [Theory]
    [InlineData(2500, 7)]
    [InlineData(300, 64)]
    public void GramMatchesNaive(int rows, int k)
    {
        var factors = TestData.Gaussian(rows * k, 1f, seed: rows);
        var gram = ImplicitAls.Gram(factors, rows, k, 0.25f);

        for (int a = 0; a < k; a++)
        {
            for (int b = 0; b < k; b++)
            {
                double expected = a == b ? 0.25 : 0;
                for (int r = 0; r < rows; r++) expected += (double)factors[r * k + a] * factors[r * k + b];
                Assert.Equal(expected, gram[a * k + b], Math.Max(1e-3, Math.Abs(expected) * 1e-4));
            }
        }
    }

    [Fact]
    public void The_avx2_gram_kernel_matches_naive_on_machines_whose_runtime_would_pick_avx512()
    {
        // A JIT with AVX-512 takes the Vector512 path; this runs the one Native AOT builds for x86-64-v3 take.
        Assert.True(System.Runtime.Intrinsics.X86.Fma.IsSupported, "the AVX2 kernel needs FMA (every x86-64-v3 machine has it)");
        const int rows = 300, k = 64;
        var factors = TestData.Gaussian(rows * k, 1f, seed: 5);
        var gram = new float[k * k];
        FactorKernels.UpperGram64Avx2(factors, rows, gram);
        for (int a = 0; a < k; a++)
        {
            for (int b = 0; b < k; b++)
            {
                double expected = 0;
                for (int r = 0; r < rows; r++) expected += (double)factors[r * k + a] * factors[r * k + b];
                Assert.Equal(expected, gram[a * k + b], Math.Max(1e-3, Math.Abs(expected) * 1e-4));
            }
        }
    }

    [Theory]
    [InlineData(42)]
    [InlineData(1)]
    [InlineData(2)]
    public void PlantedBlocksRecommendWithinTheirBlock(int seed)
    {
        // Users 0..59 interact only with items 0..39, users 60..119 only with items 40..79. Few factors and a
        // low alpha keep the optimum block-separated: with many factors and high confidence, fitting the random
        // within-block pattern legitimately costs some leakage across blocks.
        var random = new Random(51);
        var rows = new List<int>();
        var cols = new List<int>();
        for (int u = 0; u < 120; u++)
        {
            int firstItem = u < 60 ? 0 : 40;
            for (int i = firstItem; i < firstItem + 40; i++)
            {
                if (random.NextDouble() >= 0.3) continue;
                rows.Add(u);
                cols.Add(i);
            }
        }
        var m = CsrMatrix.FromCoordinates(120, 80, rows.ToArray(), cols.ToArray(), Enumerable.Repeat(1f, rows.Count).ToArray());
        var f = ImplicitAls.Fit(m, new AlsOptions { Factors = 4, Iterations = 15, Alpha = 2f, Seed = seed, Threads = 2 });

        var scores = new float[m.Cols];
        var top = new int[5];
        var topScores = new float[5];
        for (int u = 0; u < m.Rows; u++)
        {
            Scoring.ScoreAll(f.ItemFactors, f.Factors, f.User(u), scores);
            foreach (int seen in m.RowIndices(u)) scores[seen] = float.NegativeInfinity;
            Assert.Equal(5, TopK.Select(scores, 5, top, topScores));
            bool ownBlock = u < 60;
            Assert.True(top.All(i => ownBlock == i < 40), $"user {u} ({m.RowLength(u)} seen): {string.Join(",", top)} / {string.Join(",", topScores)}; in-block max {scores.AsSpan(ownBlock ? 0 : 40, 40).ToArray().Max()}, other max {scores.AsSpan(ownBlock ? 40 : 0, 40).ToArray().Max()}");
        }
    }

    [Fact]
    public void ReportsEveryIterationWithTimeAndNoLossByDefault()
    {
        var m = TestData.RandomMatrix(30, 20, 0.2, seed: 61);
        var reports = new List<AlsIterationReport>();
        ImplicitAls.Fit(m, new AlsOptions { Factors = 4, Iterations = 3 }, reports.Add);

        Assert.Equal([1, 2, 3], reports.Select(r => r.Iteration));
        Assert.All(reports, r => Assert.True(r.Seconds >= 0 && r.Loss is null));
    }

    [Fact]
    public void CancellationStopsFit()
    {
        var m = TestData.RandomMatrix(30, 20, 0.2, seed: 71);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => ImplicitAls.Fit(m, new AlsOptions { Factors = 4 }, ct: cts.Token));
    }

    [Fact]
    public void RejectsNegativeStrengths()
    {
        var m = CsrMatrix.FromCoordinates(2, 2, [0, 1], [1, 0], [1f, -1f]);
        Assert.Throws<ArgumentException>(() => ImplicitAls.Fit(m, new AlsOptions { Factors = 2 }));
    }

    public static TheoryData<AlsOptions, string> InvalidOptions() => new()
    {
        { new AlsOptions { Factors = 0 }, nameof(AlsOptions.Factors) },
        { new AlsOptions { Iterations = -1 }, nameof(AlsOptions.Iterations) },
        { new AlsOptions { Regularization = -0.1f }, nameof(AlsOptions.Regularization) },
        { new AlsOptions { Regularization = float.NaN }, nameof(AlsOptions.Regularization) },
        { new AlsOptions { Alpha = float.PositiveInfinity }, nameof(AlsOptions.Alpha) },
        { new AlsOptions { CgSteps = 0 }, nameof(AlsOptions.CgSteps) },
        { new AlsOptions { Threads = 0 }, nameof(AlsOptions.Threads) },
    };

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public void InvalidOptionsNameTheOption(AlsOptions options, string name)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(options.Validate);
        Assert.Equal(name, ex.ParamName);
    }

    private static AlsFactors ExactAls(CsrMatrix userItems, AlsFactors start, AlsOptions options)
    {
        int k = options.Factors;
        var users = (float[])start.UserFactors.Clone();
        var items = (float[])start.ItemFactors.Clone();
        var itemUsers = userItems.Transpose();
        for (int iteration = 0; iteration < options.Iterations; iteration++)
        {
            SolveAll(userItems, items, users);
            SolveAll(itemUsers, users, items);
        }
        return new AlsFactors(k, users, items);

        void SolveAll(CsrMatrix rows, float[] fixedFactors, float[] target)
        {
            var gram = ImplicitAls.Gram(fixedFactors, rows.Cols, k, options.Regularization);
            for (int r = 0; r < rows.Rows; r++)
                ImplicitAls.SolveUserExact(fixedFactors, k, gram, rows.RowIndices(r), rows.RowValues(r), options.Alpha, target.AsSpan(r * k, k));
        }
    }
}
