using System.Numerics;
using System.Numerics.Tensors;

namespace ServerlessReco.Sequence;

/// <summary>
/// The self-attentive sequence network (SASRec): item embeddings (shared by input and output) scaled by
/// sqrt(hidden) plus learned positions (and, with categories, the item's learned category embedding), then pre-norm blocks of causal multi-head self-attention and a point-wise
/// feed-forward, each with a residual and dropout, then a final layer norm. Generic in the number type so the
/// gradient check runs this very code in double while training and serving run it in float.
/// A sequence is processed at its own length (no padding rows): the newest event always sits at the last
/// position, so a short history uses the last positions as a long one does.
/// </summary>
public sealed class SequenceNetwork<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private static readonly T Epsilon = T.CreateChecked(1e-6);

    public SequenceNetwork(SequenceLayout layout, T[] weights)
    {
        if (weights.Length != layout.Size)
            throw new ArgumentException($"Expected {layout.Size} weights, got {weights.Length}.", nameof(weights));
        Layout = layout;
        Weights = weights;
    }

    public SequenceLayout Layout { get; }
    public T[] Weights { get; }
    private int D => Layout.Hidden;

    /// <summary>Xavier-uniform matrices and embeddings, unit gains, zero biases: the usual start for this network.</summary>
    public static SequenceNetwork<T> Initialize(SequenceLayout layout, int seed)
    {
        var weights = new T[layout.Size];
        var rng = new SplitMix(unchecked((ulong)seed * 0x2545F4914F6CDD1DUL + 1));
        void Uniform(int offset, int rows, int cols)
        {
            double bound = Math.Sqrt(6.0 / (rows + cols));
            for (int i = 0; i < rows * cols; i++) weights[offset + i] = T.CreateChecked((2 * rng.NextDouble() - 1) * bound);
        }
        int d = layout.Hidden;
        Uniform(layout.ItemEmbeddings, layout.Items, d);
        Uniform(layout.Positions, layout.MaxLength, d);
        if (layout.CategoryCount > 0) Uniform(layout.CategoryEmbeddings, layout.CategoryCount, d);
        foreach (var b in layout.Blocks)
        {
            weights.AsSpan(b.Ln1Gamma, d).Fill(T.One);
            weights.AsSpan(b.Ln2Gamma, d).Fill(T.One);
            foreach (int w in (int[])[b.Wq, b.Wk, b.Wv, b.Wo, b.W1, b.W2]) Uniform(w, d, d);
        }
        weights.AsSpan(layout.FinalGamma, d).Fill(T.One);
        return new SequenceNetwork<T>(layout, weights);
    }

    public ReadOnlySpan<T> ItemEmbedding(int item) => Weights.AsSpan(Layout.ItemEmbeddings + item * D, D);

    /// <summary>
    /// Runs the network over <paramref name="items"/> (oldest first, at most MaxLength). With a generator,
    /// dropout is on (training); without, it is off (validation and serving).
    /// </summary>
    internal SequenceTrace<T> Forward(ReadOnlySpan<int> items, T dropout, ref SplitMix rng, bool train)
    {
        int m = items.Length, d = D;
        if (m < 1 || m > Layout.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(items), m, $"A sequence has 1 to {Layout.MaxLength} items.");
        var w = Weights.AsSpan();
        var trace = new SequenceTrace<T>(items.ToArray(), d, Layout.Heads, Layout.Blocks.Length, train && dropout > T.Zero);
        var x = new T[m * d];
        T scale = T.Sqrt(T.CreateChecked(d));
        int firstPosition = Layout.MaxLength - m;
        for (int i = 0; i < m; i++)
        {
            var row = x.AsSpan(i * d, d);
            TensorPrimitives.MultiplyAdd(ItemEmbedding(items[i]), scale, w.Slice(Layout.Positions + (firstPosition + i) * d, d), row);
            if (Layout.CategoryCount > 0) TensorPrimitives.Add(row, w.Slice(Layout.CategoryEmbeddings + Layout.ItemCategory[items[i]] * d, d), row);
        }
        if (trace.InputDropout is { } d0) { DropoutMask(d0, dropout, ref rng); TensorPrimitives.Multiply(x, d0, x); }

        for (int b = 0; b < Layout.Blocks.Length; b++)
        {
            var o = Layout.Blocks[b];
            var t = trace.Block[b];
            t.A = new T[m * d];
            LayerNorm(x, w.Slice(o.Ln1Gamma, d), w.Slice(o.Ln1Beta, d), t.Hat1, t.Rstd1, t.A, m, d);
            Linear(t.A, m, d, w.Slice(o.Wq, d * d), w.Slice(o.Bq, d), d, t.Q);
            Linear(t.A, m, d, w.Slice(o.Wk, d * d), default, d, t.K);
            Linear(t.A, m, d, w.Slice(o.Wv, d * d), w.Slice(o.Bv, d), d, t.V);
            Attention(t, m);
            var h1 = new T[m * d];
            Linear(t.O, m, d, w.Slice(o.Wo, d * d), w.Slice(o.Bo, d), d, h1);
            if (t.Dropout1 is { } d1) { DropoutMask(d1, dropout, ref rng); TensorPrimitives.Multiply(h1, d1, h1); }
            TensorPrimitives.Add(h1, x, h1);
            LayerNorm(h1, w.Slice(o.Ln2Gamma, d), w.Slice(o.Ln2Beta, d), t.Hat2, t.Rstd2, t.C, m, d);
            Linear(t.C, m, d, w.Slice(o.W1, d * d), w.Slice(o.B1, d), d, t.Z1);
            TensorPrimitives.Max(t.Z1, T.Zero, t.F);
            var next = new T[m * d];
            Linear(t.F, m, d, w.Slice(o.W2, d * d), w.Slice(o.B2, d), d, next);
            if (t.Dropout2 is { } d2) { DropoutMask(d2, dropout, ref rng); TensorPrimitives.Multiply(next, d2, next); }
            TensorPrimitives.Add(next, h1, next);
            x = next;
        }
        LayerNorm(x, w.Slice(Layout.FinalGamma, d), w.Slice(Layout.FinalBeta, d), trace.FinalHat, trace.FinalRstd, trace.Output, m, d);
        return trace;
    }

    /// <summary>Adds d(loss)/d(weights) to <paramref name="gradient"/>, given d(loss)/d(output rows).</summary>
    internal void Backward(SequenceTrace<T> trace, ReadOnlySpan<T> dOutput, Span<T> gradient)
    {
        int m = trace.Length, d = D;
        var w = Weights.AsSpan();
        var dx = new T[m * d];
        LayerNormBackward(dOutput, trace.FinalHat, trace.FinalRstd, w.Slice(Layout.FinalGamma, d),
            gradient.Slice(Layout.FinalGamma, d), gradient.Slice(Layout.FinalBeta, d), dx, m, d);
        var scratch = new T[m * d];
        for (int b = Layout.Blocks.Length - 1; b >= 0; b--)
        {
            var o = Layout.Blocks[b];
            var t = trace.Block[b];
            // Feed-forward branch: dx flows to h1 directly and through W2, ReLU, W1 and the second layer norm.
            var dH1 = (T[])dx.Clone();
            var dG = dx;
            if (t.Dropout2 is { } d2) TensorPrimitives.Multiply(dG, d2, dG);
            var dF = new T[m * d];
            LinearBackward(t.F, m, d, w.Slice(o.W2, d * d), d, dG, dF, gradient.Slice(o.W2, d * d), gradient.Slice(o.B2, d));
            for (int i = 0; i < dF.Length; i++) if (t.Z1[i] <= T.Zero) dF[i] = T.Zero;
            var dC = new T[m * d];
            LinearBackward(t.C, m, d, w.Slice(o.W1, d * d), d, dF, dC, gradient.Slice(o.W1, d * d), gradient.Slice(o.B1, d));
            LayerNormBackward(dC, t.Hat2, t.Rstd2, w.Slice(o.Ln2Gamma, d), gradient.Slice(o.Ln2Gamma, d), gradient.Slice(o.Ln2Beta, d), dH1, m, d);
            // Attention branch: dH1 flows to the block input directly and through Wo, attention, Q/K/V and layer norm 1.
            var dXIn = (T[])dH1.Clone();
            var dM = dH1;
            if (t.Dropout1 is { } d1) TensorPrimitives.Multiply(dM, d1, dM);
            var dO = new T[m * d];
            LinearBackward(t.O, m, d, w.Slice(o.Wo, d * d), d, dM, dO, gradient.Slice(o.Wo, d * d), gradient.Slice(o.Bo, d));
            var dQ = new T[m * d];
            var dK = new T[m * d];
            var dV = new T[m * d];
            AttentionBackward(t, m, dO, dQ, dK, dV);
            var dA = scratch;
            Array.Clear(dA);
            LinearBackward(t.A, m, d, w.Slice(o.Wq, d * d), d, dQ, dA, gradient.Slice(o.Wq, d * d), gradient.Slice(o.Bq, d));
            LinearBackward(t.A, m, d, w.Slice(o.Wk, d * d), d, dK, dA, gradient.Slice(o.Wk, d * d), default);
            LinearBackward(t.A, m, d, w.Slice(o.Wv, d * d), d, dV, dA, gradient.Slice(o.Wv, d * d), gradient.Slice(o.Bv, d));
            LayerNormBackward(dA, t.Hat1, t.Rstd1, w.Slice(o.Ln1Gamma, d), gradient.Slice(o.Ln1Gamma, d), gradient.Slice(o.Ln1Beta, d), dXIn, m, d);
            dx = dXIn;
        }
        if (trace.InputDropout is { } d0) TensorPrimitives.Multiply(dx, d0, dx);
        T scale = T.Sqrt(T.CreateChecked(d));
        int firstPosition = Layout.MaxLength - m;
        for (int i = 0; i < m; i++)
        {
            var row = dx.AsSpan(i * d, d);
            var dE = gradient.Slice(Layout.ItemEmbeddings + trace.Items[i] * d, d);
            TensorPrimitives.MultiplyAdd(row, scale, dE, dE);
            var dP = gradient.Slice(Layout.Positions + (firstPosition + i) * d, d);
            TensorPrimitives.Add(dP, row, dP);
            if (Layout.CategoryCount > 0)
            {
                var dC = gradient.Slice(Layout.CategoryEmbeddings + Layout.ItemCategory[trace.Items[i]] * d, d);
                TensorPrimitives.Add(dC, row, dC);
            }
        }
    }

    private void Attention(BlockTrace<T> t, int m)
    {
        int d = D, heads = Layout.Heads, dh = d / heads;
        T scale = T.One / T.Sqrt(T.CreateChecked(dh));
        t.P = new T[heads * m * m];
        for (int h = 0; h < heads; h++)
            for (int q = 0; q < m; q++)
            {
                var p = t.P.AsSpan((h * m + q) * m, q + 1);
                var query = t.Q.AsSpan(q * d + h * dh, dh);
                for (int u = 0; u <= q; u++) p[u] = TensorPrimitives.Dot(query, t.K.AsSpan(u * d + h * dh, dh)) * scale;
                TensorPrimitives.SoftMax(p, p);
                var output = t.O.AsSpan(q * d + h * dh, dh);
                for (int u = 0; u <= q; u++) TensorPrimitives.MultiplyAdd(t.V.AsSpan(u * d + h * dh, dh), p[u], output, output);
            }
    }

    private void AttentionBackward(BlockTrace<T> t, int m, T[] dO, T[] dQ, T[] dK, T[] dV)
    {
        int d = D, heads = Layout.Heads, dh = d / heads;
        T scale = T.One / T.Sqrt(T.CreateChecked(dh));
        var dp = new T[m];
        for (int h = 0; h < heads; h++)
            for (int q = 0; q < m; q++)
            {
                var p = t.P.AsSpan((h * m + q) * m, q + 1);
                var dOut = dO.AsSpan(q * d + h * dh, dh);
                for (int u = 0; u <= q; u++)
                {
                    dp[u] = TensorPrimitives.Dot(dOut, t.V.AsSpan(u * d + h * dh, dh));
                    var dv = dV.AsSpan(u * d + h * dh, dh);
                    TensorPrimitives.MultiplyAdd(dOut, p[u], dv, dv);
                }
                T mean = TensorPrimitives.Dot(p, dp.AsSpan(0, q + 1));
                var query = t.Q.AsSpan(q * d + h * dh, dh);
                var dq = dQ.AsSpan(q * d + h * dh, dh);
                for (int u = 0; u <= q; u++)
                {
                    T ds = p[u] * (dp[u] - mean) * scale;
                    TensorPrimitives.MultiplyAdd(t.K.AsSpan(u * d + h * dh, dh), ds, dq, dq);
                    var dk = dK.AsSpan(u * d + h * dh, dh);
                    TensorPrimitives.MultiplyAdd(query, ds, dk, dk);
                }
            }
    }

    private static void DropoutMask(T[] mask, T rate, ref SplitMix rng)
    {
        // Inverted dropout: kept units are scaled up in training so inference needs no rescaling.
        T keep = T.One / (T.One - rate);
        double r = double.CreateChecked(rate);
        for (int i = 0; i < mask.Length; i++) mask[i] = rng.NextDouble() < r ? T.Zero : keep;
    }

    /// <summary>y = x W + b for m rows (no b when empty); W is din x dout, row-major.</summary>
    private static void Linear(ReadOnlySpan<T> x, int m, int din, ReadOnlySpan<T> w, ReadOnlySpan<T> bias, int dout, Span<T> y)
    {
        for (int i = 0; i < m; i++)
        {
            var row = y.Slice(i * dout, dout);
            if (bias.IsEmpty) row.Clear(); else bias.CopyTo(row);
            for (int k = 0; k < din; k++) TensorPrimitives.MultiplyAdd(w.Slice(k * dout, dout), x[i * din + k], row, row);
        }
    }

    /// <summary>Adds dx = dy W^T, dW = x^T dy and db = sum of dy rows.</summary>
    private static void LinearBackward(ReadOnlySpan<T> x, int m, int din, ReadOnlySpan<T> w, int dout, ReadOnlySpan<T> dy, Span<T> dx, Span<T> dw, Span<T> db)
    {
        for (int i = 0; i < m; i++)
        {
            var dyRow = dy.Slice(i * dout, dout);
            if (!db.IsEmpty) TensorPrimitives.Add(db, dyRow, db);
            for (int k = 0; k < din; k++)
            {
                var dwRow = dw.Slice(k * dout, dout);
                TensorPrimitives.MultiplyAdd(dyRow, x[i * din + k], dwRow, dwRow);
                dx[i * din + k] += TensorPrimitives.Dot(w.Slice(k * dout, dout), dyRow);
            }
        }
    }

    private static void LayerNorm(ReadOnlySpan<T> x, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta, Span<T> hat, Span<T> rstd, Span<T> y, int m, int d)
    {
        T n = T.CreateChecked(d);
        for (int i = 0; i < m; i++)
        {
            var h = hat.Slice(i * d, d);
            T mean = TensorPrimitives.Sum(x.Slice(i * d, d)) / n;
            TensorPrimitives.Subtract(x.Slice(i * d, d), mean, h);
            T r = T.One / T.Sqrt(TensorPrimitives.Dot(h, h) / n + Epsilon);
            TensorPrimitives.Multiply(h, r, h);
            rstd[i] = r;
            TensorPrimitives.MultiplyAdd(h, gamma, beta, y.Slice(i * d, d));
        }
    }

    /// <summary>Adds dx; accumulates d gamma and d beta.</summary>
    private static void LayerNormBackward(ReadOnlySpan<T> dy, ReadOnlySpan<T> hat, ReadOnlySpan<T> rstd, ReadOnlySpan<T> gamma,
        Span<T> dGamma, Span<T> dBeta, Span<T> dx, int m, int d)
    {
        T n = T.CreateChecked(d);
        Span<T> g = d <= 256 ? stackalloc T[d] : new T[d];
        for (int i = 0; i < m; i++)
        {
            var dyRow = dy.Slice(i * d, d);
            var h = hat.Slice(i * d, d);
            TensorPrimitives.MultiplyAdd(dyRow, h, dGamma, dGamma);
            TensorPrimitives.Add(dBeta, dyRow, dBeta);
            TensorPrimitives.Multiply(dyRow, gamma, g);
            T meanG = TensorPrimitives.Sum<T>(g) / n;
            T meanGh = TensorPrimitives.Dot<T>(g, h) / n;
            var dxRow = dx.Slice(i * d, d);
            for (int j = 0; j < d; j++) dxRow[j] += rstd[i] * (g[j] - meanG - h[j] * meanGh);
        }
    }
}

/// <summary>What the forward pass keeps for the backward pass (and serving's attention-based explanations).</summary>
internal sealed class SequenceTrace<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public SequenceTrace(int[] items, int d, int heads, int blocks, bool dropout)
    {
        Items = items;
        int size = items.Length * d;
        InputDropout = dropout ? new T[size] : null;
        Block = new BlockTrace<T>[blocks];
        for (int b = 0; b < blocks; b++) Block[b] = new BlockTrace<T>(items.Length, d, dropout);
        FinalHat = new T[size];
        FinalRstd = new T[items.Length];
        Output = new T[size];
    }

    public int[] Items { get; }
    public int Length => Items.Length;
    public T[]? InputDropout { get; }
    public BlockTrace<T>[] Block { get; }
    public T[] FinalHat { get; }
    public T[] FinalRstd { get; }
    /// <summary>One row per position: the state that predicts the item after that position.</summary>
    public T[] Output { get; }
}

internal sealed class BlockTrace<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public BlockTrace(int m, int d, bool dropout)
    {
        int size = m * d;
        Hat1 = new T[size]; Rstd1 = new T[m];
        Q = new T[size]; K = new T[size]; V = new T[size]; O = new T[size];
        Hat2 = new T[size]; Rstd2 = new T[m]; C = new T[size]; Z1 = new T[size]; F = new T[size];
        Dropout1 = dropout ? new T[size] : null;
        Dropout2 = dropout ? new T[size] : null;
    }

    public T[] A = [];
    public T[] P = [];
    public readonly T[] Hat1, Rstd1, Q, K, V, O, Hat2, Rstd2, C, Z1, F;
    public readonly T[]? Dropout1, Dropout2;
}
