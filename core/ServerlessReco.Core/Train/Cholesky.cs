using System.Numerics.Tensors;

namespace ServerlessReco.Train;

/// <summary>Dense Cholesky factorisation for the small (factors x factors) systems of exact ALS solves.</summary>
internal static class Cholesky
{
    /// <summary>
    /// Overwrites the lower triangle of the row-major n x n matrix with L where A = L L^T; the upper
    /// triangle is left as it was and never read by <see cref="Solve"/>.
    /// </summary>
    public static void Factor(Span<float> a, int n)
    {
        if (a.Length < n * n)
            throw new ArgumentException($"Matrix needs {n * n} entries, got {a.Length}.", nameof(a));
        for (int j = 0; j < n; j++)
        {
            Span<float> rowJ = a.Slice(j * n, n);
            float diagonal = rowJ[j] - TensorPrimitives.Dot(rowJ[..j], rowJ[..j]);
            // The negated test also rejects NaN, which a non-finite input would otherwise spread silently.
            if (!(diagonal > 0))
                throw new InvalidOperationException($"Matrix is not positive definite (pivot {j} is {diagonal}).");
            float pivot = MathF.Sqrt(diagonal);
            rowJ[j] = pivot;
            for (int i = j + 1; i < n; i++)
            {
                Span<float> rowI = a.Slice(i * n, n);
                rowI[j] = (rowI[j] - TensorPrimitives.Dot(rowI[..j], rowJ[..j])) / pivot;
            }
        }
    }

    /// <summary>Solves L L^T x = b in place, given the factor written by <see cref="Factor"/>.</summary>
    public static void Solve(ReadOnlySpan<float> l, int n, Span<float> b)
    {
        for (int i = 0; i < n; i++)
        {
            ReadOnlySpan<float> rowI = l.Slice(i * n, n);
            b[i] = (b[i] - TensorPrimitives.Dot(rowI[..i], b[..i])) / rowI[i];
        }
        // L^T is column access on the row-major L, so this half cannot use contiguous dots.
        for (int i = n - 1; i >= 0; i--)
        {
            float sum = b[i];
            for (int j = i + 1; j < n; j++) sum -= l[j * n + i] * b[j];
            b[i] = sum / l[i * n + i];
        }
    }
}
