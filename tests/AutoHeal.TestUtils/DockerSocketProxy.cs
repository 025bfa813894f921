using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AutoHeal.TestUtils;

/// <summary>
/// The engine's socket served on a loopback TCP port (<c>DOCKER_HOST=tcp://127.0.0.1:port</c>), as a socket proxy in
/// front of Docker does, with one fault a test can turn on: <see cref="FreezeEvents"/> holds back everything the engine
/// sends on event-stream connections (<c>GET /events</c>), as a proxy that lost such a connection without closing it,
/// while every other call goes through; and <see cref="HoldRequests"/> never passes on the calls a test names (the caller
/// waits for an answer that does not come), to catch AutoHeal between two engine calls.
/// </summary>
public sealed class DockerSocketProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly string _socket;
    private readonly Task _accepting;
    private volatile TaskCompletionSource _thawed = Thawed();
    private volatile Func<string, bool>? _hold;
    private volatile Func<string, bool>? _refuse;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _refused = new();
    private readonly TaskCompletionSource<string> _held = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public DockerSocketProxy(string socket = "/var/run/docker.sock")
    {
        _socket = socket;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary>Where AutoHeal finds the engine through it.</summary>
    public string Endpoint => $"tcp://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>From now on, nothing the engine sends on an event stream reaches the client (a stream opened later neither).</summary>
    public void FreezeEvents() => _thawed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The event streams deliver again, what was held back first.</summary>
    public void Thaw() => _thawed.TrySetResult();

    /// <summary>
    /// From now on, a request whose first line (<c>POST /v1.41/containers/…/start HTTP/1.1</c>) matches is never passed
    /// to the engine; <see cref="Held"/> completes with the first one. Null passes everything again.
    /// </summary>
    public void HoldRequests(Func<string, bool>? match) => _hold = match;

    /// <summary>
    /// From now on, a request whose first line matches is answered <c>403 Forbidden</c> by the proxy, as a filtering socket
    /// proxy (Tecnativa's docker-socket-proxy, HAProxy) answers a call outside its profile; null passes everything again.
    /// </summary>
    public void Refuse(Func<string, bool>? match) => _refuse = match;

    /// <summary>The first lines of the requests refused so far.</summary>
    public IReadOnlyCollection<string> Refused => _refused;

    /// <summary>The first line of the first request held back.</summary>
    public Task<string> Held => _held.Task;

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        Thaw();
        _listener.Dispose();
        try
        {
            await _accepting;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }

    private static TaskCompletionSource Thawed()
    {
        var done = new TaskCompletionSource();
        done.SetResult();
        return done;
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        try
        {
            using (client)
            using (var engine = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
            {
                await engine.ConnectAsync(new UnixDomainSocketEndPoint(_socket), _stop.Token);
                await using var up = new NetworkStream(engine, ownsSocket: false);
                await using var down = client.GetStream();
                var events = new EventStream();
                var toEngine = PumpAsync(down, up, chunk => events.Seen |= Encoding.ASCII.GetString(chunk.Span).Contains("/events", StringComparison.Ordinal), null, HeldBack, RefusedAnswer, down);
                var toClient = PumpAsync(up, down, null, () => events.Seen ? _thawed.Task : Task.CompletedTask);
                await Task.WhenAny(toEngine, toClient);
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // a connection ends
        }
    }

    // Whether a chunk starts a request the test holds back: then it, and the rest of its connection, never reach the engine.
    private bool HeldBack(ReadOnlyMemory<byte> chunk)
    {
        var text = Encoding.ASCII.GetString(chunk.Span);
        var line = text[..Math.Max(0, text.IndexOf('\r', StringComparison.Ordinal))];
        if (_hold is { } hold && line.Length > 0 && hold(line))
        {
            _held.TrySetResult(line);
            return true;
        }

        return false;
    }

    // The proxy's own answer to a request it refuses, or null to pass the chunk on.
    private byte[]? RefusedAnswer(ReadOnlyMemory<byte> chunk)
    {
        var text = Encoding.ASCII.GetString(chunk.Span);
        var line = text[..Math.Max(0, text.IndexOf('\r', StringComparison.Ordinal))];
        if (_refuse is not { } refuse || line.Length == 0 || !refuse(line))
        {
            return null;
        }

        _refused.Enqueue(line);
        const string body = "<html><body><h1>403 Forbidden</h1>\nRequest forbidden by administrative rules.\n</body></html>\n";
        return Encoding.ASCII.GetBytes(
            $"HTTP/1.1 403 Forbidden\r\nContent-Type: text/html\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}");
    }

    private async Task PumpAsync(
        Stream from, Stream to, Action<ReadOnlyMemory<byte>>? seen, Func<Task>? gate, Func<ReadOnlyMemory<byte>, bool>? holdBack = null,
        Func<ReadOnlyMemory<byte>, byte[]?>? answer = null, Stream? back = null)
    {
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await from.ReadAsync(buffer, _stop.Token)) > 0)
        {
            if (holdBack?.Invoke(buffer.AsMemory(0, read)) == true)
            {
                await Task.Delay(Timeout.Infinite, _stop.Token); // the caller waits for ever (until it dies)
            }

            if (back is not null && answer?.Invoke(buffer.AsMemory(0, read)) is { } refusal)
            {
                await back.WriteAsync(refusal, _stop.Token);
                return; // and the connection ends, as its answer said
            }

            seen?.Invoke(buffer.AsMemory(0, read));
            if (gate is not null)
            {
                await gate().WaitAsync(_stop.Token);
            }

            await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
        }
    }

    // Whether the client asked this connection for the event stream.
    private sealed class EventStream
    {
        private volatile bool _seen;

        public bool Seen
        {
            get => _seen;
            set => _seen = value;
        }
    }
}
