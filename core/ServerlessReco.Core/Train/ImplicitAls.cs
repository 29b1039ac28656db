using System.Diagnostics;
using System.Numerics.Tensors;

namespace ServerlessReco.Train;

/// <summary>
/// Implicit-feedback matrix factorisation (Hu, Koren &amp; Volinsky 2008): stored entries r_ui &gt;= 0 mean
/// preference 1 with confidence c_ui = 1 + alpha r_ui, every other pair preference 0 with confidence 1.
/// Each half-iteration approximately re-solves every row with a few warm-started conjugate-gradient
/// steps (Takacs, Pilaszy &amp; Tikk 2011) instead of a k x k factorisation per row.
/// </summary>
public static class ImplicitAls
{
    // Below this the residual is numerically zero for float factors; one more step would divide by ~0.
    private const float ResidualFloor = 1e-20f;
    private const int InitBlockRows = 4096;
    private const int GramBlockRows = 1024;
    private const int LossBlockRows = 4096;

    /// <summary>
    /// Trains factors for <paramref name="userItems"/> (users x items, r_ui &gt;= 0). The result depends only
    /// on the data and options, bit for bit on a given machine: not on thread count or scheduling.
    /// <paramref name="onIteration"/> gets each iteration's timing (and loss if asked for) as it finishes.
    /// </summary>
    public static AlsFactors Fit(
        CsrMatrix userItems, AlsOptions options, Action<AlsIterationReport>? onIteration = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(userItems);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        ValidateInput(userItems);

        int k = options.Factors;
        // Row offsets are int arithmetic throughout, as in every span API.
        if ((long)Math.Max(userItems.Rows, userItems.Cols) * k > Array.MaxLength)
            throw new ArgumentException($"{Math.Max(userItems.Rows, userItems.Cols)} rows x {k} factors exceed one array.", nameof(userItems));
        var users = InitialFactors(userItems.Rows, k, options.Seed, 0, options.Threads, ct);
        var items = InitialFactors(userItems.Cols, k, options.Seed, 1, options.Threads, ct);
        var itemUsers = userItems.Transpose();

        for (int iteration = 1; iteration <= options.Iterations; iteration++)
        {
            ct.ThrowIfCancellationRequested();
            long started = Stopwatch.GetTimestamp();
            var itemGram = Gram(items, userItems.Cols, k, options.Regularization, options.Threads);
            SolvePass(userItems, items, itemGram, users, k, options.Alpha, options.CgSteps, options.Threads, ct);
            var userGram = Gram(users, userItems.Rows, k, options.Regularization, options.Threads);
            SolvePass(itemUsers, users, userGram, items, k, options.Alpha, options.CgSteps, options.Threads, ct);
            double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;

            double? loss = options.ComputeLoss
                ? Loss(userItems, new AlsFactors(k, users, items), options.Alpha, options.Regularization, options.Threads)
                : null;
            onIteration?.Invoke(new AlsIterationReport(iteration, seconds, loss));
        }
        return new AlsFactors(k, users, items);
    }

    /// <summary>
    /// The full objective sum_{u,i} c_ui (p_ui - x_u.y_i)^2 + reg (|X|^2 + |Y|^2). The dense part is
    /// sum_u x_u^T (Y^T Y) x_u, then each stored entry swaps its (x.y)^2 term for c (1 - x.y)^2,
    /// so the cost is O(users k^2 + nnz k) rather than O(users items k).
    /// </summary>
    public static double Loss(CsrMatrix userItems, AlsFactors factors, float alpha, float reg) =>
        Loss(userItems, factors, alpha, reg, Environment.ProcessorCount);

    internal static double Loss(CsrMatrix userItems, AlsFactors factors, float alpha, float reg, int threads)
    {
        ArgumentNullException.ThrowIfNull(userItems);
        ArgumentNullException.ThrowIfNull(factors);
        if (factors.Users != userItems.Rows || factors.Items != userItems.Cols)
            throw new ArgumentException(
                $"Factors are {factors.Users} x {factors.Items}, matrix is {userItems.Rows} x {userItems.Cols}.", nameof(factors));

        int k = factors.Factors;
        var itemGram = Gram(factors.ItemFactors, factors.Items, k, 0f, threads);
        var partials = new double[Parallelism.BlockCount(userItems.Rows, LossBlockRows)];
        Parallel.For(0, partials.Length, Parallelism.Options(threads, default), () => new float[k], (block, _, gx) =>
        {
            int end = Math.Min(userItems.Rows, (block + 1) * LossBlockRows);
            double sum = 0;
            for (int u = block * LossBlockRows; u < end; u++)
            {
                ReadOnlySpan<float> x = factors.User(u);
                FactorKernels.GramTimes(itemGram, k, x, gx);
                sum += TensorPrimitives.Dot(x, gx);
                ReadOnlySpan<int> indices = userItems.RowIndices(u);
                ReadOnlySpan<float> values = userItems.RowValues(u);
                for (int n = 0; n < indices.Length; n++)
                {
                    double d = TensorPrimitives.Dot(x, factors.Item(indices[n]));
                    double confidence = 1.0 + (double)alpha * values[n];
                    sum += confidence * (1 - d) * (1 - d) - d * d;
                }
            }
            partials[block] = sum;
            return gx;
        }, _ => { });

        double total = 0;
        foreach (double p in partials) total += p;
        double norms = (double)TensorPrimitives.Dot(factors.UserFactors, factors.UserFactors)
                     + TensorPrimitives.Dot(factors.ItemFactors, factors.ItemFactors);
        return total + reg * norms;
    }

    /// <summary>
    /// G = F^T F + reg I for a row-major rows x k matrix F: the k x k matrix shared by every row solve of a
    /// half-iteration, and by serving's fold-in for a whole model.
    /// </summary>
    public static float[] Gram(float[] factors, int rows, int k, float reg) =>
        Gram(factors, rows, k, reg, Environment.ProcessorCount);

    internal static float[] Gram(float[] factors, int rows, int k, float reg, int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        if (factors.Length < (long)rows * k)
            throw new ArgumentException($"Need {rows} x {k} factors, got {factors.Length} values.", nameof(factors));

        var partials = new float[Parallelism.BlockCount(rows, GramBlockRows)][];
        Parallel.For(0, partials.Length, Parallelism.Options(threads, default), block =>
        {
            int start = block * GramBlockRows, count = Math.Min(rows - start, GramBlockRows);
            var g = new float[k * k];
            FactorKernels.UpperGram(factors.AsSpan(start * k, count * k), count, k, g);
            partials[block] = g;
        });

        var gram = new float[k * k];
        foreach (var g in partials) TensorPrimitives.Add(gram, g, gram);
        for (int a = 0; a < k; a++)
        {
            gram[a * k + a] += reg;
            for (int b = a + 1; b < k; b++) gram[b * k + a] = gram[a * k + b];
        }
        return gram;
    }

    /// <summary>
    /// Exact least-squares factors for one row given the other side's factors: solves
    /// (G + sum (c_n - 1) y_n y_n^T) x = sum c_n y_n by Cholesky. Used to fold a new or changed user into
    /// a trained model at serving time, and as the reference the CG solver is tested against.
    /// </summary>
    public static void SolveUserExact(
        ReadOnlySpan<float> itemFactors, int factors, ReadOnlySpan<float> gramWithReg,
        ReadOnlySpan<int> items, ReadOnlySpan<float> r, float alpha, Span<float> result)
    {
        if (result.Length < factors)
            throw new ArgumentException($"result needs {factors} entries.", nameof(result));
        result[..factors].Clear();
        SolveWithRightHandSide(itemFactors, factors, gramWithReg, items, r, alpha, result);
    }

    /// <summary>
    /// Solves (G + sum (c_n - 1) y_n y_n^T) x = b + sum c_n y_n, where b is what <paramref name="result"/> holds
    /// on entry (zero for an exact solve, G x0 for a fold-in around a prior x0).
    /// </summary>
    internal static void SolveWithRightHandSide(
        ReadOnlySpan<float> itemFactors, int factors, ReadOnlySpan<float> gramWithReg,
        ReadOnlySpan<int> items, ReadOnlySpan<float> r, float alpha, Span<float> result)
    {
        int k = factors;
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        if (gramWithReg.Length != k * k)
            throw new ArgumentException($"Gram must be {k} x {k}.", nameof(gramWithReg));
        if (items.Length != r.Length)
            throw new ArgumentException("items and r must have the same length.", nameof(r));
        if (result.Length < k)
            throw new ArgumentException($"result needs {k} entries.", nameof(result));

        // Serving calls this per request, so small systems stay off the heap.
        float[]? rented = null;
        Span<float> a = k <= 64
            ? stackalloc float[k * k]
            : (rented = System.Buffers.ArrayPool<float>.Shared.Rent(k * k)).AsSpan(0, k * k);
        try
        {
            gramWithReg.CopyTo(a);
            Span<float> b = result[..k];
            for (int n = 0; n < items.Length; n++)
            {
                ReadOnlySpan<float> y = itemFactors.Slice(items[n] * k, k);
                float confidenceMinusOne = alpha * r[n];
                for (int row = 0; row < k; row++)
                {
                    Span<float> aRow = a.Slice(row * k, k);
                    TensorPrimitives.MultiplyAdd(y, confidenceMinusOne * y[row], aRow, aRow);
                }
                TensorPrimitives.MultiplyAdd(y, 1f + confidenceMinusOne, b, b);
            }
            Cholesky.Factor(a, k);
            Cholesky.Solve(a, k, b);
        }
        finally
        {
            if (rented is not null) System.Buffers.ArrayPool<float>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// One half-iteration: for every row of <paramref name="rows"/>, moves its factors in
    /// <paramref name="target"/> <paramref name="cgSteps"/> CG steps towards the exact solution against
    /// the fixed <paramref name="fixedFactors"/>, starting from the current values.
    /// </summary>
    internal static void SolvePass(
        CsrMatrix rows, float[] fixedFactors, float[] gram, float[] target, int k, float alpha, int cgSteps, int threads,
        CancellationToken ct)
    {
        // A row's G p costs k^2 multiply-adds, the same as k/2 stored entries at 2k each.
        var bounds = Parallelism.BalancedBoundaries(rows.RowPointers, rows.Rows, k / 2, threads * 32);
        Parallel.For(0, bounds.Length - 1, Parallelism.Options(threads, ct), () => new float[3 * k], (block, _, scratch) =>
        {
            Span<float> residual = scratch.AsSpan(0, k), direction = scratch.AsSpan(k, k), product = scratch.AsSpan(2 * k, k);
            for (int row = bounds[block]; row < bounds[block + 1]; row++)
            {
                ReadOnlySpan<int> indices = rows.RowIndices(row);
                ReadOnlySpan<float> values = rows.RowValues(row);
                Span<float> x = target.AsSpan(row * k, k);

                FactorKernels.GramTimes(gram, k, x, residual);
                TensorPrimitives.Negate(residual, residual);
                FactorKernels.AccumulateStored(fixedFactors, k, indices, values, alpha, x, residual, residual: true);
                residual.CopyTo(direction);
                float residualNorm = TensorPrimitives.Dot(residual, residual);

                for (int step = 0; step < cgSteps && residualNorm > ResidualFloor; step++)
                {
                    FactorKernels.GramTimes(gram, k, direction, product);
                    FactorKernels.AccumulateStored(fixedFactors, k, indices, values, alpha, direction, product, residual: false);
                    float curvature = TensorPrimitives.Dot(direction, product);
                    if (!(curvature > 0)) break;
                    float stepSize = residualNorm / curvature;
                    TensorPrimitives.MultiplyAdd(direction, stepSize, x, x);
                    TensorPrimitives.MultiplyAdd(product, -stepSize, residual, residual);
                    float nextNorm = TensorPrimitives.Dot(residual, residual);
                    TensorPrimitives.MultiplyAdd(direction, nextNorm / residualNorm, residual, direction);
                    residualNorm = nextNorm;
                }
            }
            return scratch;
        }, _ => { });
    }

    private static void ValidateInput(CsrMatrix userItems)
    {
        foreach (float v in userItems.Values)
        {
            if (!(v >= 0) || float.IsPositiveInfinity(v))
                throw new ArgumentException($"Interaction strengths must be finite and >= 0, found {v}.", nameof(userItems));
        }
        foreach (int c in userItems.ColumnIndices)
        {
            if ((uint)c >= (uint)userItems.Cols)
                throw new ArgumentException($"Column index {c} outside 0..{userItems.Cols - 1}.", nameof(userItems));
        }
    }

    /// <summary>
    /// Zero-mean uniform entries in [-1/sqrt(k), 1/sqrt(k)). Centred, because an all-positive start gives
    /// every row a shared component that ALS takes many iterations to unlearn (disjoint user groups then
    /// leak into each other's recommendations). Each fixed block of
    /// rows draws from its own generator, seeded from (seed, side, block), so the result is the same for
    /// any thread count and schedule.
    /// </summary>
    private static float[] InitialFactors(int rows, int k, int seed, int side, int threads, CancellationToken ct)
    {
        var factors = new float[(long)rows * k];
        float scale = 1f / MathF.Sqrt(k);
        Parallel.For(0, Parallelism.BlockCount(rows, InitBlockRows), Parallelism.Options(threads, ct), block =>
        {
            var random = new Random(MixSeed(seed, side, block));
            int start = block * InitBlockRows * k, end = (int)Math.Min(factors.LongLength, (long)(block + 1) * InitBlockRows * k);
            for (int n = start; n < end; n++) factors[n] = (2 * random.NextSingle() - 1) * scale;
        });
        return factors;
    }

    internal static int MixSeed(int seed, int stream, int block)
    {
        // SplitMix64 finaliser: nearby (seed, block) pairs must not give correlated System.Random streams.
        ulong z = (ulong)(uint)seed * 0x9E3779B97F4A7C15UL + (ulong)(uint)stream * 0xBF58476D1CE4E5B9UL + (ulong)(uint)block * 0x94D049BB133111EBUL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (int)(z ^ (z >> 31));
    }
}
