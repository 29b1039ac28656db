using ServerlessReco.Publish;

namespace ServerlessReco.Tests.Publish;

public class NpyTests
{
    private static Task<(T[] Values, int Rows, int Cols)> ReadAsync<T>(byte[] file, long? fileBytes = null) where T : unmanaged =>
        Npy.ReadAsync<T>(new MemoryStream(file), fileBytes ?? file.Length, "m.npy");

    [Fact]
    public async Task Round_trips_a_matrix_with_a_64_byte_aligned_header()
    {
        var values = Enumerable.Range(0, 12).Select(i => i * 0.5f - 1).ToArray();
        var bytes = Npy.Write(values, 3, 4);
        Assert.Equal(0, (bytes.Length - values.Length * 4) % 64);
        var (read, rows, cols) = await ReadAsync<float>(bytes);
        Assert.Equal((3, 4), (rows, cols));
        Assert.Equal(values, read);
    }

    [Fact]
    public async Task A_matrix_larger_than_the_read_buffer_arrives_whole_through_short_reads()
    {
        var values = Enumerable.Range(0, 700_000).Select(i => (float)Math.Sin(i)).ToArray();
        var (read, rows, cols) = await Npy.ReadAsync<float>(new TrickleStream(Npy.Write(values, 70_000, 10)), Npy.Write(values, 70_000, 10).Length, "big.npy");
        Assert.Equal((70_000, 10), (rows, cols));
        Assert.Equal(values, read);
    }

    [Fact]
    public void Header_is_the_one_numpy_writes_for_float32_c_order()
    {
        var bytes = Npy.Write([1f, 2f], 1, 2);
        var header = System.Text.Encoding.ASCII.GetString(bytes, 10, bytes.Length - 18);
        Assert.StartsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), }", header);
        Assert.Equal((byte)'\n', bytes[^9]);
    }

    [Fact]
    public async Task Int32_vectors_round_trip_and_are_not_read_as_floats()
    {
        int[] values = [0, 3, 3, 7, int.MaxValue];
        var bytes = Npy.WriteInt32(values);
        Assert.Equal(values, (await ReadAsync<int>(bytes)).Values);
        Assert.Contains("float32", (await Assert.ThrowsAsync<InvalidDataException>(() => ReadAsync<float>(bytes))).Message);
        Assert.Contains("int32", (await Assert.ThrowsAsync<InvalidDataException>(() => ReadAsync<int>(Npy.Write([1f], 1, 1)))).Message);
    }

    [Fact]
    public async Task Truncated_or_foreign_files_are_refused_with_a_reason()
    {
        var bytes = Npy.Write(new float[6], 2, 3);
        Assert.Contains("needs 24 bytes", (await Assert.ThrowsAsync<InvalidDataException>(() => ReadAsync<float>(bytes[..^4]))).Message);
        Assert.Contains("magic", (await Assert.ThrowsAsync<InvalidDataException>(() => ReadAsync<float>("not numpy at all"u8.ToArray()))).Message);
        var doubles = (byte[])bytes.Clone();
        System.Text.Encoding.ASCII.GetBytes("<f8").CopyTo(doubles, 21);
        Assert.Contains("float32", (await Assert.ThrowsAsync<InvalidDataException>(() => ReadAsync<float>(doubles))).Message);
    }

    [Fact]
    public async Task A_stream_shorter_or_longer_than_the_size_it_should_have_is_refused_before_or_after_the_body()
    {
        var bytes = Npy.Write(new float[6], 2, 3);
        // The download ended early: the stream runs out before the size the manifest gives.
        var shortRead = await Assert.ThrowsAsync<InvalidDataException>(() => ReadAsync<float>(bytes[..^4], bytes.Length));
        Assert.Contains($"ends after {bytes.Length - 4} of its {bytes.Length} bytes", shortRead.Message);
        // More data follows a complete matrix.
        var longer = await Assert.ThrowsAsync<InvalidDataException>(() => ReadAsync<float>([.. bytes, 0, 0, 0, 0], bytes.Length));
        Assert.Contains("goes on past", longer.Message);
        // A header whose shape does not fit the file is refused before anything that large is allocated.
        var huge = Npy.Write(new float[6], 2, 3);
        System.Text.Encoding.ASCII.GetBytes("(2000000, 3)").CopyTo(huge, 10 + "{'descr': '<f4', 'fortran_order': False, 'shape': ".Length);
        Assert.Contains("shape", (await Assert.ThrowsAsync<InvalidDataException>(() => ReadAsync<float>(huge))).Message);
    }

    /// <summary>Hands out at most 1,000 bytes a read, as a network stream may.</summary>
    private sealed class TrickleStream(byte[] data) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, 1000)], cancellationToken);
    }
}
