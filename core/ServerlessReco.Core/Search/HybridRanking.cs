using System.Text.Json.Serialization;

namespace ServerlessReco.Search;

/// <summary>Which retrieval found an item: the words (BM25 with typo tolerance), the meaning (the encoder), or both.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Matched>))]
public enum Matched
{
    [JsonStringEnumMemberName("lexical")] Lexical = 1,
    [JsonStringEnumMemberName("semantic")] Semantic = 2,
    [JsonStringEnumMemberName("both")] Both = Lexical | Semantic,
}

/// <summary>Rows of the index, best first, with their fused scores and which lists they came from.</summary>
public sealed record FusedRanking(int[] Rows, float[] Scores, Matched[] Matched);

/// <summary>The pure parts of hybrid search: how many typos a word may carry, and how ranked lists are merged.</summary>
public static class HybridRanking
{
    /// <summary>
    /// Reciprocal-rank fusion's constant (Cormack, Clarke and Buettcher 2009): a list's first item adds 1/(k+1).
    /// 60 keeps the top of each list from dominating while a place still counts; BM25 scores and cosines are on
    /// different scales, so ranks are fused, not scores.
    /// </summary>
    public const int FusionK = 60;

    /// <summary>
    /// Edits a fuzzy term may be away from an index term, by the analysed term's length: none up to 2 characters
    /// (a typo there is another word), one up to 5, two from 6 (Lucene's maximum). Stemming shortens the indexed
    /// form while a typo keeps the query word long ("hangng" vs "hang"), which is where the second edit is used.
    /// </summary>
    public static int MaxEdits(int termLength) => termLength switch
    {
        <= 2 => 0,
        <= 5 => 1,
        _ => 2,
    };

    /// <summary>
    /// Optimal string alignment distance (Levenshtein plus swaps of neighbours, the edits typing makes), or
    /// <paramref name="limit"/> + 1 as soon as it is certain to exceed <paramref name="limit"/>.
    /// </summary>
    public static int EditDistance(ReadOnlySpan<char> a, ReadOnlySpan<char> b, int limit)
    {
        if (Math.Abs(a.Length - b.Length) > limit) return limit + 1;
        var before = new int[b.Length + 1];
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) previous[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            int best = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                int d = Math.Min(Math.Min(previous[j] + 1, current[j - 1] + 1), previous[j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d = Math.Min(d, before[j - 2] + 1);
                current[j] = d;
                best = Math.Min(best, d);
            }
            if (best > limit) return limit + 1;
            (before, previous, current) = (previous, current, before);
        }
        return Math.Min(previous[b.Length], limit + 1);
    }

    /// <summary>
    /// Each word of <paramref name="query"/> that is not in <paramref name="vocabulary"/> (lower-case words with
    /// their document frequencies) replaced by the vocabulary word nearest to it within <see cref="MaxEdits"/>,
    /// the more frequent one on a tie; words with no such neighbour stay. The encoder cuts a misspelt word into
    /// unrelated word pieces, so semantic retrieval embeds the corrected query.
    /// </summary>
    public static string Correct(string query, IReadOnlyDictionary<string, int> vocabulary)
    {
        var words = query.ToLowerInvariant().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        for (int w = 0; w < words.Length; w++)
        {
            var word = words[w];
            int limit = MaxEdits(word.Length);
            if (limit == 0 || vocabulary.ContainsKey(word)) continue;
            string? best = null;
            int bestDistance = limit + 1, bestFrequency = 0;
            foreach (var (candidate, frequency) in vocabulary)
            {
                int d = EditDistance(word, candidate, Math.Min(limit, bestDistance));
                if (d < bestDistance || (d == bestDistance && d <= limit && (frequency > bestFrequency || (frequency == bestFrequency && string.CompareOrdinal(candidate, best) < 0))))
                    (best, bestDistance, bestFrequency) = (candidate, d, frequency);
            }
            if (best is not null && bestDistance <= limit) words[w] = best;
        }
        return string.Join(' ', words);
    }

    /// <summary>
    /// Reciprocal-rank fusion of a lexical and a semantic list (rows best first, either may be empty): each row
    /// scores the sum of 1/(<see cref="FusionK"/> + rank) over the lists that hold it. The best
    /// <paramref name="count"/> rows, ties broken by the lexical rank, then the row.
    /// </summary>
    public static FusedRanking Fuse(ReadOnlySpan<int> lexical, ReadOnlySpan<int> semantic, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var fused = new Dictionary<int, (float Score, Matched From, int LexicalRank)>(lexical.Length + semantic.Length);
        for (int r = 0; r < lexical.Length; r++)
            if (!fused.ContainsKey(lexical[r])) fused[lexical[r]] = (1f / (FusionK + r + 1), Matched.Lexical, r);
        for (int r = 0; r < semantic.Length; r++)
        {
            float add = 1f / (FusionK + r + 1);
            if (fused.TryGetValue(semantic[r], out var hit))
            {
                if ((hit.From & Matched.Semantic) == 0) fused[semantic[r]] = (hit.Score + add, hit.From | Matched.Semantic, hit.LexicalRank);
            }
            else fused[semantic[r]] = (add, Matched.Semantic, int.MaxValue);
        }
        var order = fused.OrderByDescending(p => p.Value.Score).ThenBy(p => p.Value.LexicalRank).ThenBy(p => p.Key).Take(count).ToArray();
        return new FusedRanking([.. order.Select(p => p.Key)], [.. order.Select(p => p.Value.Score)], [.. order.Select(p => p.Value.From)]);
    }

    /// <summary>
    /// A search list re-ranked for a shopper: its relevance scores and the shopper's affinity to its items, each
    /// standardized over the list (z-scores, as the ALS + sequence blend does), added with the affinity weighted
    /// by <paramref name="shopperWeight"/>, so that among similarly relevant items the shopper's taste decides
    /// while a much better match stays ahead. NaN affinity (an item the shopper's model does not know) counts as
    /// the list's average. Returns positions in the list, new order first; ties keep the search order.
    /// </summary>
    public static int[] Personalize(ReadOnlySpan<float> relevance, ReadOnlySpan<float> affinity, float shopperWeight)
    {
        if (relevance.Length != affinity.Length) throw new ArgumentException("One affinity per search result.", nameof(affinity));
        int n = relevance.Length;
        var known = new List<float>(n);
        foreach (var a in affinity)
            if (!float.IsNaN(a)) known.Add(a);
        float neutral = known.Count == 0 ? 0 : known.Average();
        var taste = new float[n];
        for (int i = 0; i < n; i++) taste[i] = float.IsNaN(affinity[i]) ? neutral : affinity[i];
        var score = relevance.ToArray();
        Rank.BlendScorer.Standardize(score);
        Rank.BlendScorer.Standardize(taste);
        for (int i = 0; i < n; i++) score[i] += shopperWeight * taste[i];
        return [.. Enumerable.Range(0, n).OrderByDescending(i => score[i]).ThenBy(i => i)];
    }
}
