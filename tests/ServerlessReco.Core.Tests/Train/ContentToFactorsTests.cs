using System.Numerics.Tensors;
using ServerlessReco.Train;

namespace ServerlessReco.Tests.Train;

public class ContentToFactorsTests
{
    private const int D = 16;
    private const int K = 8;

    [Fact]
    public void Recovers_a_planted_linear_map_for_cold_items()
    {
        var random = new Random(1);
        int items = 400, warmCount = 300;
        float[] embeddings = Gaussian(random, items * D);
        float[] planted = Gaussian(random, D * K);
        float[] truth = Multiply(embeddings, items, planted);
        float[] factors = (float[])truth.Clone();
        factors.AsSpan(warmCount * K).Clear();
        bool[] warm = Enumerable.Range(0, items).Select(i => i < warmCount).ToArray();

        var report = ContentToFactors.FillColdItems(factors, K, embeddings, D, warm, Enumerable.Repeat(true, items).ToArray());

        Assert.Equal(items - warmCount, report.FilledItems);
        Assert.Equal(warmCount, report.FittedItems);
        Assert.Equal(60, report.ValidationItems);
        Assert.True(report.ValidationRelativeError < 1e-4, $"relative error {report.ValidationRelativeError}");
        Assert.True(report.ValidationCosine > 0.9999, $"cosine {report.ValidationCosine}");
        for (int i = warmCount; i < items; i++)
        {
            ReadOnlySpan<float> expected = truth.AsSpan(i * K, K), actual = factors.AsSpan(i * K, K);
            Assert.True(TensorPrimitives.Distance(expected, actual) < 0.01f * TensorPrimitives.Norm(expected), $"item {i}");
        }
    }

    [Fact]
    public void Lambda_is_small_for_a_clean_map_and_large_when_text_says_nothing_about_factors()
    {
        var random = new Random(2);
        int items = 200;
        float[] embeddings = Gaussian(random, items * D);
        bool[] all = Enumerable.Repeat(true, items).ToArray();
        bool[] warm = Enumerable.Range(0, items).Select(i => i < 150).ToArray();

        float[] clean = Multiply(embeddings, items, Gaussian(random, D * K));
        float[] noise = Gaussian(random, items * K);
        // Slight noise on the map: the best penalty is small but the error is no longer exactly zero.
        for (int i = 0; i < clean.Length; i++) clean[i] += 0.01f * noise[i];
        var cleanReport = ContentToFactors.FillColdItems(clean, K, embeddings, D, warm, all);

        float[] unrelated = Gaussian(random, items * K);
        var unrelatedReport = ContentToFactors.FillColdItems(unrelated, K, embeddings, D, warm, all);

        Assert.True(cleanReport.Lambda <= 1f, $"clean map chose lambda {cleanReport.Lambda}");
        Assert.True(unrelatedReport.Lambda >= 10f, $"unrelated factors chose lambda {unrelatedReport.Lambda}");
        Assert.True(unrelatedReport.ValidationRelativeError > 0.9, $"unrelated error {unrelatedReport.ValidationRelativeError}");
        Assert.Contains(cleanReport.Lambda, ContentToFactors.LambdaGrid);
        Assert.Contains(unrelatedReport.Lambda, ContentToFactors.LambdaGrid);
    }

    [Fact]
    public void Items_with_interactions_and_items_without_text_are_untouched()
    {
        var random = new Random(3);
        int items = 60;
        float[] embeddings = Gaussian(random, items * D);
        float[] factors = Gaussian(random, items * K);
        bool[] warm = Enumerable.Range(0, items).Select(i => i % 3 != 0).ToArray();
        bool[] hasText = Enumerable.Range(0, items).Select(i => i % 9 != 0).ToArray();
        for (int i = 0; i < items; i++)
        {
            if (!warm[i]) factors.AsSpan(i * K, K).Clear();
            if (!hasText[i]) embeddings.AsSpan(i * D, D).Clear();
        }
        float[] before = (float[])factors.Clone();

        var report = ContentToFactors.FillColdItems(factors, K, embeddings, D, warm, hasText);

        for (int i = 0; i < items; i++)
        {
            bool filled = !warm[i] && hasText[i];
            bool same = factors.AsSpan(i * K, K).SequenceEqual(before.AsSpan(i * K, K));
            Assert.True(filled != same, $"item {i}: warm {warm[i]}, text {hasText[i]}, changed {!same}");
        }
        Assert.Equal(Enumerable.Range(0, items).Count(i => !warm[i] && hasText[i]), report.FilledItems);
        Assert.Equal(Enumerable.Range(0, items).Count(i => warm[i] && hasText[i]), report.FittedItems);
    }

    [Fact]
    public void Too_few_warm_items_with_text_is_refused()
    {
        float[] embeddings = new float[10 * D];
        float[] factors = new float[10 * K];
        bool[] warm = Enumerable.Range(0, 10).Select(i => i < 4).ToArray();

        var ex = Assert.Throws<ArgumentException>(() =>
            ContentToFactors.FillColdItems(factors, K, embeddings, D, warm, Enumerable.Repeat(true, 10).ToArray()));
        Assert.Contains("at least 5", ex.Message);
    }

    private static float[] Gaussian(Random random, int count)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
            values[i] = (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
        return values;
    }

    private static float[] Multiply(float[] embeddings, int items, float[] map)
    {
        var result = new float[items * K];
        for (int n = 0; n < items; n++)
            for (int i = 0; i < D; i++)
                for (int j = 0; j < K; j++)
                    result[n * K + j] += embeddings[n * D + i] * map[i * K + j];
        return result;
    }
}
