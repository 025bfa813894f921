using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AutoHeal.Dapr.Tests.Fakes;

/// <summary>A webhook target on 127.0.0.1 that keeps every request's path and body.</summary>
internal sealed class SurfaceWebhookReceiver : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentQueue<(string Path, string Body)> _requests = new();

    public SurfaceWebhookReceiver()
    {
        Port = UnusedLoopbackPort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _ = Task.Run(LoopAsync);
    }

    /// <summary>Its port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>Requests received: path and body.</summary>
    public IReadOnlyList<(string Path, string Body)> Requests => _requests.ToArray();

    /// <summary>The URL of <paramref name="path"/> on this receiver.</summary>
    public string Url(string path) => $"http://127.0.0.1:{Port}/{path}";

    /// <summary>A loopback port nothing listens on (as of now).</summary>
    public static int UnusedLoopbackPort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    public void Dispose() => _listener.Close();

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext ctx;
            try
            {
                ctx = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            using var reader = new StreamReader(ctx.Request.InputStream, Encoding.UTF8);
            _requests.Enqueue((ctx.Request.Url!.AbsolutePath, await reader.ReadToEndAsync()));
            ctx.Response.StatusCode = 200;
            ctx.Response.Close();
        }
    }
}
