using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;

namespace AutoHeal.Dapr.Tests;

/// <summary>
/// Who may call a watcher, with calls passed on as daprd passes them: an app's call to its own sidecar must carry
/// <c>DAPR_API_TOKEN</c> (dapr/dapr <c>pkg/api/http</c>, the API token middleware); service invocation carries the
/// caller's headers to the target app; and the target's sidecar adds <c>APP_API_TOKEN</c> to every call it hands its
/// app (<c>pkg/channel/http</c>), also to one that reached it on its internal gRPC port (50002), which a watcher on
/// another Docker host publishes to the network. The fake sidecar below has both doors.
/// </summary>
public sealed class WatcherCallersTests : IAsyncLifetime
{
    private const string AppToken = "app-token-0123456789abcdef";
    private const string DaprToken = "dapr-token-0123456789abcdef";
    private readonly Recorded<string> _served = new();
    private SurfaceHost _watcher = null!;
    private WebApplication _sidecar = null!;
    private string _sidecarUrl = "";

    public async Task InitializeAsync()
    {
        _watcher = await SurfaceHost.StartAsync(_ => { }, app =>
        {
            app.UseSidecarOnly(AppToken); // as AutoHealHost.MapDaprRoles does
            app.MapGet(WatcherRoutes.Containers + "/{id}", (string id) =>
            {
                _served.Add("inspect " + id);
                return Results.NotFound();
            });
            app.MapPost(WatcherRoutes.Containers + "/{id}/restart", (string id) =>
            {
                _served.Add("restart " + id);
                return Results.Ok();
            });
        });

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _sidecar = builder.Build();
        // The API port (3500): only the app with DAPR_API_TOKEN. The internal port: any caller who reaches it.
        _sidecar.Map("/v1.0/invoke/{app}/method/{**path}", (HttpContext c, string path) =>
            c.Request.Headers["dapr-api-token"] == DaprToken ? ForwardAsync(c, path) : Task.FromResult(Results.StatusCode(401)));
        _sidecar.Map("/internal/{app}/method/{**path}", (HttpContext c, string path) => ForwardAsync(c, path));
        await _sidecar.StartAsync();
        _sidecarUrl = _sidecar.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
    }

    public async Task DisposeAsync()
    {
        await _sidecar.DisposeAsync();
        await _watcher.DisposeAsync();
    }

    [Fact]
    public async Task The_healers_calls_reach_the_watcher_through_the_sidecars()
    {
        using var watchers = new DaprWatchers(Configuration(("DAPR_HTTP_ENDPOINT", _sidecarUrl), ("DAPR_API_TOKEN", DaprToken), ("APP_API_TOKEN", AppToken)));

        Assert.Null(await watchers.For("local").InspectAsync("web", CancellationToken.None)); // the watcher's 404: no such container

        Assert.Equal(["inspect web"], _served.Items);
    }

    [Fact]
    public async Task A_stranger_who_reaches_the_watchers_sidecar_gets_nothing_from_the_watcher()
    {
        using var stranger = new HttpClient { BaseAddress = new Uri(_sidecarUrl) };

        // Through the internal port, the sidecar adds APP_API_TOKEN for them.
        using var forwarded = await stranger.PostAsync(new Uri("/internal/autoheal-watcher-local/method/watcher/containers/web/restart", UriKind.Relative), null);
        using var guessed = new HttpRequestMessage(HttpMethod.Post, "/internal/autoheal-watcher-local/method/watcher/containers/web/restart");
        guessed.Headers.Add(WatcherRoutes.CallerHeader, AppToken); // the token is not the proof
        using var guessedAnswer = await stranger.SendAsync(guessed);

        Assert.Equal(HttpStatusCode.Unauthorized, forwarded.StatusCode);
        Assert.Contains(WatcherRoutes.CallerHeader, await forwarded.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, guessedAnswer.StatusCode);
        Assert.Empty(_served.Items); // no restart, no inspect
    }

    private static IConfiguration Configuration(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    /// <summary>Hands a call to the watcher app as its sidecar does: the caller's headers, its own app token added.</summary>
    private async Task<IResult> ForwardAsync(HttpContext context, string path)
    {
        using var call = new HttpRequestMessage(new HttpMethod(context.Request.Method), "/" + path + context.Request.QueryString);
        foreach (var (name, value) in context.Request.Headers)
        {
            if (!name.Equals("dapr-api-token", StringComparison.OrdinalIgnoreCase) && !name.Equals("Host", StringComparison.OrdinalIgnoreCase)
                && !name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase))
            {
                call.Headers.TryAddWithoutValidation(name, value.ToArray());
            }
        }

        call.Headers.Add("dapr-api-token", AppToken);
        using var answer = await _watcher.Client.SendAsync(call);
        return Results.Text(await answer.Content.ReadAsStringAsync(), answer.Content.Headers.ContentType?.ToString(), statusCode: (int)answer.StatusCode);
    }
}
