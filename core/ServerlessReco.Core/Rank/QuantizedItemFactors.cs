using ServerlessReco.Train;
using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ServerlessReco.Rank;

/// <summary>
/// Item factors in int8 with one scale per item, for the full scan a recommendation request needs. The scan reads
/// a quarter of the bytes of the float32 factors (100,000 x 64 items: 6.4 MB instead of 25.6 MB), and every
/// approximate score comes with a proven upper bound on the exact one, so <see cref="TopExact"/> rescores in
/// float32 only the items whose bound still reaches the top and returns exactly what a float32 scan returns.
/// </summary>
/// <remarks>
/// Codes are stored in blocks of 8 items, 4 dimensions at a time, the shape of one AVX-VNNI multiply-add
/// (32 unsigned-by-signed byte products summed into 8 int32 lanes), so a block's 8 scores build up in one
/// register with no horizontal sums. The user side is quantized to unsigned bytes with an offset of 128, which
/// the per-item code sum removes again.
/// </remarks>
public sealed class QuantizedItemFactors
{
    private const int BlockItems = 8;
    private const int GroupDims = 4;
    private const int UserOffset = 128;

    private readonly sbyte[] _codes;
    private readonly float[] _scales;
    private readonly float[] _codeL1;
    private readonly float[] _codeSums;
    private readonly int _groups;

    private QuantizedItemFactors(int items, int k)
    {
        Items = items;
        K = k;
        _groups = (k + GroupDims - 1) / GroupDims;
        int padded = (items + BlockItems - 1) / BlockItems * BlockItems;
        _codes = new sbyte[padded * _groups * GroupDims];
        _scales = new float[padded];
        _codeL1 = new float[padded];
        _codeSums = new float[padded];
    }

    public int Items { get; }
    public int K { get; }

    /// <summary>The instructions the scan runs on here: AVX-VNNI, else AVX2 (16-bit multiply-adds), else scalar.</summary>
    public static ScanKernel Kernel => ForcedKernel ?? (AvxVnni.IsSupported ? ScanKernel.AvxVnni : Avx2.IsSupported ? ScanKernel.Avx2 : ScanKernel.Scalar);

    /// <summary>For tests: runs a slower kernel on a machine that has a faster one.</summary>
    internal static ScanKernel? ForcedKernel { get; set; }

    public enum ScanKernel { Scalar, Avx2, AvxVnni }

    /// <summary>Quantizes in blocks of items spread over the cores: it is part of every model load, cold starts included.</summary>
    public static QuantizedItemFactors Build(float[] itemFactors, int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        if (itemFactors.Length % k != 0)
            throw new ArgumentException($"Item factors length {itemFactors.Length} is not a multiple of {k}.", nameof(itemFactors));
        var q = new QuantizedItemFactors(itemFactors.Length / k, k);
        // Per block: the first item that is not all finite numbers, or -1.
        var bad = new int[Parallelism.BlockCount(q.Items, BuildBlockItems)];
        Parallel.For(0, bad.Length, block =>
        {
            int first = block * BuildBlockItems;
            bad[block] = q.Quantize(itemFactors.AsSpan(first * k, Math.Min(BuildBlockItems, q.Items - first) * k), first);
        });
        if (bad.FirstOrDefault(item => item >= 0, -1) is var item and >= 0)
            throw new ArgumentException($"Item {item} has a factor that is not a finite number.", nameof(itemFactors));
        return q;
    }

    /// <summary>A multiple of <see cref="BlockItems"/>, so no two threads write one interleaved block of codes.</summary>
    private const int BuildBlockItems = 4096;

    /// <returns>The first item whose factors are not all finite numbers (its block stops there), or -1.</returns>
    private int Quantize(ReadOnlySpan<float> rows, int firstItem)
    {
        int padded = _groups * GroupDims;
        Span<float> scaled = stackalloc float[padded];
        Span<sbyte> codes = stackalloc sbyte[padded];
        var target = MemoryMarshal.Cast<sbyte, int>(_codes.AsSpan());
        for (int i = 0; i < rows.Length / K; i++)
        {
            int item = firstItem + i;
            var row = rows.Slice(i * K, K);
            float max = MathF.Abs(TensorPrimitives.MaxMagnitude(row));
            if (!float.IsFinite(max)) return item;
            // A zero row keeps zero codes and scale: its bound is zero and its score exactly 0.
            if (max == 0) continue;
            // |row| / max * 127 stays within [-127, 127], so rounding needs no clamp.
            TensorPrimitives.Multiply(row, 127f / max, scaled);
            TensorPrimitives.Round(scaled[..K], scaled[..K]);
            TensorPrimitives.ConvertTruncating(scaled, codes);
            var groups = MemoryMarshal.Cast<sbyte, int>(codes);
            int block = item / BlockItems * _groups * BlockItems + item % BlockItems;
            for (int g = 0; g < _groups; g++) target[block + g * BlockItems] = groups[g];
            _scales[item] = max / 127f;
            // The rounded values are small integers, so these float sums are exact.
            _codeL1[item] = TensorPrimitives.SumOfMagnitudes(scaled[..K]);
            _codeSums[item] = TensorPrimitives.Sum(scaled[..K]);
        }
        return -1;
    }

    /// <summary>
    /// upper[j] >= item_j . user for every item, within a few quantization steps of it. With
    /// x = s q + e (|e| &lt;= s/2 per entry) for both sides: |x.u - s_x s_u q_x.q_u| &lt;= s_x (s_u |q_x|_1 + |u|_1) / 2.
    /// </summary>
    public void UpperBounds(ReadOnlySpan<float> user, Span<float> upper)
    {
        if (user.Length != K) throw new ArgumentException($"User vector must have {K} entries.", nameof(user));
        if (upper.Length < Items) throw new ArgumentException($"upper needs {Items} entries.", nameof(upper));

        float userMax = MathF.Abs(TensorPrimitives.MaxMagnitude(user));
        float userScale = userMax > 0 ? userMax / 127f : 0f;
        Span<byte> userCodes = stackalloc byte[_groups * GroupDims];
        userCodes.Fill(UserOffset);
        if (userScale > 0)
            for (int d = 0; d < K; d++) userCodes[d] = (byte)(UserOffset + Math.Clamp((int)MathF.Round(user[d] / userScale), -127, 127));
        var userGroups = MemoryMarshal.Cast<byte, uint>(userCodes);
        var kernel = Kernel;
        // The AVX2 kernel multiplies 16-bit values: the user's codes widened, each group of 4 repeated for 4 items.
        Span<short> userWide = stackalloc short[kernel == ScanKernel.Avx2 ? _groups * 16 : 0];
        for (int j = 0; j < userWide.Length; j++) userWide[j] = userCodes[j / 16 * GroupDims + j % GroupDims];

        var terms = new BoundTerms(userScale, TensorPrimitives.SumOfMagnitudes(user) / 2);
        int blocks = _scales.Length / BlockItems, blockBytes = _groups * BlockItems * GroupDims, b = 0;
        ref sbyte codes = ref MemoryMarshal.GetArrayDataReference(_codes);
        if (kernel == ScanKernel.AvxVnni)
        {
            // Four blocks at a time: four independent chains of multiply-adds keep the unit busy, where one
            // block's chain would wait on each add's latency.
            for (; b + 4 <= blocks; b += 4)
            {
                DotsVnni4(ref Unsafe.Add(ref codes, b * blockBytes), blockBytes, userGroups, out var d0, out var d1, out var d2, out var d3);
                Store(upper, b * BlockItems, Bound(d0, b * BlockItems, terms));
                Store(upper, (b + 1) * BlockItems, Bound(d1, (b + 1) * BlockItems, terms));
                Store(upper, (b + 2) * BlockItems, Bound(d2, (b + 2) * BlockItems, terms));
                Store(upper, (b + 3) * BlockItems, Bound(d3, (b + 3) * BlockItems, terms));
            }
        }
        Span<int> scalarDots = stackalloc int[BlockItems];
        for (; b < blocks; b++)
        {
            var block = _codes.AsSpan(b * blockBytes, blockBytes);
            Vector256<int> dots;
            switch (kernel)
            {
                case ScanKernel.AvxVnni: dots = DotsVnni(block, userGroups); break;
                case ScanKernel.Avx2: dots = DotsAvx2(block, userWide); break;
                default: DotsScalar(block, userCodes, scalarDots); dots = Vector256.Create<int>(scalarDots); break;
            }
            Store(upper, b * BlockItems, Bound(dots, b * BlockItems, terms));
        }
    }

    /// <summary>Writes a block's bounds; the last block's padding items have no place in <paramref name="upper"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Store(Span<float> upper, int first, Vector256<float> bounds)
    {
        if (first + BlockItems <= Items) bounds.StoreUnsafe(ref MemoryMarshal.GetReference(upper), (nuint)first);
        else for (int i = 0; first + i < Items; i++) upper[first + i] = bounds[i];
    }

    private static Vector256<int> DotsVnni(ReadOnlySpan<sbyte> codes, ReadOnlySpan<uint> userGroups)
    {
        ref sbyte start = ref MemoryMarshal.GetReference(codes);
        var acc = Vector256<int>.Zero;
        for (int g = 0; g < userGroups.Length; g++)
            acc = AvxVnni.MultiplyWideningAndAdd(acc, Vector256.Create(userGroups[g]).AsByte(),
                Vector256.LoadUnsafe(ref start, (nuint)(g * BlockItems * GroupDims)));
        return acc;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void DotsVnni4(ref sbyte start, int blockBytes, ReadOnlySpan<uint> userGroups,
        out Vector256<int> a0, out Vector256<int> a1, out Vector256<int> a2, out Vector256<int> a3)
    {
        a0 = a1 = a2 = a3 = Vector256<int>.Zero;
        nuint stride = (nuint)blockBytes;
        for (int g = 0; g < userGroups.Length; g++)
        {
            var u = Vector256.Create(userGroups[g]).AsByte();
            nuint offset = (nuint)(g * BlockItems * GroupDims);
            a0 = AvxVnni.MultiplyWideningAndAdd(a0, u, Vector256.LoadUnsafe(ref start, offset));
            a1 = AvxVnni.MultiplyWideningAndAdd(a1, u, Vector256.LoadUnsafe(ref start, offset + stride));
            a2 = AvxVnni.MultiplyWideningAndAdd(a2, u, Vector256.LoadUnsafe(ref start, offset + 2 * stride));
            a3 = AvxVnni.MultiplyWideningAndAdd(a3, u, Vector256.LoadUnsafe(ref start, offset + 3 * stride));
        }
    }

    private static Vector256<int> DotsAvx2(ReadOnlySpan<sbyte> codes, ReadOnlySpan<short> userWide)
    {
        ref sbyte start = ref MemoryMarshal.GetReference(codes);
        ref short user = ref MemoryMarshal.GetReference(userWide);
        // Lanes hold (item, dimension pair) sums: items 0-3 in one accumulator, 4-7 in the other.
        Vector256<int> low = Vector256<int>.Zero, high = Vector256<int>.Zero;
        for (int g = 0; g < userWide.Length / 16; g++)
        {
            var u = Vector256.LoadUnsafe(ref user, (nuint)(g * 16));
            var items = Vector256.LoadUnsafe(ref start, (nuint)(g * BlockItems * GroupDims));
            low += Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(items.GetLower()), u);
            high += Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(items.GetUpper()), u);
        }
        // Pairwise sums within 128-bit halves give items 0 1 4 5 | 2 3 6 7; the permute puts them in order.
        return Avx2.PermuteVar8x32(Avx2.HorizontalAdd(low, high), Vector256.Create(0, 1, 4, 5, 2, 3, 6, 7));
    }

    private static void DotsScalar(ReadOnlySpan<sbyte> codes, ReadOnlySpan<byte> userCodes, Span<int> dots)
    {
        dots.Clear();
        for (int g = 0; g < userCodes.Length / GroupDims; g++)
            for (int i = 0; i < BlockItems; i++)
                for (int t = 0; t < GroupDims; t++)
                    dots[i] += userCodes[g * GroupDims + t] * codes[(g * BlockItems + i) * GroupDims + t];
    }

    /// <summary>The user's side of the bound, computed once per scan.</summary>
    private readonly record struct BoundTerms(float UserScale, float HalfUserL1)
    {
        public float HalfUserScale => UserScale / 2;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Vector256<float> Bound(Vector256<int> dots, int first, BoundTerms terms)
    {
        var scale = Vector256.LoadUnsafe(ref MemoryMarshal.GetArrayDataReference(_scales), (nuint)first);
        var codeSums = Vector256.LoadUnsafe(ref MemoryMarshal.GetArrayDataReference(_codeSums), (nuint)first);
        var codeL1 = Vector256.LoadUnsafe(ref MemoryMarshal.GetArrayDataReference(_codeL1), (nuint)first);
        var dot = Vector256.ConvertToSingle(dots) - codeSums * UserOffset;
        var approx = scale * (dot * terms.UserScale);
        var bound = scale * (codeL1 * terms.HalfUserScale + Vector256.Create(terms.HalfUserL1));
        // The float arithmetic here and in the exact dot product rounds too: a relative margin far above float
        // epsilon keeps the bound a bound.
        return approx + bound * 1.001f + Vector256.Abs(approx) * 1e-4f;
    }

    /// <summary>
    /// The <paramref name="count"/> items with the highest exact float32 score item . user among those
    /// <paramref name="allow"/> accepts, best first, ties broken by lower index: the result of a float32 scan
    /// followed by <see cref="TopK.Select"/>, found by rescoring only items whose upper bound can still place.
    /// Returns how many were written.
    /// </summary>
    public int TopExact(ReadOnlySpan<float> itemFactors, ReadOnlySpan<float> user, int count, Func<int, bool>? allow, Span<int> indices, Span<float> scores)
    {
        if (itemFactors.Length != Items * K) throw new ArgumentException($"Item factors must have {Items} x {K} entries.", nameof(itemFactors));
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (indices.Length < count || scores.Length < count) throw new ArgumentException($"Output spans need room for {count} entries.");
        if (count == 0 || Items == 0) return 0;

        var upper = ArrayPool<float>.Shared.Rent(Items);
        try
        {
            UpperBounds(user, upper);
            int m = Math.Min(Items, count * 2 + 32);
            while (true)
            {
                var candidates = ArrayPool<int>.Shared.Rent(m);
                var candidateUpper = ArrayPool<float>.Shared.Rent(m);
                try
                {
                    int got = TopK.Select(upper.AsSpan(0, Items), m, candidates, candidateUpper);
                    // The best exact scores so far, in a heap with the count-th best at the root.
                    int size = 0, passed = 0;
                    bool settled = got < m || m == Items;
                    for (int j = 0; j < got; j++)
                    {
                        // Candidates come by falling bound: once a bound is below the count-th exact score, neither
                        // this candidate nor any later one (nor any item left out) can place.
                        if (size == count && candidateUpper[j] < scores[0])
                        {
                            settled = true;
                            break;
                        }
                        int item = candidates[j];
                        if (allow is not null && !allow(item)) continue;
                        float score = TensorPrimitives.Dot(itemFactors.Slice(item * K, K), user);
                        // Skipped exactly as TopK.Select skips them after a float32 scan.
                        if (float.IsNaN(score) || float.IsNegativeInfinity(score)) continue;
                        passed++;
                        if (size < count) TopK.SiftUp(indices, scores, size++, item, score);
                        else if (TopK.Worse(scores[0], indices[0], score, item)) TopK.SiftDown(indices, scores, size, item, score);
                    }
                    // Every item not selected has a bound no higher than the last candidate's.
                    settled |= size == count && got > 0 && candidateUpper[got - 1] < scores[0];
                    if (settled)
                    {
                        TopK.SortHeap(indices, scores, size);
                        return size;
                    }
                    // Filters that pass few items need a much wider net: widen by at least the pass rate seen so far.
                    m = (int)Math.Min(Items, Math.Max(4L * m, 2L * m * count / Math.Max(1, passed)));
                }
                finally
                {
                    ArrayPool<int>.Shared.Return(candidates);
                    ArrayPool<float>.Shared.Return(candidateUpper);
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(upper);
        }
    }
}
