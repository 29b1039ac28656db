using ServerlessReco.Publish;

namespace ServerlessReco.Tests.Publish;

public class NpyTests
{
    [Fact]
    public void Round_trips_a_matrix_with_a_64_byte_aligned_header()
    {
        var values = Enumerable.Range(0, 12).Select(i => i * 0.5f - 1).ToArray();
        var bytes = Npy.Write(values, 3, 4);
        Assert.Equal(0, (bytes.Length - values.Length * 4) % 64);
        var (read, rows, cols) = Npy.Read(bytes);
        Assert.Equal((3, 4), (rows, cols));
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
    public void Int32_vectors_round_trip_and_are_not_read_as_floats()
    {
        int[] values = [0, 3, 3, 7, int.MaxValue];
        var bytes = Npy.WriteInt32(values);
        Assert.Equal(values, Npy.ReadInt32(bytes));
        Assert.Contains("float32", Assert.Throws<InvalidDataException>(() => Npy.Read(bytes)).Message);
        Assert.Contains("int32", Assert.Throws<InvalidDataException>(() => Npy.ReadInt32(Npy.Write([1f], 1, 1))).Message);
    }

    [Fact]
    public void Truncated_or_foreign_files_are_refused_with_a_reason()
    {
        var bytes = Npy.Write(new float[6], 2, 3);
        Assert.Contains("needs 24 bytes", Assert.Throws<InvalidDataException>(() => Npy.Read(bytes.AsSpan(0, bytes.Length - 4))).Message);
        Assert.Contains("magic", Assert.Throws<InvalidDataException>(() => Npy.Read("not numpy at all"u8)).Message);
        var doubles = (byte[])bytes.Clone();
        System.Text.Encoding.ASCII.GetBytes("<f8").CopyTo(doubles, 21);
        Assert.Contains("float32", Assert.Throws<InvalidDataException>(() => Npy.Read(doubles)).Message);
    }
}
