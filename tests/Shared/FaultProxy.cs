using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace ServerlessReco.Tests;

/// <summary>
/// A TCP proxy on loopback in front of one upstream port (an azurite endpoint) that a test or benchmark can cut,
/// slow down and restore, to play a storage outage or a distant storage account against the real handler.
/// Cut resets every open connection and every new one until <see cref="Restore"/>, which is what a client sees
/// when an account becomes unreachable. <see cref="BlackHole"/> is the other kind of outage: connections, open and
/// new, are accepted and what the client sends is read, but no answer ever comes (a hung front end, a dropped route
/// whose packets vanish). <see cref="Delay"/> is added once per round trip: before the first bytes of each answer
/// that follows bytes from the client.
/// </summary>
public sealed class FaultProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _upstreamPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Socket, byte> _open = new();
    private readonly Task _accepting;
    private volatile bool _cut;
    private volatile bool _blackHole;
    private long _roundTrips;

    private FaultProxy(int upstreamPort)
    {
        _upstreamPort = upstreamPort;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public static FaultProxy Start(int upstreamPort) => new(upstreamPort);

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public TimeSpan Delay { get; set; }

    /// <summary>Answers that followed a request, since the proxy started: storage round trips made through it.</summary>
    public long RoundTrips => Interlocked.Read(ref _roundTrips);

    public bool IsCut => _cut;

    public void Cut()
    {
        _cut = true;
        foreach (var socket in _open.Keys) Reset(socket);
    }

    /// <summary>From now on nothing is forwarded either way and nothing answered; connections stay open.</summary>
    public void BlackHole() => _blackHole = true;

    public void Restore() => _cut = _blackHole = false;

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            if (_cut)
            {
                Reset(client);
                continue;
            }
            _ = _blackHole ? SwallowAsync(client) : RelayAsync(client);
        }
    }

    private async Task RelayAsync(Socket client)
    {
        var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.NoDelay = true;
        _open.TryAdd(client, 0);
        _open.TryAdd(upstream, 0);
        try
        {
            await upstream.ConnectAsync(IPAddress.Loopback, _upstreamPort, _stop.Token);
            // Set by the client's bytes, taken by the first answer after them: one round trip.
            int awaitingAnswer = 0;
            var toUpstream = PumpAsync(client, upstream, () => Volatile.Write(ref awaitingAnswer, 1));
            var toClient = PumpAsync(upstream, client, null, async () =>
            {
                if (Interlocked.Exchange(ref awaitingAnswer, 0) == 0) return;
                Interlocked.Increment(ref _roundTrips);
                if (Delay > TimeSpan.Zero) await Task.Delay(Delay, _stop.Token);
            });
            await Task.WhenAny(toUpstream, toClient);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            _open.TryRemove(client, out _);
            _open.TryRemove(upstream, out _);
            // A cut resets; otherwise one side closed and the other follows.
            if (_cut) { Reset(client); Reset(upstream); }
            else { client.Dispose(); upstream.Dispose(); }
        }
    }

    /// <summary>A connection made during a black hole: read and dropped until the client gives up on it.</summary>
    private async Task SwallowAsync(Socket client)
    {
        _open.TryAdd(client, 0);
        var buffer = new byte[64 * 1024];
        try
        {
            while (await client.ReceiveAsync(buffer, SocketFlags.None, _stop.Token) > 0)
            {
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            _open.TryRemove(client, out _);
            client.Dispose();
        }
    }

    private async Task PumpAsync(Socket from, Socket to, Action? afterRead, Func<Task>? beforeWrite = null)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                int read = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (read == 0 || _cut) return;
                // Read and dropped: the request never arrives, or its answer never leaves.
                if (_blackHole) continue;
                afterRead?.Invoke();
                if (beforeWrite is not null) await beforeWrite();
                if (_cut) return;
                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stop.Token);
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    /// <summary>An RST rather than a FIN: the client sees "connection reset", as from an account that went away.</summary>
    private static void Reset(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
        socket.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        foreach (var socket in _open.Keys) socket.Dispose();
        await _accepting;
        _stop.Dispose();
    }
}

/// <summary>
/// Azurite's blob and table endpoints behind one <see cref="FaultProxy"/> each, and the connection string that goes
/// through them: what the handler under test is given, while the test itself reads and writes azurite directly.
/// </summary>
public sealed class FaultyStorage : IAsyncDisposable
{
    private readonly FaultProxy _blobs;
    private readonly FaultProxy _tables;

    private FaultyStorage(string direct)
    {
        _blobs = FaultProxy.Start(EndpointPort(direct, "BlobEndpoint"));
        _tables = FaultProxy.Start(EndpointPort(direct, "TableEndpoint"));
        ConnectionString = Through(Through(direct, "BlobEndpoint", _blobs.Port), "TableEndpoint", _tables.Port);
    }

    /// <param name="direct">Azurite's connection string, with 127.0.0.1 blob and table endpoints.</param>
    public static FaultyStorage Start(string direct) => new(direct);

    public string ConnectionString { get; }

    public FaultProxy Blobs => _blobs;
    public FaultProxy Tables => _tables;

    public long RoundTrips => _blobs.RoundTrips + _tables.RoundTrips;

    public TimeSpan Delay
    {
        get => _tables.Delay;
        set => _blobs.Delay = _tables.Delay = value;
    }

    public void Cut()
    {
        _blobs.Cut();
        _tables.Cut();
    }

    public void BlackHole()
    {
        _blobs.BlackHole();
        _tables.BlackHole();
    }

    public void Restore()
    {
        _blobs.Restore();
        _tables.Restore();
    }

    private static Regex Endpoint(string name) => new($@"(?<={name}=http://127\.0\.0\.1:)(\d+)");

    private static int EndpointPort(string connection, string name) =>
        Endpoint(name).Match(connection) is { Success: true } m ? int.Parse(m.Value, System.Globalization.CultureInfo.InvariantCulture)
        : throw new ArgumentException($"The connection string has no {name} on 127.0.0.1.", nameof(connection));

    private static string Through(string connection, string name, int port) =>
        Endpoint(name).Replace(connection, port.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public async ValueTask DisposeAsync()
    {
        await _blobs.DisposeAsync();
        await _tables.DisposeAsync();
    }
}
