using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace ServerlessReco.Benchmarks;

/// <summary>An answer read by <see cref="LoopbackHttpConnection"/>; the body is valid until the connection's next request.</summary>
public readonly record struct LoopbackResponse(int Status, double? ServerMilliseconds, ReadOnlyMemory<byte> Body);

/// <summary>
/// The benchmarks' load generator: one keep-alive HTTP/1.1 connection that sends prepared request bytes and reads
/// the answer (Content-Length or chunked), keeping only the status, the Server-Timing duration and the body. It
/// shares the two cores with the handler and azurite, so it does as little as the protocol allows: HttpClient,
/// which builds header collections and content objects per request, used 0.2 ms of CPU per request on this machine.
/// </summary>
public sealed class LoopbackHttpConnection : IDisposable
{
    private readonly Socket _socket;
    private byte[] _buffer = new byte[16 * 1024];
    private byte[] _body = new byte[16 * 1024];
    // Received bytes not yet consumed: _buffer[_start.._end].
    private int _start, _end;

    private LoopbackHttpConnection(Socket socket) => _socket = socket;

    public static async Task<LoopbackHttpConnection> OpenAsync(Uri address, CancellationToken ct)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(address.Host, address.Port, ct).ConfigureAwait(false);
            return new LoopbackHttpConnection(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public static byte[] Get(Uri address, string pathAndQuery, string? authorization = null) =>
        Encoding.ASCII.GetBytes($"GET {pathAndQuery} HTTP/1.1\r\nHost: {address.Authority}\r\n{(authorization is null ? "" : $"Authorization: {authorization}\r\n")}\r\n");

    public static byte[] PostJson(Uri address, string path, byte[] json)
    {
        var head = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"POST {path} HTTP/1.1\r\nHost: {address.Authority}\r\nContent-Type: application/json\r\nContent-Length: {json.Length}\r\n\r\n"));
        return [.. head, .. json];
    }

    /// <summary>Sends one request (from <see cref="Get"/> or <see cref="PostJson"/>) and reads its whole answer.</summary>
    public async Task<LoopbackResponse> SendAsync(byte[] request, CancellationToken ct)
    {
        await _socket.SendAsync(request, SocketFlags.None, ct).ConfigureAwait(false);
        var statusLine = await ReadLineAsync(ct).ConfigureAwait(false);
        // "HTTP/1.1 200 OK"
        if (statusLine.Length < 12 || !statusLine.StartsWith("HTTP/1.1 ", StringComparison.Ordinal))
            throw new IOException($"Not an HTTP/1.1 answer: '{statusLine}'.");
        int status = int.Parse(statusLine.AsSpan(9, 3), CultureInfo.InvariantCulture);
        long contentLength = -1;
        bool chunked = false;
        double? serverMs = null;
        string line;
        while ((line = await ReadLineAsync(ct).ConfigureAwait(false)).Length > 0)
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0) throw new IOException($"Malformed header line: '{line}'.");
            var name = line.AsSpan(0, colon);
            var value = line.AsSpan(colon + 1).Trim();
            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)) contentLength = long.Parse(value, CultureInfo.InvariantCulture);
            else if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase)) chunked = value.Contains("chunked", StringComparison.OrdinalIgnoreCase);
            // Server-Timing: app;dur=1.23
            else if (name.Equals("Server-Timing", StringComparison.OrdinalIgnoreCase) && value.IndexOf("dur=", StringComparison.Ordinal) is int at and >= 0
                && double.TryParse(value[(at + 4)..], NumberStyles.Float, CultureInfo.InvariantCulture, out double ms)) serverMs = ms;
        }

        int length = 0;
        if (chunked)
        {
            while (true)
            {
                var sizeLine = await ReadLineAsync(ct).ConfigureAwait(false);
                int size = int.Parse(sizeLine.AsSpan(0, sizeLine.IndexOf(';') is int semi and >= 0 ? semi : sizeLine.Length), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (size == 0)
                {
                    // No trailers are sent: the empty line ends the message.
                    await ReadLineAsync(ct).ConfigureAwait(false);
                    break;
                }
                await CopyBodyAsync(size, length, ct).ConfigureAwait(false);
                length += size;
                await ReadLineAsync(ct).ConfigureAwait(false);
            }
        }
        else if (contentLength > 0)
        {
            await CopyBodyAsync(checked((int)contentLength), 0, ct).ConfigureAwait(false);
            length = (int)contentLength;
        }
        return new LoopbackResponse(status, serverMs, _body.AsMemory(0, length));
    }

    private async Task CopyBodyAsync(int count, int at, CancellationToken ct)
    {
        if (_body.Length < at + count) Array.Resize(ref _body, Math.Max(2 * _body.Length, at + count));
        while (count > 0)
        {
            if (_start == _end) await FillAsync(ct).ConfigureAwait(false);
            int n = Math.Min(count, _end - _start);
            Buffer.BlockCopy(_buffer, _start, _body, at, n);
            _start += n;
            at += n;
            count -= n;
        }
    }

    private async Task<string> ReadLineAsync(CancellationToken ct)
    {
        // Offset from _start already searched: filling keeps offsets from _start, though it may move _start.
        int searched = 0;
        while (true)
        {
            int lf = _buffer.AsSpan(_start + searched, _end - _start - searched).IndexOf((byte)'\n');
            if (lf >= 0)
            {
                int end = _start + searched + lf;
                int lineEnd = end > _start && _buffer[end - 1] == '\r' ? end - 1 : end;
                var line = Encoding.ASCII.GetString(_buffer, _start, lineEnd - _start);
                _start = end + 1;
                return line;
            }
            searched = _end - _start;
            await FillAsync(ct).ConfigureAwait(false);
        }
    }

    /// <summary>Receives more bytes after the unread ones, moving them to the front or growing the buffer first when needed.</summary>
    private async Task FillAsync(CancellationToken ct)
    {
        if (_start == _end) _start = _end = 0;
        if (_end == _buffer.Length)
        {
            int unread = _end - _start;
            if (_start == 0) Array.Resize(ref _buffer, 2 * _buffer.Length);
            else
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, unread);
                (_start, _end) = (0, unread);
            }
        }
        int received = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, ct).ConfigureAwait(false);
        if (received == 0) throw new IOException("The server closed the connection mid-answer.");
        _end += received;
    }

    public void Dispose() => _socket.Dispose();
}
