using System.Numerics.Tensors;

namespace ServerlessReco.Train;

/// <summary>The two per-row products that dominate an ALS pass.</summary>
internal static class FactorKernels
{
    /// <summary>result = G v for the symmetric k x k matrix G.</summary>
    public static void GramTimes(ReadOnlySpan<float> gram, int k, ReadOnlySpan<float> v, Span<float> result)
    {
        for (int a = 0; a < k; a++) result[a] = TensorPrimitives.Dot(gram.Slice(a * k, k), v);
    }

    /// <summary>
    /// acc += sum_n (s0_n + s1_n (y_n . v)) y_n over the row's stored entries, with c_n = 1 + alpha r_n.
    /// With <paramref name="residual"/> the weight is c_n - (c_n - 1)(y_n . v), the stored-entry part of
    /// the CG residual Y^T C p - Y^T (C - I) Y v; otherwise it is (c_n - 1)(y_n . v), the sparse part of A v.
    /// Both share one pass so each gathered factor row is read once while hot.
    /// </summary>
    public static void AccumulateStored(
        ReadOnlySpan<float> factors, int k, ReadOnlySpan<int> indices, ReadOnlySpan<float> values, float alpha,
        ReadOnlySpan<float> v, Span<float> acc, bool residual)
    {
        for (int n = 0; n < indices.Length; n++)
        {
            ReadOnlySpan<float> y = factors.Slice(indices[n] * k, k);
            float confidenceMinusOne = alpha * values[n];
            float d = TensorPrimitives.Dot(y, v);
            float weight = residual ? 1f + confidenceMinusOne * (1f - d) : confidenceMinusOne * d;
            TensorPrimitives.MultiplyAdd(y, weight, acc, acc);
        }
    }
}
