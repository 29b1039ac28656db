using System.Buffers;

namespace ServerlessReco.Rank;

public static class Reranking
{
    /// <summary>
    /// Maximal marginal relevance: repeatedly takes the candidate maximising
    /// lambda * relevance - (1 - lambda) * (highest cosine to anything already taken), relevance being the score
    /// rescaled to [0, 1] over the pool so both terms share a scale. lambda = 1 keeps the score order.
    /// </summary>
    public static List<Candidate> MaximalMarginalRelevance(ServingModel model, List<Candidate> pool, int count, float lambda)
    {
        int p = pool.Count;
        var chosen = new List<Candidate>(Math.Min(count, p));
        if (p == 0) return chosen;
        float max = pool.Max(c => c.Score), min = pool.Min(c => c.Score);
        float range = max > min ? max - min : 1;
        var redundancy = ArrayPool<float>.Shared.Rent(p);
        var taken = ArrayPool<bool>.Shared.Rent(p);
        try
        {
            Array.Fill(redundancy, 0f, 0, p);
            Array.Fill(taken, false, 0, p);
            while (chosen.Count < Math.Min(count, p))
            {
                int best = -1;
                float bestValue = float.NegativeInfinity;
                for (int j = 0; j < p; j++)
                {
                    if (taken[j]) continue;
                    float value = lambda * (pool[j].Score - min) / range - (1 - lambda) * redundancy[j];
                    if (value > bestValue) { bestValue = value; best = j; }
                }
                taken[best] = true;
                chosen.Add(pool[best]);
                for (int j = 0; j < p; j++)
                    if (!taken[j]) redundancy[j] = Math.Max(redundancy[j], model.Cosine(pool[j].Index, pool[best].Index));
            }
            return chosen;
        }
        finally
        {
            ArrayPool<float>.Shared.Return(redundancy);
            ArrayPool<bool>.Shared.Return(taken);
        }
    }

    /// <summary>
    /// Makes sure at least <paramref name="slots"/> items come from categories outside <paramref name="usual"/>,
    /// replacing the lowest-placed usual-category items with the best-scored fresh ones.
    /// </summary>
    public static void GuaranteeFresh(List<Candidate> chosen, IEnumerable<Candidate> candidates, HashSet<string> usual, int slots)
    {
        int have = chosen.Count(c => !usual.Contains(c.Category));
        if (have >= slots) return;
        var taken = chosen.Select(c => c.Index).ToHashSet();
        var fresh = candidates.Where(c => !usual.Contains(c.Category) && taken.Add(c.Index)).OrderByDescending(c => c.Score).Take(slots - have);
        foreach (var candidate in fresh.ToList())
        {
            int replace = chosen.FindLastIndex(c => usual.Contains(c.Category));
            if (replace < 0) break;
            chosen.RemoveAt(replace);
            chosen.Add(candidate);
        }
    }
}
