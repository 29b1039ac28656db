using ServerlessReco.Train;

namespace ServerlessReco.Evaluate;

/// <summary>
/// Most-popular recommenders, the floor any learned model has to beat. Popularity is the number of
/// distinct users with a stored entry for the item, not the sum of values: in purchase data a few
/// bulk buyers would otherwise decide what everyone is shown.
/// </summary>
public static class PopularityBaseline
{
    /// <summary>The same ranking for every user: items by number of users in <paramref name="train"/>.</summary>
    public static UserScorer Global(CsrMatrix train)
    {
        var popularity = UserCounts(train);
        return (_, scores) => popularity.CopyTo(scores);
    }

    /// <summary>
    /// Popularity within the user's market, shrunk toward global popularity. For market m with n_m
    /// users who have any interaction, c_m(i) of them with item i, and global share
    /// g(i) = c(i) / N over all N such users, the score is
    /// <c>(c_m(i) + shrinkage * g(i)) / (n_m + shrinkage)</c>: the posterior mean of the share of
    /// market m that takes item i under a Beta prior worth <paramref name="shrinkage"/> users
    /// centred on the global share. A large market is ranked by its own counts; a small or empty
    /// market falls back to the global ranking.
    /// </summary>
    /// <param name="userMarket">Market of each user (one per row of <paramref name="train"/>), in 0 .. markets - 1.</param>
    public static UserScorer PerMarket(CsrMatrix train, ReadOnlySpan<int> userMarket, int markets, float shrinkage)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(markets);
        ArgumentOutOfRangeException.ThrowIfNegative(shrinkage);
        if (userMarket.Length != train.Rows)
            throw new ArgumentException($"userMarket has {userMarket.Length} entries but train has {train.Rows} users.", nameof(userMarket));

        int items = train.Cols;
        var counts = new float[markets * items];
        var marketUsers = new int[markets];
        int activeUsers = 0;
        for (int u = 0; u < train.Rows; u++)
        {
            int m = userMarket[u];
            if ((uint)m >= (uint)markets)
                throw new ArgumentOutOfRangeException(nameof(userMarket), $"user {u} has market {m}, outside 0..{markets - 1}.");
            if (train.RowLength(u) == 0) continue;
            activeUsers++;
            marketUsers[m]++;
            var row = counts.AsSpan(m * items, items);
            foreach (int i in train.RowIndices(u)) row[i]++;
        }

        var global = UserCounts(train);
        for (int m = 0; m < markets; m++)
        {
            var row = counts.AsSpan(m * items, items);
            float denominator = marketUsers[m] + shrinkage;
            for (int i = 0; i < items; i++)
            {
                float globalShare = activeUsers == 0 ? 0 : global[i] / activeUsers;
                // With no users and no shrinkage there is nothing to rank by; all zeros says so.
                row[i] = denominator == 0 ? 0 : (row[i] + shrinkage * globalShare) / denominator;
            }
        }

        var marketOf = userMarket.ToArray();
        return (user, scores) => counts.AsSpan(marketOf[user] * items, items).CopyTo(scores);
    }

    private static float[] UserCounts(CsrMatrix train)
    {
        var counts = new float[train.Cols];
        foreach (int i in train.ColumnIndices) counts[i]++;
        return counts;
    }
}
