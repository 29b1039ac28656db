using ServerlessReco.Translate;

namespace ServerlessReco.Tests.Translate;

public sealed class TranslatorBatchPlanTests
{
    [Theory]
    [InlineData(2500, 5, 1, 1000, 50_000, new[] { 1000, 1000, 500 })]
    [InlineData(7, 10, 2, 1000, 50, new[] { 2, 2, 2, 1 })]
    [InlineData(6, 25, 1, 1000, 50, new[] { 2, 2, 2 })]
    [InlineData(0, 1, 1, 1000, 50_000, new int[0])]
    public void PlanBatches_NeverExceedsLimitsAndCoversAllTexts(int count, int length, int targets, int maxElements, int maxCharacters, int[] expectedSizes)
    {
        var texts = Enumerable.Repeat(new string('x', length), count).ToList();

        var plan = TranslatorClient.PlanBatches(texts, targets, maxElements, maxCharacters);

        Assert.Equal(expectedSizes, plan.Select(b => b.Count));
        Assert.Equal(Enumerable.Range(0, count), plan.SelectMany(b => Enumerable.Range(b.Start, b.Count)));
    }

    [Fact]
    public void PlanBatches_TextExactlyAtPerTargetLimit_FitsAlone()
    {
        var plan = TranslatorClient.PlanBatches(["a", new string('x', 25), "b"], 2, 1000, 50);

        Assert.Equal([(0, 1), (1, 1), (2, 1)], plan);
    }
}
