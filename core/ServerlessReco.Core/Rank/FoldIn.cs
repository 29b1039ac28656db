using ServerlessReco.Train;
using System.Numerics.Tensors;

namespace ServerlessReco.Rank;

/// <summary>
/// Serving-time user vectors from events the trained model has not seen.
/// <para>
/// The implicit-ALS loss of one user is quadratic in x, so the loss over the training data equals
/// (x - x0)^T A0 (x - x0) + const, where x0 is the stored (optimal) user vector and A0 = Y^T Y + reg I +
/// sum over the user's training items of (c - 1) y y^T. Adding new events turns each item from unobserved
/// (p = 0, c = 1) into observed (p = 1, c = 1 + alpha r), which adds (c - 1) y y^T to the matrix and c y to the
/// right-hand side. The model does not store the user's training row, so A0 is approximated by its known part
/// G = Y^T Y + reg I: the prior on x0 is slightly weaker than exact, which leans towards the fresh events.
/// The result is (G + sum (c - 1) y y^T) x = G x0 + sum c y. A user the model never saw has no prior and gets
/// the exact fold-in (x0 = 0), which is <see cref="ImplicitAls.SolveUserExact"/>.
/// </para>
/// </summary>
public static class FoldIn
{
    /// <param name="prior">The stored user vector, or empty for a user the model never saw.</param>
    public static void Solve(
        ReadOnlySpan<float> itemFactors, int k, ReadOnlySpan<float> gramWithReg, ReadOnlySpan<float> prior,
        ReadOnlySpan<int> items, ReadOnlySpan<float> r, float alpha, Span<float> result)
    {
        if (prior.IsEmpty)
        {
            ImplicitAls.SolveUserExact(itemFactors, k, gramWithReg, items, r, alpha, result);
            return;
        }
        if (prior.Length != k) throw new ArgumentException($"The prior needs {k} entries.", nameof(prior));
        if (items.Length != r.Length) throw new ArgumentException("items and r must have the same length.", nameof(r));
        if (gramWithReg.Length != k * k) throw new ArgumentException($"Gram must be {k} x {k}.", nameof(gramWithReg));

        if (result.Length < k) throw new ArgumentException($"result needs {k} entries.", nameof(result));
        for (int row = 0; row < k; row++) result[row] = TensorPrimitives.Dot(gramWithReg.Slice(row * k, k), prior);
        ImplicitAls.SolveWithRightHandSide(itemFactors, k, gramWithReg, items, r, alpha, result);
    }
}
