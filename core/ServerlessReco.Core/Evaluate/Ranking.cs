namespace ServerlessReco.Evaluate;

/// <summary>
/// Top-k selection shared by the evaluator and item-kNN. Order is score descending with ties going
/// to the lower index, so rankings never depend on thread scheduling or iteration order.
/// </summary>
internal static class Ranking
{
    /// <summary>
    /// Fills <paramref name="result"/> (its length is k) with the best items of the whole
    /// <paramref name="scores"/> span, best first; returns how many were written. -inf and NaN are
    /// never selected: -inf is how excluded items are marked, and NaN has no place in an order.
    /// </summary>
    public static int TopIndices(ReadOnlySpan<float> scores, Span<int> result)
    {
        int count = 0;
        for (int i = 0; i < scores.Length; i++) Offer(scores, result, ref count, i);
        return SortHeap(scores, result, count);
    }

    /// <summary>As the dense overload, but only the indices listed in <paramref name="candidates"/> compete.</summary>
    public static int TopIndices(ReadOnlySpan<float> scores, ReadOnlySpan<int> candidates, Span<int> result)
    {
        int count = 0;
        foreach (int i in candidates) Offer(scores, result, ref count, i);
        return SortHeap(scores, result, count);
    }

    // heap[0..count) is a heap whose root is the worst item kept so far, so a candidate only has
    // to beat the root to get in: O(n log k) with k slots of memory.
    private static void Offer(ReadOnlySpan<float> scores, Span<int> heap, ref int count, int item)
    {
        if (!(scores[item] > float.NegativeInfinity)) return;
        if (count < heap.Length)
        {
            heap[count] = item;
            SiftUp(scores, heap, count++);
        }
        else if (count > 0 && Better(scores, item, heap[0]))
        {
            heap[0] = item;
            SiftDown(scores, heap, 0, count);
        }
    }

    // Heapsort with a worst-at-root heap moves the worst item to the back each step, which leaves
    // the slots best first.
    private static int SortHeap(ReadOnlySpan<float> scores, Span<int> heap, int count)
    {
        for (int end = count - 1; end > 0; end--)
        {
            (heap[0], heap[end]) = (heap[end], heap[0]);
            SiftDown(scores, heap, 0, end);
        }
        return count;
    }

    private static bool Better(ReadOnlySpan<float> scores, int a, int b)
        => scores[a] > scores[b] || (scores[a] == scores[b] && a < b);

    private static void SiftUp(ReadOnlySpan<float> scores, Span<int> heap, int at)
    {
        while (at > 0)
        {
            int parent = (at - 1) >> 1;
            if (!Better(scores, heap[parent], heap[at])) break;
            (heap[parent], heap[at]) = (heap[at], heap[parent]);
            at = parent;
        }
    }

    private static void SiftDown(ReadOnlySpan<float> scores, Span<int> heap, int at, int count)
    {
        while (true)
        {
            int worst = at, left = 2 * at + 1, right = left + 1;
            if (left < count && Better(scores, heap[worst], heap[left])) worst = left;
            if (right < count && Better(scores, heap[worst], heap[right])) worst = right;
            if (worst == at) return;
            (heap[worst], heap[at]) = (heap[at], heap[worst]);
            at = worst;
        }
    }
}
