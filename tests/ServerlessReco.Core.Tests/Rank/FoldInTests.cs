using ServerlessReco.Rank;
using ServerlessReco.Train;
using ServerlessReco.Tests.Train;

namespace ServerlessReco.Tests.Rank;

public class FoldInTests
{
    private const int K = 8, Items = 40;
    private static readonly float[] ItemFactors = TestData.Gaussian(Items * K, 1f, seed: 7);
    private static readonly float[] Gram = ImplicitAls.Gram(ItemFactors, Items, K, 0.1f);

    [Fact]
    public void Without_events_the_stored_vector_is_kept()
    {
        var prior = TestData.Gaussian(K, 1f, seed: 3);
        var x = new float[K];
        FoldIn.Solve(ItemFactors, K, Gram, prior, [], [], alpha: 10, x);
        for (int i = 0; i < K; i++) Assert.Equal(prior[i], x[i], 1e-3);
    }

    [Fact]
    public void A_zero_prior_is_the_exact_fold_in_of_a_new_user()
    {
        int[] items = [1, 5, 9];
        float[] r = [1f, 0.5f, 0.1f];
        var exact = new float[K];
        var withPrior = new float[K];
        ImplicitAls.SolveUserExact(ItemFactors, K, Gram, items, r, 10, exact);
        FoldIn.Solve(ItemFactors, K, Gram, new float[K], items, r, 10, withPrior);
        for (int i = 0; i < K; i++) Assert.Equal(exact[i], withPrior[i], 1e-3);
    }

    [Fact]
    public void New_events_raise_the_score_of_their_items()
    {
        // A trained vector predicts preferences below 1 (the target); above it, the loss would rightly pull down.
        var prior = TestData.Gaussian(K, 0.05f, seed: 4);
        var x = new float[K];
        FoldIn.Solve(ItemFactors, K, Gram, prior, [12], [1f], alpha: 10, x);
        var item = ItemFactors.AsSpan(12 * K, K);
        Assert.True(TestData.Dot(item, x) > TestData.Dot(item, prior));
    }
}
