using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace ServerlessReco.Publish;

/// <summary>
/// NumPy .npy files of float32 matrices (little-endian, C order): what numpy.load reads, and what data teams'
/// tools read, so factor matrices need no custom reader.
/// </summary>
public static class Npy
{
    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    public static byte[] Write(ReadOnlySpan<float> values, int rows, int cols)
    {
        if ((long)rows * cols != values.Length)
            throw new ArgumentException($"A {rows} x {cols} matrix needs {(long)rows * cols} values, got {values.Length}.");
        return Write(MemoryMarshal.AsBytes(values), "<f4", string.Create(CultureInfo.InvariantCulture, $"({rows}, {cols})"));
    }

    /// <summary>A 1-D int32 vector ('&lt;i4'), e.g. the row pointers and column indices of a CSR matrix.</summary>
    public static byte[] WriteInt32(ReadOnlySpan<int> values) =>
        Write(MemoryMarshal.AsBytes(values), "<i4", string.Create(CultureInfo.InvariantCulture, $"({values.Length},)"));

    public static int[] ReadInt32(ReadOnlySpan<byte> file, string nameForErrors = "vector")
    {
        var (start, rows, cols) = ReadBody(file, "<i4", "int32", nameForErrors);
        var body = file[start..];
        if (cols != 1) throw new InvalidDataException($"{nameForErrors}: expected a 1-D vector, got shape ({rows}, {cols}).");
        return MemoryMarshal.Cast<byte, int>(body).ToArray();
    }

    private static byte[] Write(ReadOnlySpan<byte> body, string descr, string shape)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("Big-endian hosts are not supported.");
        var dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}";
        // Magic (6) + version (2) + header length (2) + header, padded with spaces to a multiple of 64 and ended by '\n'.
        int unpadded = 10 + dict.Length + 1;
        int headerLength = dict.Length + 1 + (64 - unpadded % 64) % 64;
        var bytes = new byte[10 + headerLength + body.Length];
        Magic.CopyTo(bytes);
        bytes[6] = 1;
        bytes[7] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)headerLength);
        var header = bytes.AsSpan(10, headerLength);
        header.Fill((byte)' ');
        Encoding.ASCII.GetBytes(dict, header);
        header[^1] = (byte)'\n';
        body.CopyTo(bytes.AsSpan(10 + headerLength));
        return bytes;
    }

    public static (float[] Values, int Rows, int Cols) Read(ReadOnlySpan<byte> file, string nameForErrors = "matrix")
    {
        var (start, rows, cols) = ReadBody(file, "<f4", "float32", nameForErrors);
        return (MemoryMarshal.Cast<byte, float>(file[start..]).ToArray(), rows, cols);
    }

    /// <returns>Where the data starts, and the shape.</returns>
    private static (int Start, int Rows, int Cols) ReadBody(ReadOnlySpan<byte> file, string descr, string typeName, string nameForErrors)
    {
        if (file.Length < 10 || !file[..6].SequenceEqual(Magic))
            throw new InvalidDataException($"{nameForErrors} is not a NumPy .npy file (magic bytes missing).");
        int major = file[6];
        int headerLength, start;
        if (major == 1) { headerLength = BinaryPrimitives.ReadUInt16LittleEndian(file[8..]); start = 10; }
        else if (major is 2 or 3 && file.Length >= 12) { headerLength = checked((int)BinaryPrimitives.ReadUInt32LittleEndian(file[8..])); start = 12; }
        else throw new InvalidDataException($"{nameForErrors}: unsupported .npy version {major}.");
        if (file.Length < start + headerLength) throw new InvalidDataException($"{nameForErrors}: header is truncated.");

        var header = Encoding.ASCII.GetString(file.Slice(start, headerLength));
        if (!header.Contains($"'descr': '{descr}'", StringComparison.Ordinal))
            throw new InvalidDataException($"{nameForErrors}: expected little-endian {typeName} ('{descr}'), header says {header.Trim()}.");
        if (!header.Contains("'fortran_order': False", StringComparison.Ordinal))
            throw new InvalidDataException($"{nameForErrors}: Fortran-ordered arrays are not supported; save with C order.");
        var (rows, cols) = ParseShape(header, nameForErrors);

        var body = file[(start + headerLength)..];
        long expected = (long)rows * cols * 4;
        if (body.Length != expected)
            throw new InvalidDataException($"{nameForErrors}: shape ({rows}, {cols}) needs {expected} bytes of data, file has {body.Length}.");
        return (start + headerLength, rows, cols);
    }

    private static (int Rows, int Cols) ParseShape(string header, string name)
    {
        int at = header.IndexOf("'shape':", StringComparison.Ordinal);
        int open = at < 0 ? -1 : header.IndexOf('(', at);
        int close = open < 0 ? -1 : header.IndexOf(')', open);
        if (close < 0) throw new InvalidDataException($"{name}: header has no shape.");
        var parts = header[(open + 1)..close].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 1 && int.TryParse(parts[0], CultureInfo.InvariantCulture, out int n)) return (n, 1);
        if (parts.Length == 2 && int.TryParse(parts[0], CultureInfo.InvariantCulture, out int r) && int.TryParse(parts[1], CultureInfo.InvariantCulture, out int c) && r >= 0 && c >= 0)
            return (r, c);
        throw new InvalidDataException($"{name}: expected a 1-D or 2-D shape, header says ({header[(open + 1)..close]}).");
    }
}
