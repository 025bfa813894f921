using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace AutoHeal.TestUtils;

/// <summary>A webhook target on 127.0.0.1 that keeps every request's path and body, and can fail the first ones on purpose.</summary>
public sealed class WebhookReceiver : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentQueue<(string Path, string Body, bool Ok)> _requests = new();
    private int _seen;

    public WebhookReceiver()
    {
        Port = Loopback.FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _ = Task.Run(LoopAsync);
    }

    /// <summary>Its port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>How many of the first requests get a 500 instead of a 200.</summary>
    public int FailFirst { get; set; }

    /// <summary>Every request received: path, body, and whether it was answered 200.</summary>
    public IReadOnlyList<(string Path, string Body, bool Ok)> Requests => _requests.ToArray();

    /// <summary>The paths of every request received, failed ones included.</summary>
    public IReadOnlyList<string> Paths => _requests.Select(r => r.Path).ToList();

    /// <summary>The paths of the requests answered 200.</summary>
    public IReadOnlyList<string> Delivered => _requests.Where(r => r.Ok).Select(r => r.Path).ToList();

    /// <summary>The URL of <paramref name="path"/> on this receiver.</summary>
    public string Url(string path) => $"http://127.0.0.1:{Port}/{path}";

    /// <summary>The body of the last request to <paramref name="path"/> answered 200.</summary>
    public string Body(string path) => _requests.Last(r => r.Path == path && r.Ok).Body;

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
            var body = await reader.ReadToEndAsync();
            var ok = Interlocked.Increment(ref _seen) > FailFirst;
            _requests.Enqueue((ctx.Request.Url!.AbsolutePath, body, ok));
            ctx.Response.StatusCode = ok ? 200 : 500;
            ctx.Response.Close();
        }
    }
}
