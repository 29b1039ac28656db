using ServerlessReco.Train;

namespace ServerlessReco.Tests.Train;

public class SyntheticInteractionsTests
{
    [Fact]
    public void HasRequestedShapeAndAboutTheTargetNonZeros()
    {
        var m = SyntheticInteractions.Generate(3000, 800, 60_000, seed: 7);

        Assert.Equal(3000, m.Rows);
        Assert.Equal(800, m.Cols);
        Assert.InRange(m.NonZeros, 57_000, 63_000);
        for (int u = 0; u < m.Rows; u++)
        {
            var cols = m.RowIndices(u);
            Assert.True(cols.Length >= 1);
            for (int n = 1; n < cols.Length; n++) Assert.True(cols[n] > cols[n - 1], "columns must be sorted and distinct");
        }
        Assert.All(m.Values, v => Assert.InRange(v, 1f, 5f));
    }

    [Fact]
    public void ItemPopularityIsSkewed()
    {
        var t = SyntheticInteractions.Generate(3000, 800, 60_000, seed: 7).Transpose();
        var counts = Enumerable.Range(0, t.Rows).Select(t.RowLength).OrderByDescending(c => c).ToArray();
        // Zipf with exponent 1 gives the top 1% of items several times their 1% share of the data.
        Assert.True(counts.Take(8).Sum() > 0.05 * t.NonZeros);
        Assert.True(counts[0] > 20 * counts[400]);
    }

    [Fact]
    public void SameSeedSameMatrixOtherSeedOtherMatrix()
    {
        var a = SyntheticInteractions.Generate(1500, 400, 20_000, seed: 3);
        var b = SyntheticInteractions.Generate(1500, 400, 20_000, seed: 3);
        var c = SyntheticInteractions.Generate(1500, 400, 20_000, seed: 4);

        Assert.Equal(a.RowPointers, b.RowPointers);
        Assert.Equal(a.ColumnIndices, b.ColumnIndices);
        Assert.Equal(a.Values, b.Values);
        Assert.NotEqual(a.ColumnIndices, c.ColumnIndices);
    }
}
