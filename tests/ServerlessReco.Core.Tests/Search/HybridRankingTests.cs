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
    public void Fusion_keeps_the_count_and_weights_each_list()
    {
        var fused = HybridRanking.Fuse([1, 2], [3, 4], count: 2, lexicalWeight: 1, semanticWeight: 2);

        Assert.Equal([3, 4], fused.Rows);
        Assert.Equal(2f / (HybridRanking.FusionK + 1), fused.Scores[0], 6);
    }

    [Fact]
    public void Fusion_of_one_empty_list_is_the_other_in_order()
    {
        var fused = HybridRanking.Fuse([], [5, 2, 8], count: 10);

        Assert.Equal([5, 2, 8], fused.Rows);
        Assert.All(fused.Matched, m => Assert.Equal(Matched.Semantic, m));
    }

    [Fact]
    public void Personalizing_fuses_the_search_order_with_the_shoppers_affinity()
    {
        // Search order 0..4; the shopper likes position 3 most, then 4, 2, 0; position 1 is unknown to the model.
        float[] affinity = [0.1f, float.NaN, 0.2f, 0.9f, 0.5f];

        // 0 (search 1st, affinity 4th) ties with 3 (4th, 1st) and keeps its place by search order; 2 (3rd, 3rd)
        // passes 4 (5th, 2nd); 1 has no affinity and drops to the end.
        Assert.Equal([0, 3, 2, 4, 1], HybridRanking.Personalize(affinity, shopperWeight: 1));
        Assert.Equal([3, 4, 2, 0, 1], HybridRanking.Personalize(affinity, shopperWeight: 10));
        Assert.Equal([0, 1, 2, 3, 4], HybridRanking.Personalize(affinity, shopperWeight: 0));
    }
}
