using ServerlessReco.Sequence;

namespace ServerlessReco.Tests.Sequence;

public class SequenceGradientTests
{
    private static readonly SequenceOptions Tiny = new()
    {
        Hidden = 4, Heads = 2, Blocks = 2, MaxLength = 5, Dropout = 0.3f, Threads = 2, Seed = 7,
    };

    // Lengths 2..MaxLength+1, so every position, both heads and the longest causal window are exercised.
    private static readonly int[][] Batch = [[0, 3, 5, 1, 6, 2], [4, 2], [6, 1, 0, 3]];

    // Repeats (3, 4 and 1 again) are targets by default and only input with NewItemTargets.
    private static readonly int[][] RepeatingBatch = [[0, 3, 5, 1, 3, 6], [4, 2, 4], [6, 1, 0, 1]];

    [Fact]
    public void EveryTensorsAnalyticGradientMatchesCentralDifferences() => CheckGradients(Tiny, Batch);

    [Fact]
    public void With_new_item_targets_the_gradient_still_matches_and_repeats_are_never_targets()
    {
        CheckGradients(Tiny with { NewItemTargets = true }, RepeatingBatch);
        var layout = new SequenceLayout(items: 7, Tiny);
        var gradient = new double[layout.Size];
        int[][] onlyRepeats = [[2, 5, 2], [1, 1]];
        var masked = new SequenceObjective<double>(SequenceNetwork<double>.Initialize(layout, 1), Tiny with { NewItemTargets = true });
        // [2, 5, 2] still has one new target (5); [1, 1] none.
        Assert.NotEqual(0, masked.LossAndGradient(onlyRepeats, 3, gradient));
        Assert.Equal(0, masked.LossAndGradient([[1, 1]], 3, gradient));
        Assert.All(gradient, g => Assert.Equal(0, g));
        Assert.NotEqual(0, new SequenceObjective<double>(SequenceNetwork<double>.Initialize(layout, 1), Tiny).LossAndGradient([[1, 1]], 3, gradient));
    }

    [Fact]
    public void With_a_sampled_softmax_the_gradient_still_matches() => CheckGradients(Tiny with { SoftmaxNegatives = 3 }, Batch);

    // Three named categories and items without one (the empty name is a category of its own); items 0, 2 and 6
    // share a row, so its gradient sums over several items and positions.
    private static readonly string?[] Categories = ["mug", "bag", "mug", "", "lamp", null, "mug"];

    [Fact]
    public void With_categories_the_category_table_is_a_tensor_and_every_gradient_still_matches()
    {
        var layout = new SequenceLayout(items: 7, Tiny with { Categories = true }, Categories);
        // "" (items 3 and 5, null read as none) < "bag" < "lamp" < "mug".
        Assert.Equal([3, 1, 3, 0, 2, 0, 3], layout.ItemCategory);
        Assert.Equal(("category_embeddings", 4 * Tiny.Hidden), layout.Tensors.Single(t => t.Name == "category_embeddings") is var t ? (t.Name, t.Length) : default);
        Assert.Equal(new SequenceLayout(items: 7, Tiny).Size + 4 * Tiny.Hidden, layout.Size);
        CheckGradients(Tiny with { Categories = true }, Batch, Categories);
        CheckGradients(Tiny with { Categories = true, SoftmaxNegatives = 3 }, Batch, Categories);
    }

    [Fact]
    public void Without_categories_the_layout_ignores_them()
    {
        var layout = new SequenceLayout(items: 7, Tiny, Categories);
        Assert.Equal(new SequenceLayout(items: 7, Tiny).Size, layout.Size);
        Assert.DoesNotContain(layout.Tensors, t => t.Name == "category_embeddings");
        Assert.Throws<ArgumentException>(() => new SequenceLayout(items: 8, Tiny with { Categories = true }, Categories));
    }

    private static void CheckGradients(SequenceOptions options, int[][] batch, IReadOnlyList<string?>? categories = null)
    {
        var layout = new SequenceLayout(items: 7, options, categories);
        var network = SequenceNetwork<double>.Initialize(layout, seed: 3);
        // Non-zero biases and betas so their gradients flow through every path, not only from zero.
        var jitter = new Random(11);
        for (int i = 0; i < network.Weights.Length; i++) network.Weights[i] += 0.1 * (jitter.NextDouble() - 0.5);
        var objective = new SequenceObjective<double>(network, options);
        var analytic = new double[layout.Size];
        objective.LossAndGradient(batch, step: 5, analytic);

        var scratch = new double[layout.Size];
        const double h = 1e-6;
        foreach (var (name, offset, length) in layout.Tensors)
        {
            double diff = 0, normA = 0, normN = 0;
            for (int i = offset; i < offset + length; i++)
            {
                double saved = network.Weights[i];
                network.Weights[i] = saved + h;
                double plus = objective.LossAndGradient(batch, step: 5, scratch);
                network.Weights[i] = saved - h;
                double minus = objective.LossAndGradient(batch, step: 5, scratch);
                network.Weights[i] = saved;
                double numeric = (plus - minus) / (2 * h);
                diff += (numeric - analytic[i]) * (numeric - analytic[i]);
                normA += analytic[i] * analytic[i];
                normN += numeric * numeric;
            }
            Assert.True(normN > 0, $"{name}: the loss does not depend on it, so the check proves nothing");
            double relative = Math.Sqrt(diff) / Math.Max(Math.Sqrt(normA), Math.Sqrt(normN));
            Assert.True(relative <= 1e-4, $"{name}: relative error {relative:E2}");
        }
    }

    [Fact]
    public void TheCheckFailsWhenAGradientIsWrong()
    {
        // Guards the check itself: a gradient off by a small factor must exceed the tolerance.
        var layout = new SequenceLayout(items: 7, Tiny);
        var network = SequenceNetwork<double>.Initialize(layout, seed: 3);
        var objective = new SequenceObjective<double>(network, Tiny);
        var analytic = new double[layout.Size];
        objective.LossAndGradient(Batch, step: 5, analytic);
        var (_, offset, length) = layout.Tensors.Single(t => t.Name == "block1.w1");
        var scratch = new double[layout.Size];
        double diff = 0, norm = 0;
        for (int i = offset; i < offset + length; i++)
        {
            double saved = network.Weights[i];
            network.Weights[i] = saved + 1e-6;
            double plus = objective.LossAndGradient(Batch, step: 5, scratch);
            network.Weights[i] = saved - 1e-6;
            double minus = objective.LossAndGradient(Batch, step: 5, scratch);
            network.Weights[i] = saved;
            double numeric = (plus - minus) / 2e-6;
            double wrong = analytic[i] * 1.001;
            diff += (numeric - wrong) * (numeric - wrong);
            norm += numeric * numeric;
        }
        Assert.True(Math.Sqrt(diff) / Math.Sqrt(norm) > 1e-4);
    }

    [Fact]
    public void SameSeedAndThreadsGiveTheSameGradientBitForBit()
    {
        var layout = new SequenceLayout(items: 7, Tiny with { Hidden = 8 });
        var a = new double[layout.Size];
        var b = new double[layout.Size];
        new SequenceObjective<double>(SequenceNetwork<double>.Initialize(layout, 1), Tiny).LossAndGradient(Batch, 9, a);
        new SequenceObjective<double>(SequenceNetwork<double>.Initialize(layout, 1), Tiny).LossAndGradient(Batch, 9, b);
        Assert.Equal(a, b);
    }
}
