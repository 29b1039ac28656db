using ServerlessReco.Search;

namespace ServerlessReco.Tests.Search;

public class HybridRankingTests
{
    [Theory]
    [InlineData(1, 0)]
    [InlineData(2, 0)]
    [InlineData(3, 1)]
    [InlineData(5, 1)]
    [InlineData(6, 2)]
    [InlineData(20, 2)]
    public void Longer_words_may_carry_more_typos(int length, int edits) => Assert.Equal(edits, HybridRanking.MaxEdits(length));

    [Theory]
    [InlineData("holder", "holder", 0)]
    [InlineData("holdr", "holder", 1)]
    [InlineData("hodler", "holder", 1)]
    [InlineData("hloder", "holder", 1)]
    [InlineData("xholder", "holder", 1)]
    [InlineData("hangng", "hanging", 1)]
    [InlineData("heart", "hear", 1)]
    [InlineData("lantern", "lamp", 3)]
    public void Edit_distance_counts_substitutions_insertions_deletions_and_swaps(string a, string b, int expected) =>
        Assert.Equal(expected, HybridRanking.EditDistance(a, b, limit: 2) is var d && d > 2 ? 3 : d);

    [Fact]
    public void Correction_replaces_only_unknown_words_by_their_nearest_most_frequent_neighbour()
    {
        var vocabulary = new Dictionary<string, int> { ["hanging"] = 5, ["heart"] = 9, ["hear"] = 1, ["holder"] = 4, ["of"] = 3, ["t"] = 2 };

        Assert.Equal("hanging heart holder", HybridRanking.Correct("HANGNG HAERT holdr", vocabulary));
        // Known words stay, words too short to carry a typo stay, words with no neighbour in reach stay.
        Assert.Equal("hear of xylophone", HybridRanking.Correct("hear of xylophone", vocabulary));
        // Equally near: the word more items hold ("heart" 9 over "hear" 1 for "heat").
        Assert.Equal("heart", HybridRanking.Correct("heat", vocabulary));
    }

    [Fact]
    public void Fusion_ranks_an_item_in_both_lists_above_items_in_one_and_says_where_each_came_from()
    {
        // 7 is second lexically and second semantically; 1 and 9 each top one list only.
        var fused = HybridRanking.Fuse([1, 7, 3], [9, 7, 4], count: 10);

        Assert.Equal(7, fused.Rows[0]);
        Assert.Equal(Matched.Both, fused.Matched[0]);
        Assert.Equal(2f / (HybridRanking.FusionK + 2), fused.Scores[0], 6);
        // Equal fused scores: the lexical list's order breaks the tie.
        Assert.Equal([7, 1, 9, 3, 4], fused.Rows);
        Assert.Equal([Matched.Both, Matched.Lexical, Matched.Semantic, Matched.Lexical, Matched.Semantic], fused.Matched);
    }

    [Fact]
    public void Fusion_keeps_the_count()
    {
        var fused = HybridRanking.Fuse([1, 2], [3, 4], count: 2);

        Assert.Equal([1, 3], fused.Rows);
        Assert.Equal(1f / (HybridRanking.FusionK + 1), fused.Scores[1], 6);
    }

    [Fact]
    public void Fusion_of_one_empty_list_is_the_other_in_order()
    {
        var fused = HybridRanking.Fuse([], [5, 2, 8], count: 10);

        Assert.Equal([5, 2, 8], fused.Rows);
        Assert.All(fused.Matched, m => Assert.Equal(Matched.Semantic, m));
    }

    [Fact]
    public void Personalizing_lets_the_shopper_decide_between_equally_relevant_items_but_not_against_a_much_better_match()
    {
        // Positions 0-3 are equally relevant, 4 barely; the shopper likes 2 most, then 4; 1 is unknown to the model.
        float[] relevance = [0.5f, 0.5f, 0.5f, 0.5f, 0.1f];
        float[] affinity = [0.1f, float.NaN, 0.9f, 0.0f, 0.8f];

        int[] order = HybridRanking.Personalize(relevance, affinity, shopperWeight: 0.5f);

        Assert.Equal(2, order[0]);
        // 1 counts as average taste, so it passes 0 and 3, whom the shopper likes less than average.
        Assert.Equal([2, 1, 0, 3, 4], order);
        // Without shopper weight the search order stays; with a heavy one taste overrides relevance.
        Assert.Equal([0, 1, 2, 3, 4], HybridRanking.Personalize(relevance, affinity, shopperWeight: 0));
        Assert.Equal(4, HybridRanking.Personalize(relevance, affinity, shopperWeight: 10)[1]);
    }
}
