using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.CompilerServices;
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

    /// <summary>
    /// Reads a float32 ('&lt;f4') or int32 ('&lt;i4') .npy from a stream straight into its array, so a model's largest
    /// file never sits in a whole-file buffer as well. <paramref name="fileBytes"/> is the size the file must have
    /// (the manifest's): the header's shape is checked against it before the array is allocated, and the stream
    /// must end exactly there. A 1-D vector reads as (n, 1).
    /// </summary>
    public static async Task<(T[] Values, int Rows, int Cols)> ReadAsync<T>(Stream stream, long fileBytes, string nameForErrors, CancellationToken ct = default)
        where T : unmanaged
    {
        var (descr, typeName) = typeof(T) == typeof(float) ? ("<f4", "float32")
            : typeof(T) == typeof(int) ? ("<i4", "int32")
            : throw new NotSupportedException($"Npy reads float32 and int32 arrays, not {typeof(T).Name}.");
        // Magic (6), version (2) and the header length: 2 bytes in version 1, 4 in versions 2 and 3.
        var preamble = new byte[12];
        await ReadHeaderAsync(stream, preamble.AsMemory(0, 10), fileBytes, 0, nameForErrors, ct).ConfigureAwait(false);
        if (!preamble.AsSpan(0, 6).SequenceEqual(Magic))
            throw new InvalidDataException($"{nameForErrors} is not a NumPy .npy file (magic bytes missing).");
        int major = preamble[6];
        long headerLength, start;
        if (major == 1) { headerLength = BinaryPrimitives.ReadUInt16LittleEndian(preamble.AsSpan(8)); start = 10; }
        else if (major is 2 or 3)
        {
            await ReadHeaderAsync(stream, preamble.AsMemory(10, 2), fileBytes, 10, nameForErrors, ct).ConfigureAwait(false);
            headerLength = BinaryPrimitives.ReadUInt32LittleEndian(preamble.AsSpan(8));
            start = 12;
        }
        else throw new InvalidDataException($"{nameForErrors}: unsupported .npy version {major}.");
        if (start + headerLength > fileBytes) throw new InvalidDataException($"{nameForErrors}: header is truncated.");

        var headerBytes = new byte[headerLength];
        await ReadHeaderAsync(stream, headerBytes, fileBytes, start, nameForErrors, ct).ConfigureAwait(false);
        var header = Encoding.ASCII.GetString(headerBytes);
        if (!header.Contains($"'descr': '{descr}'", StringComparison.Ordinal))
            throw new InvalidDataException($"{nameForErrors}: expected little-endian {typeName} ('{descr}'), header says {header.Trim()}.");
        if (!header.Contains("'fortran_order': False", StringComparison.Ordinal))
            throw new InvalidDataException($"{nameForErrors}: Fortran-ordered arrays are not supported; save with C order.");
        var (rows, cols) = ParseShape(header, nameForErrors);

        long bodyStart = start + headerLength, expected = (long)rows * cols * Unsafe.SizeOf<T>();
        if (bodyStart + expected != fileBytes)
            throw new InvalidDataException($"{nameForErrors}: shape ({rows}, {cols}) needs {expected} bytes of data, file has {fileBytes - bodyStart}.");
        if ((long)rows * cols > Array.MaxLength) throw new InvalidDataException($"{nameForErrors}: shape ({rows}, {cols}) is too large for one array.");
        // Every element is overwritten by the read below.
        var values = GC.AllocateUninitializedArray<T>(rows * cols);
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            long done = 0;
            while (done < expected)
            {
                int n = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, expected - done)), ct).ConfigureAwait(false);
                if (n == 0) throw SizedRead.Truncated(nameForErrors, bodyStart + done, fileBytes);
                buffer.AsSpan(0, n).CopyTo(MemoryMarshal.AsBytes(values.AsSpan())[(int)done..]);
                done += n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        await SizedRead.EndAsync(stream, fileBytes, nameForErrors, ct).ConfigureAwait(false);
        return (values, rows, cols);
    }

    private static Task ReadHeaderAsync(Stream stream, Memory<byte> destination, long fileBytes, long offset, string nameForErrors, CancellationToken ct) =>
        offset + destination.Length > fileBytes
            ? throw new InvalidDataException($"{nameForErrors}: {fileBytes} bytes are too few for a .npy header.")
            : SizedRead.ExactlyAsync(stream, destination, offset, fileBytes, nameForErrors, ct);

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
