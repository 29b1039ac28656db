namespace ServerlessReco.Publish;

/// <summary>
/// Reads a file whose size is known before it arrives (the manifest's) from a stream: a stream that ends early or
/// goes on past that size is damage, refused with the file's name.
/// </summary>
internal static class SizedRead
{
    /// <summary>Fills <paramref name="destination"/>, which starts <paramref name="offset"/> bytes into the file.</summary>
    public static async Task ExactlyAsync(Stream stream, Memory<byte> destination, long offset, long fileBytes, string nameForErrors, CancellationToken ct)
    {
        int read = await stream.ReadAtLeastAsync(destination, destination.Length, throwOnEndOfStream: false, ct).ConfigureAwait(false);
        if (read < destination.Length) throw Truncated(nameForErrors, offset + read, fileBytes);
    }

    /// <summary>Checks that nothing follows the file's last byte.</summary>
    public static async Task EndAsync(Stream stream, long fileBytes, string nameForErrors, CancellationToken ct)
    {
        if (await stream.ReadAsync(new byte[1], ct).ConfigureAwait(false) != 0)
            throw new InvalidDataException($"{nameForErrors}: the file goes on past the {fileBytes} bytes it should have.");
    }

    public static InvalidDataException Truncated(string nameForErrors, long got, long fileBytes) =>
        new($"{nameForErrors} is truncated: it ends after {got} of its {fileBytes} bytes.");
}
