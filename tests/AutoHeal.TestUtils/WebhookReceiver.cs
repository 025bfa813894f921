using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace AutoHeal.TestUtils;

/// <summary>One request a <see cref="WebhookReceiver"/> got: method, path, query, headers and body, and whether it was answered 2xx.</summary>
public sealed record ReceivedRequest(string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, string Body, bool Ok)
{
    /// <summary>The body as JSON.</summary>
    public System.Text.Json.JsonElement Json => System.Text.Json.JsonDocument.Parse(Body).RootElement.Clone();

    /// <summary>The body as form fields.</summary>
    public IReadOnlyDictionary<string, string> Form => Body.Split('&', StringSplitOptions.RemoveEmptyEntries)
        .Select(p => p.Split('=', 2)).ToDictionary(p => WebUtility.UrlDecode(p[0]), p => WebUtility.UrlDecode(p.Length > 1 ? p[1] : ""), StringComparer.Ordinal);
}

/// <summary>
/// A webhook target (or a service's HTTP API, as documented) on 127.0.0.1 that keeps every request, and can fail
/// the first ones on purpose or answer as the service does when it refuses.
/// </summary>
public sealed class WebhookReceiver : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentQueue<ReceivedRequest> _all = new();
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

    /// <summary>When set, the answer (status, JSON body) to a request, or null for the usual one.</summary>
    public Func<ReceivedRequest, (int Status, string Body)?>? Answer { get; set; }

    /// <summary>Every request received, in full.</summary>
    public IReadOnlyList<ReceivedRequest> Received => _all.ToArray();

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
            var headers = ctx.Request.Headers.AllKeys.Where(k => k is not null).ToDictionary(k => k!, k => ctx.Request.Headers[k]!, StringComparer.OrdinalIgnoreCase);
            var request = new ReceivedRequest(ctx.Request.HttpMethod, ctx.Request.Url!.AbsolutePath, ctx.Request.Url.Query, headers, body, ok);
            var answer = ok ? Answer?.Invoke(request) : null;
            if (answer is { } a)
            {
                ok = a.Status is >= 200 and < 300;
                request = request with { Ok = ok };
            }

            _all.Enqueue(request);
            _requests.Enqueue((request.Path, body, ok));
            ctx.Response.StatusCode = answer?.Status ?? (ok ? 200 : 500);
            if (answer is { Body: { Length: > 0 } text })
            {
                ctx.Response.ContentType = "application/json";
                var bytes = Encoding.UTF8.GetBytes(text);
                await ctx.Response.OutputStream.WriteAsync(bytes);
            }

            ctx.Response.Close();
        }
    }
}
