using ServerlessReco.Evaluate;
using ServerlessReco.Train;

namespace ServerlessReco.Tests.Evaluate;

public class ContentQualityTests
{
    [Fact]
    public void CoBought_links_items_a_shopper_bought_together_never_an_item_to_itself()
    {
        // Shopper 0: items 0, 1, 2; shopper 1: items 2, 3; item 4 nobody bought.
        var purchases = TestMatrices.FromRows(5, [0, 1, 2], [2, 3]);

        var related = ContentQuality.CoBought(purchases);

        Assert.Equal([1, 2], related.RowIndices(0).ToArray());
        Assert.Equal([0, 2], related.RowIndices(1).ToArray());
        Assert.Equal([0, 1, 3], related.RowIndices(2).ToArray());
        Assert.Equal([2], related.RowIndices(3).ToArray());
        Assert.Equal(0, related.RowLength(4));
        Assert.All(related.Values, v => Assert.Equal(1f, v));
    }

    [Fact]
    public void New_item_popularity_leaves_the_shoppers_own_purchase_out()
    {
        // Item 0: bought by shoppers 0 and 1; item 1: by shopper 0 only; item 2: by shoppers 1 and 2.
        var bought = TestMatrices.FromRows(3, [0, 1], [0, 2], [2]);
        var scorer = ContentQuality.NewItemPopularity(bought);

        Assert.Equal([1f, 0f, 2f], TestMatrices.Scores(scorer, user: 0, items: 3));
        Assert.Equal([1f, 1f, 1f], TestMatrices.Scores(scorer, user: 1, items: 3));
    }

    [Fact]
    public void Random_is_reproducible_per_seed_and_differs_between_shoppers()
    {
        var a = TestMatrices.Scores(ContentQuality.Random(seed: 3), user: 5, items: 50);

        Assert.Equal(a, TestMatrices.Scores(ContentQuality.Random(seed: 3), user: 5, items: 50));
        Assert.NotEqual(a, TestMatrices.Scores(ContentQuality.Random(seed: 3), user: 6, items: 50));
        Assert.NotEqual(a, TestMatrices.Scores(ContentQuality.Random(seed: 4), user: 5, items: 50));
    }

    [Fact]
    public void Random_ranking_of_new_items_scores_near_its_expected_recall()
    {
        // 200 shoppers, 100 new items, one bought each: a random top 10 holds it one time in ten.
        var rows = Enumerable.Range(0, 200).Select(u => new[] { u % 100 }).ToArray();
        var bought = TestMatrices.FromRows(100, rows);
        var nothingOwned = TestMatrices.FromRows(100, new int[200][].Select(_ => Array.Empty<int>()).ToArray());

        var random = Evaluator.Evaluate(nothingOwned, bought, ContentQuality.Random(seed: 1), k: 10, threads: 2);
        var popularity = Evaluator.Evaluate(nothingOwned, bought, ContentQuality.NewItemPopularity(bought), k: 10, threads: 2);

        Assert.InRange(random.Recall, 0.05, 0.15);
        // Every item has the same two buyers, so leaving the shopper out ranks their own item last: never a hit.
        Assert.Equal(0, popularity.Recall);
    }
}
