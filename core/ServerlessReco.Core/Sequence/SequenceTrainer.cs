using System.Diagnostics;
using System.Numerics.Tensors;

namespace ServerlessReco.Sequence;

/// <summary>One epoch of sequence training, for the job's progress lines.</summary>
public sealed record SequenceEpochReport(int Epoch, double Seconds, float Loss, double ValidationNdcg, bool Best);

/// <summary>The trained weights (those of the best validation epoch) and how training went.</summary>
public sealed record SequenceTrainingResult(float[] Weights, IReadOnlyList<SequenceEpochReport> Epochs, int Examples, int ValidationShoppers)
{
    public SequenceEpochReport Best => Epochs.Where(e => e.Best).Last();
}

/// <summary>
/// Trains the sequence network with Adam on each shopper's last MaxLength + 1 items. Each shopper's newest item is
/// held out as the validation slice (inside the training period, never the test month): after every epoch the
/// model ranks all items for it and training stops once NDCG@10 has not improved for Patience epochs.
/// </summary>
public static class SequenceTrainer
{
    private const int ValidationCutoff = 10;
    // Adam's moment decays as SASRec trains with them.
    private const float Beta1 = 0.9f, Beta2 = 0.98f, AdamEpsilon = 1e-8f;

    /// <param name="sequences">Each shopper's item indices, oldest first.</param>
    /// <param name="itemCategories">Each item's category, read with <see cref="SequenceOptions.Categories"/> (see <see cref="SequenceLayout"/>).</param>
    public static SequenceTrainingResult Train(IReadOnlyList<int[]> sequences, int items, SequenceOptions options,
        Action<SequenceEpochReport>? epochDone = null, CancellationToken ct = default, IReadOnlyList<string?>? itemCategories = null)
    {
        options.Validate();
        var layout = new SequenceLayout(items, options, itemCategories);
        var network = SequenceNetwork<float>.Initialize(layout, options.Seed);
        var objective = new SequenceObjective<float>(network, options);

        var examples = new List<int[]>();
        var validation = new List<(int[] Input, int Target)>();
        foreach (var sequence in sequences)
        {
            // The newest item validates when the shopper has history before it and has not had it before.
            bool validates = sequence.Length >= 3 && Array.IndexOf(sequence, sequence[^1], 0, sequence.Length - 1) < 0;
            var train = validates ? sequence.AsSpan(0, sequence.Length - 1) : sequence.AsSpan();
            if (train.Length >= 2) examples.Add(train[Math.Max(0, train.Length - options.MaxLength - 1)..].ToArray());
            if (validates) validation.Add((train[Math.Max(0, train.Length - options.MaxLength)..].ToArray(), sequence[^1]));
        }
        if (examples.Count == 0) throw new InvalidOperationException("No shopper has two items in sequence: nothing to train the sequence model on.");

        var gradient = new float[layout.Size];
        var first = new float[layout.Size];
        var second = new float[layout.Size];
        var scratch = new float[layout.Size];
        var best = (float[])network.Weights.Clone();
        double bestNdcg = double.NegativeInfinity;
        var reports = new List<SequenceEpochReport>();
        long step = 0;
        var order = Enumerable.Range(0, examples.Count).ToArray();
        var batch = new List<int[]>(options.BatchSize);
        for (int epoch = 1, sinceBest = 0; epoch <= options.MaxEpochs && sinceBest < options.Patience; epoch++)
        {
            var clock = Stopwatch.StartNew();
            var shuffle = SplitMix.For(options.Seed, -epoch, 0);
            for (int i = order.Length - 1; i > 0; i--)
            {
                int j = shuffle.Next(i + 1);
                (order[i], order[j]) = (order[j], order[i]);
            }
            double loss = 0;
            int batches = 0;
            for (int start = 0; start < order.Length; start += options.BatchSize)
            {
                batch.Clear();
                for (int i = start; i < Math.Min(order.Length, start + options.BatchSize); i++) batch.Add(examples[order[i]]);
                loss += objective.LossAndGradient(batch, ++step, gradient, ct);
                batches++;
                AdamStep(network.Weights, gradient, first, second, scratch, options.LearningRate, step);
            }
            double ndcg = validation.Count > 0 ? ValidationNdcg(network, validation, options.Threads, ct) : -loss / batches;
            bool improved = ndcg > bestNdcg;
            if (improved) { bestNdcg = ndcg; network.Weights.CopyTo(best, 0); sinceBest = 0; } else sinceBest++;
            var report = new SequenceEpochReport(epoch, clock.Elapsed.TotalSeconds, (float)(loss / batches), ndcg, improved);
            reports.Add(report);
            epochDone?.Invoke(report);
        }
        return new SequenceTrainingResult(best, reports, examples.Count, validation.Count);
    }

    private static void AdamStep(float[] weights, float[] gradient, float[] first, float[] second, float[] scratch, float learningRate, long step)
    {
        TensorPrimitives.Multiply(first, Beta1, first);
        TensorPrimitives.MultiplyAdd(gradient, 1 - Beta1, first, first);
        TensorPrimitives.Multiply(gradient, gradient, scratch);
        TensorPrimitives.Multiply(second, Beta2, second);
        TensorPrimitives.MultiplyAdd(scratch, 1 - Beta2, second, second);
        // Bias correction folded into the step size: lr * sqrt(1 - b2^t) / (1 - b1^t).
        float stepSize = (float)(learningRate * Math.Sqrt(1 - Math.Pow(Beta2, step)) / (1 - Math.Pow(Beta1, step)));
        TensorPrimitives.Sqrt(second, scratch);
        TensorPrimitives.Add(scratch, AdamEpsilon, scratch);
        TensorPrimitives.Divide(first, scratch, scratch);
        TensorPrimitives.MultiplyAdd(scratch, -stepSize, weights, weights);
    }

    /// <summary>NDCG@10 of each held-out item over all items, the shopper's earlier items excluded.</summary>
    private static double ValidationNdcg(SequenceNetwork<float> network, List<(int[] Input, int Target)> validation, int threads, CancellationToken ct)
    {
        var gains = new double[validation.Count];
        Parallel.For(0, validation.Count, new ParallelOptions { MaxDegreeOfParallelism = threads, CancellationToken = ct }, () => new float[network.Layout.Items],
            (v, _, scores) =>
            {
                var (input, target) = validation[v];
                SequenceEncoder.ScoreAll(network, input, scores);
                float targetScore = scores[target];
                int rank = 0;
                for (int i = 0; i < scores.Length && rank < ValidationCutoff; i++)
                    if (i != target && scores[i] > targetScore && Array.IndexOf(input, i) < 0) rank++;
                gains[v] = rank < ValidationCutoff ? 1 / Math.Log2(rank + 2) : 0;
                return scores;
            }, _ => { });
        return gains.Average();
    }
}
