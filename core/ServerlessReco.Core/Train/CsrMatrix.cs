namespace ServerlessReco.Train;

/// <summary>
/// Compressed sparse row matrix of float32 values: the one sparse layout every training and
/// evaluation step shares (users x items for ALS, its transpose for the item pass).
/// </summary>
public sealed class CsrMatrix
{
    public CsrMatrix(int rows, int cols, int[] rowPointers, int[] columnIndices, float[] values)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(cols);
        if (rowPointers.Length != rows + 1)
            throw new ArgumentException($"rowPointers must have rows + 1 = {rows + 1} entries, got {rowPointers.Length}.", nameof(rowPointers));
        if (columnIndices.Length != values.Length || rowPointers[rows] != values.Length)
            throw new ArgumentException("columnIndices, values and rowPointers[rows] must agree on the number of non-zeros.");
        Rows = rows;
        Cols = cols;
        RowPointers = rowPointers;
        ColumnIndices = columnIndices;
        Values = values;
    }

    public int Rows { get; }
    public int Cols { get; }
    public int[] RowPointers { get; }
    public int[] ColumnIndices { get; }
    public float[] Values { get; }
    public int NonZeros => Values.Length;

    public ReadOnlySpan<int> RowIndices(int row) => ColumnIndices.AsSpan(RowPointers[row], RowPointers[row + 1] - RowPointers[row]);
    public ReadOnlySpan<float> RowValues(int row) => Values.AsSpan(RowPointers[row], RowPointers[row + 1] - RowPointers[row]);
    public int RowLength(int row) => RowPointers[row + 1] - RowPointers[row];

    /// <summary>A 0/1 matrix from coordinate pairs: a pair given more than once is still 1 (relevance, who bought what).</summary>
    public static CsrMatrix Binary(int rows, int cols, ReadOnlySpan<int> rowIndex, ReadOnlySpan<int> colIndex)
    {
        var ones = new float[rowIndex.Length];
        Array.Fill(ones, 1f);
        var matrix = FromCoordinates(rows, cols, rowIndex, colIndex, ones);
        // Repeated pairs were summed.
        Array.Fill(matrix.Values, 1f);
        return matrix;
    }

    /// <summary>Builds a matrix from coordinate triplets; duplicates are summed and columns sorted within a row.</summary>
    public static CsrMatrix FromCoordinates(int rows, int cols, ReadOnlySpan<int> rowIndex, ReadOnlySpan<int> colIndex, ReadOnlySpan<float> value)
    {
        if (rowIndex.Length != colIndex.Length || rowIndex.Length != value.Length)
            throw new ArgumentException("rowIndex, colIndex and value must have the same length.");
        var counts = new int[rows + 1];
        for (int n = 0; n < rowIndex.Length; n++)
        {
            int r = rowIndex[n], c = colIndex[n];
            if ((uint)r >= (uint)rows) throw new ArgumentOutOfRangeException(nameof(rowIndex), $"row {r} outside 0..{rows - 1}");
            if ((uint)c >= (uint)cols) throw new ArgumentOutOfRangeException(nameof(colIndex), $"column {c} outside 0..{cols - 1}");
            counts[r + 1]++;
        }
        for (int r = 0; r < rows; r++) counts[r + 1] += counts[r];

        var next = counts.AsSpan(0, rows).ToArray();
        var cols1 = new int[rowIndex.Length];
        var vals1 = new float[rowIndex.Length];
        for (int n = 0; n < rowIndex.Length; n++)
        {
            int at = next[rowIndex[n]]++;
            cols1[at] = colIndex[n];
            vals1[at] = value[n];
        }

        // Sort each row by column and merge duplicates in place, then compact.
        var pointers = new int[rows + 1];
        int write = 0;
        for (int r = 0; r < rows; r++)
        {
            int start = counts[r], end = counts[r + 1];
            Array.Sort(cols1, vals1, start, end - start);
            pointers[r] = write;
            for (int n = start; n < end; n++)
            {
                if (write > pointers[r] && cols1[write - 1] == cols1[n])
                {
                    vals1[write - 1] += vals1[n];
                }
                else
                {
                    cols1[write] = cols1[n];
                    vals1[write] = vals1[n];
                    write++;
                }
            }
        }
        pointers[rows] = write;
        if (write != cols1.Length)
        {
            Array.Resize(ref cols1, write);
            Array.Resize(ref vals1, write);
        }
        return new CsrMatrix(rows, cols, pointers, cols1, vals1);
    }

    public CsrMatrix Transpose()
    {
        var pointers = new int[Cols + 1];
        foreach (int c in ColumnIndices) pointers[c + 1]++;
        for (int c = 0; c < Cols; c++) pointers[c + 1] += pointers[c];
        var next = pointers.AsSpan(0, Cols).ToArray();
        var rowsOut = new int[NonZeros];
        var valsOut = new float[NonZeros];
        for (int r = 0; r < Rows; r++)
        {
            for (int n = RowPointers[r]; n < RowPointers[r + 1]; n++)
            {
                int at = next[ColumnIndices[n]]++;
                rowsOut[at] = r;
                valsOut[at] = Values[n];
            }
        }
        return new CsrMatrix(Cols, Rows, pointers, rowsOut, valsOut);
    }
}
