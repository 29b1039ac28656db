using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ServerlessReco.Rank;

/// <summary>Allocation-free top-k selection over a score vector, for serving and evaluation.</summary>
public static class TopK
{
    /// <summary>
    /// Writes the indices and scores of the k highest scores, best first, ties broken by lower index.
    /// NaN and negative infinity are skipped, so callers exclude items (already seen, filtered) by
    /// setting their score to <see cref="float.NegativeInfinity"/>. Returns how many were written, at
    /// most k. O(n log k) with a min-heap kept in the output spans themselves.
    /// </summary>
    public static int Select(ReadOnlySpan<float> scores, int k, Span<int> indices, Span<float> topScores)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        if (indices.Length < k || topScores.Length < k)
            throw new ArgumentException($"Output spans need room for {k} entries.");

        int count = 0, i = 0;
        for (; i < scores.Length && count < k; i++)
        {
            float s = scores[i];
            if (float.IsNaN(s) || float.IsNegativeInfinity(s)) continue;
            SiftUp(indices, topScores, count, i, s);
            count++;
        }
        if (k == 0) return 0;

        // Once the heap is full almost nothing beats its root: test a vector of scores at a time against it.
        // Indices arrive in increasing order, so an equal score never beats the heap's (lower) index.
        ref float first = ref MemoryMarshal.GetReference(scores);
        for (; i + Vector256<float>.Count <= scores.Length; i += Vector256<float>.Count)
        {
            if (!Vector256.GreaterThanAny(Vector256.LoadUnsafe(ref first, (nuint)i), Vector256.Create(topScores[0]))) continue;
            for (int j = i; j < i + Vector256<float>.Count; j++)
                if (scores[j] > topScores[0]) SiftDown(indices, topScores, count, j, scores[j]);
        }
        for (; i < scores.Length; i++)
            if (scores[i] > topScores[0]) SiftDown(indices, topScores, count, i, scores[i]);

        SortHeap(indices, topScores, count);
        return count;
    }

    /// <summary>
    /// As <see cref="Select"/>, but only the items listed in <paramref name="candidates"/> compete (in any order,
    /// each at most once): item-kNN ranks the few items that share a user with the query item.
    /// </summary>
    public static int SelectAmong(ReadOnlySpan<float> scores, ReadOnlySpan<int> candidates, int k, Span<int> indices, Span<float> topScores)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        if (indices.Length < k || topScores.Length < k)
            throw new ArgumentException($"Output spans need room for {k} entries.");
        int count = 0;
        foreach (int i in candidates)
        {
            float s = scores[i];
            if (float.IsNaN(s) || float.IsNegativeInfinity(s)) continue;
            if (count < k) SiftUp(indices, topScores, count++, i, s);
            else if (k > 0 && Worse(topScores[0], indices[0], s, i)) SiftDown(indices, topScores, count, i, s);
        }
        SortHeap(indices, topScores, count);
        return count;
    }

    /// <summary>Turns a heap of <paramref name="count"/> entries (worst at the root) into a list sorted best first.</summary>
    internal static void SortHeap(Span<int> indices, Span<float> scores, int count)
    {
        // Popping the worst into the freed tail slot leaves the spans sorted best first.
        for (int size = count; size > 1; size--)
        {
            int worstIndex = indices[0];
            float worstScore = scores[0];
            SiftDown(indices, scores, size - 1, indices[size - 1], scores[size - 1]);
            indices[size - 1] = worstIndex;
            scores[size - 1] = worstScore;
        }
    }

    // Heap order puts the worst entry at the root: lower score, or on equal scores the higher index.
    internal static bool Worse(float scoreA, int indexA, float scoreB, int indexB) =>
        scoreA < scoreB || (scoreA == scoreB && indexA > indexB);

    internal static void SiftUp(Span<int> indices, Span<float> scores, int position, int index, float score)
    {
        while (position > 0)
        {
            int parent = (position - 1) >> 1;
            if (!Worse(score, index, scores[parent], indices[parent])) break;
            indices[position] = indices[parent];
            scores[position] = scores[parent];
            position = parent;
        }
        indices[position] = index;
        scores[position] = score;
    }

    /// <summary>Replaces the root of a heap of <paramref name="size"/> entries and restores heap order.</summary>
    internal static void SiftDown(Span<int> indices, Span<float> scores, int size, int index, float score)
    {
        int position = 0;
        while (true)
        {
            int child = 2 * position + 1;
            if (child >= size) break;
            if (child + 1 < size && Worse(scores[child + 1], indices[child + 1], scores[child], indices[child])) child++;
            if (!Worse(scores[child], indices[child], score, index)) break;
            indices[position] = indices[child];
            scores[position] = scores[child];
            position = child;
        }
        indices[position] = index;
        scores[position] = score;
    }
}
