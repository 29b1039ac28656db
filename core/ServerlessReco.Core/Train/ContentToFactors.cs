using System.Numerics.Tensors;

namespace ServerlessReco.Train;

/// <summary>How the cold-start map was chosen and how well it predicted held-out warm items.</summary>
/// <param name="Lambda">The ridge penalty chosen on the validation items.</param>
/// <param name="ValidationRelativeError">sum |y_hat - y|^2 / sum |y|^2 over the validation items (0 is perfect, 1 is as good as predicting zeros).</param>
/// <param name="ValidationCosine">Mean cosine between predicted and actual factors of the validation items.</param>
/// <param name="FittedItems">Warm items with text that the final map was fitted on (training plus validation).</param>
/// <param name="ValidationItems">Warm items held out to choose lambda.</param>
/// <param name="FilledItems">Items without interactions whose factors were replaced by predictions.</param>
public sealed record ColdStartReport(
    float Lambda, double ValidationRelativeError, double ValidationCosine, int FittedItems, int ValidationItems, int FilledItems);

/// <summary>
/// Factors for items nobody has interacted with yet: a ridge regression W (d x k) from item text embeddings E
/// to ALS item factors Y over the warm items, W = (E^T E + lambda I)^-1 E^T Y, so a cold item gets E_i W and
/// can be recommended and found similar before its first event.
/// </summary>
public static class ContentToFactors
{
    /// <summary>Penalties tried, half a decade apart from 0.01 to 100.</summary>
    public static IReadOnlyList<float> LambdaGrid { get; } = [0.01f, 0.03f, 0.1f, 0.3f, 1f, 3f, 10f, 30f, 100f];

    /// <summary>Share of warm items held out to choose lambda.</summary>
    public const double ValidationShare = 0.2;

    /// <summary>Fewer warm items with text than this leave nothing meaningful to fit and validate on.</summary>
    public const int MinimumWarmItems = 5;

    /// <summary>
    /// Chooses lambda on a seeded random 20% of the warm items that have text, refits on all of them, and
    /// overwrites the factor row of every item that is cold (not <paramref name="warm"/>) but has text with its
    /// prediction. Rows of warm items, and of items without text, are left exactly as they were.
    /// </summary>
    /// <param name="itemFactors">items x k, row-major; cold rows are overwritten.</param>
    /// <param name="embeddings">items x d, row-major, same item order.</param>
    /// <param name="warm">Items with at least one interaction.</param>
    /// <param name="hasText">Items whose embedding row was computed from text (others are zeros and are neither fitted nor filled).</param>
    public static ColdStartReport FillColdItems(
        float[] itemFactors, int k, ReadOnlySpan<float> embeddings, int d, ReadOnlySpan<bool> warm, ReadOnlySpan<bool> hasText, int seed = 42)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(d, 1);
        int items = warm.Length;
        if (hasText.Length != items || itemFactors.Length != (long)items * k || embeddings.Length != (long)items * d)
            throw new ArgumentException($"Expected {items} items: factors {items} x {k}, embeddings {items} x {d}, and one text flag per item.");

        var fitRows = new List<int>();
        for (int i = 0; i < items; i++)
            if (warm[i] && hasText[i]) fitRows.Add(i);
        if (fitRows.Count < MinimumWarmItems)
            throw new ArgumentException($"Only {fitRows.Count} warm items have text; the cold-start map needs at least {MinimumWarmItems}.", nameof(warm));

        // Seeded shuffle so the chosen lambda is reproducible for the same model.
        int[] shuffled = fitRows.ToArray();
        new Random(seed).Shuffle(shuffled);
        int validationCount = Math.Max(1, (int)Math.Round(shuffled.Length * ValidationShare));
        ReadOnlySpan<int> validation = shuffled.AsSpan(0, validationCount);
        ReadOnlySpan<int> training = shuffled.AsSpan(validationCount);

        // The normal equations of the full fit are the training ones plus the validation ones, so each is built once.
        var (trainGram, trainCross) = NormalEquations(embeddings, d, itemFactors, k, training);
        var (validationGram, validationCross) = NormalEquations(embeddings, d, itemFactors, k, validation);

        float bestLambda = float.NaN;
        double bestError = double.PositiveInfinity, bestCosine = 0;
        var prediction = new float[k];
        foreach (float lambda in LambdaGrid)
        {
            if (Solve(trainGram, trainCross, d, k, lambda) is not { } w)
                continue;
            double squaredError = 0, squaredNorm = 0, cosines = 0;
            foreach (int row in validation)
            {
                Predict(w, d, k, embeddings.Slice(row * d, d), prediction);
                ReadOnlySpan<float> actual = itemFactors.AsSpan(row * k, k);
                float distance = TensorPrimitives.Distance(prediction, actual);
                squaredError += (double)distance * distance;
                squaredNorm += TensorPrimitives.Dot(actual, actual);
                float norms = TensorPrimitives.Norm(prediction) * TensorPrimitives.Norm(actual);
                cosines += norms > 0 ? TensorPrimitives.Dot(prediction, actual) / norms : 0;
            }
            double relative = squaredNorm > 0 ? squaredError / squaredNorm : squaredError;
            if (relative < bestError)
                (bestLambda, bestError, bestCosine) = (lambda, relative, cosines / validation.Length);
        }
        if (float.IsNaN(bestLambda))
            throw new InvalidOperationException("E^T E + lambda I was not positive definite for any lambda in the grid: the embeddings hold non-finite values.");

        TensorPrimitives.Add(trainGram, validationGram, trainGram);
        TensorPrimitives.Add(trainCross, validationCross, trainCross);
        float[] final = Solve(trainGram, trainCross, d, k, bestLambda)
            ?? throw new InvalidOperationException($"E^T E + {bestLambda} I over all warm items is not positive definite.");

        int filled = 0;
        for (int i = 0; i < items; i++)
        {
            if (warm[i] || !hasText[i]) continue;
            Predict(final, d, k, embeddings.Slice(i * d, d), itemFactors.AsSpan(i * k, k));
            filled++;
        }
        return new ColdStartReport(bestLambda, bestError, bestCosine, fitRows.Count, validationCount, filled);
    }

    /// <summary>factors = embedding W for a d x k row-major <paramref name="w"/>.</summary>
    private static void Predict(ReadOnlySpan<float> w, int d, int k, ReadOnlySpan<float> embedding, Span<float> factors)
    {
        Span<float> target = factors[..k];
        target.Clear();
        // Row by row: each step is one contiguous multiply-add of length k.
        for (int i = 0; i < d; i++)
            TensorPrimitives.MultiplyAdd(w.Slice(i * k, k), embedding[i], target, target);
    }

    /// <summary>Lower triangle of E^T E (d x d) and E^T Y stored transposed (k x d, one row per factor) over <paramref name="rows"/>.</summary>
    private static (float[] Gram, float[] CrossTransposed) NormalEquations(
        ReadOnlySpan<float> embeddings, int d, ReadOnlySpan<float> factors, int k, ReadOnlySpan<int> rows)
    {
        var gram = new float[d * d];
        var cross = new float[k * d];
        foreach (int row in rows)
        {
            ReadOnlySpan<float> e = embeddings.Slice(row * d, d);
            ReadOnlySpan<float> y = factors.Slice(row * k, k);
            // Cholesky.Factor reads only the lower triangle, so only that half is accumulated.
            for (int i = 0; i < d; i++)
            {
                Span<float> gramRow = gram.AsSpan(i * d, i + 1);
                TensorPrimitives.MultiplyAdd(e[..(i + 1)], e[i], gramRow, gramRow);
            }
            for (int j = 0; j < k; j++)
            {
                Span<float> crossRow = cross.AsSpan(j * d, d);
                TensorPrimitives.MultiplyAdd(e, y[j], crossRow, crossRow);
            }
        }
        return (gram, cross);
    }

    /// <summary>W (d x k) from the normal equations, or null when the penalised Gram is not positive definite.</summary>
    private static float[]? Solve(float[] gram, float[] crossTransposed, int d, int k, float lambda)
    {
        var a = (float[])gram.Clone();
        for (int i = 0; i < d; i++) a[i * d + i] += lambda;
        try
        {
            Cholesky.Factor(a, d);
        }
        catch (InvalidOperationException)
        {
            // Rounding can leave a tiny penalty non-positive-definite on rank-deficient embeddings; a larger one in the grid still works.
            return null;
        }
        var w = new float[d * k];
        var column = new float[d];
        for (int j = 0; j < k; j++)
        {
            crossTransposed.AsSpan(j * d, d).CopyTo(column);
            Cholesky.Solve(a, d, column);
            for (int i = 0; i < d; i++) w[i * k + j] = column[i];
        }
        return w;
    }
}
