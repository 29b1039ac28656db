using ServerlessReco.Train;

namespace ServerlessReco.Tests.Train;

public class CsrMatrixTests
{
    [Fact]
    public void FromCoordinatesSumsDuplicatesAndSortsColumns()
    {
        var m = CsrMatrix.FromCoordinates(3, 4,
            [2, 0, 0, 2, 0, 2],
            [1, 3, 1, 1, 3, 0],
            [1f, 2f, 3f, 4f, 5f, 6f]);

        Assert.Equal([0, 2, 2, 4], m.RowPointers);
        Assert.Equal([1, 3], m.RowIndices(0).ToArray());
        Assert.Equal([3f, 7f], m.RowValues(0).ToArray());
        Assert.Equal(0, m.RowLength(1));
        Assert.Equal([0, 1], m.RowIndices(2).ToArray());
        Assert.Equal([6f, 5f], m.RowValues(2).ToArray());
    }

    [Fact]
    public void TransposeTwiceIsTheOriginal()
    {
        var m = TestData.RandomMatrix(37, 23, 0.2, seed: 5);
        var t = m.Transpose();
        var back = t.Transpose();

        Assert.Equal((23, 37), (t.Rows, t.Cols));
        Assert.Equal(m.RowPointers, back.RowPointers);
        Assert.Equal(m.ColumnIndices, back.ColumnIndices);
        Assert.Equal(m.Values, back.Values);
    }

    [Fact]
    public void TransposeMovesEachEntry()
    {
        var m = TestData.RandomMatrix(11, 9, 0.4, seed: 6);
        var t = m.Transpose();
        for (int r = 0; r < m.Rows; r++)
        {
            var cols = m.RowIndices(r);
            var vals = m.RowValues(r);
            for (int n = 0; n < cols.Length; n++)
            {
                int at = t.RowIndices(cols[n]).IndexOf(r);
                Assert.True(at >= 0);
                Assert.Equal(vals[n], t.RowValues(cols[n])[at]);
            }
        }
        Assert.Equal(m.NonZeros, t.NonZeros);
    }
}
