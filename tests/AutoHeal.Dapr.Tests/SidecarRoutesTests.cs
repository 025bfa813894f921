using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Dapr.Actors;
using Microsoft.AspNetCore.Builder;

namespace AutoHeal.Dapr.Tests;

/// <summary>
/// What reaches the routes the sidecar calls: only calls carrying its <c>dapr-api-token</c> (dapr/dapr
/// <c>pkg/channel/http</c> adds the <c>APP_API_TOKEN</c> to every call to the app), and a signal its guardian fails on
/// is dropped, not retried ahead of every other container's (components-contrib's Redis streams deliver one at a time
/// with <c>concurrency: 1</c>, and the runtime retries a 500 per the resiliency policy).
/// </summary>
public sealed class SidecarRoutesTests : IAsyncLifetime
{
    private const string AppToken = "sidecar-routes-secret-0123";
    private readonly ScriptedGuardians _guardians = new();
    private SurfaceHost _host = null!;

    public async Task InitializeAsync() =>
        _host = await SurfaceHost.StartAsync(
            builder => builder.Services.AddSingleton<IGuardians>(_guardians),
            app =>
            {
                // As AutoHealHost.MapDaprRoles does.
                app.UseSidecarOnly(AppToken);
                app.UseCloudEvents();
                app.MapSubscribeHandler();
                app.MapSignalSubscription();
                app.MapGet("/health", () => "ok");
            });

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Theory]
    [InlineData("POST", "/dapr/container-signals")] // a forged crash signal
    [InlineData("POST", "/dapr/heal-events")] // forged history, and text for the webhooks
    [InlineData("GET", "/dapr/subscribe")]
    [InlineData("PUT", "/actors/ContainerActor/local%3Aweb/method/TellAsync")]
    [InlineData("POST", "/watcher/containers/db/restart")]
    public async Task A_call_without_the_sidecars_token_reaches_no_handler(string method, string route)
    {
        using var anonymous = new HttpRequestMessage(new HttpMethod(method), route) { Content = Signal("web", "local") };
        using var wrong = new HttpRequestMessage(new HttpMethod(method), route) { Content = Signal("web", "local") };
        wrong.Headers.Add(WatcherRoutes.AppTokenHeader, "a-guess");

        using var refused = await _host.Client.SendAsync(anonymous);
        using var guessed = await _host.Client.SendAsync(wrong);

        Assert.Equal((HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized), (refused.StatusCode, guessed.StatusCode));
        Assert.Contains("dapr-api-token", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(_guardians.Told);
        using var health = await _host.Client.GetAsync(new Uri("/health", UriKind.Relative)); // not a sidecar route
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task The_sidecar_with_its_token_is_served()
    {
        var answer = await DeliverAsync(Signal("web", "local"));

        Assert.Equal("SUCCESS", answer.GetProperty("status").GetString());
        Assert.Equal("web", Assert.Single(_guardians.Told).Key.Name);
    }

    [Fact]
    public async Task A_signal_its_guardian_fails_on_is_dropped_and_the_next_containers_signal_goes_through()
    {
        // As the actor runtime reports an exception of the actor's own code: by type name.
        _guardians.Failures["poison"] = new ActorMethodInvocationException(
            "actor method failed", new ActorInvokeException("System.NullReferenceException", "Object reference not set to an instance of an object."), false);

        var poisoned = await DeliverAsync(Signal("poison", "local"));
        var next = await DeliverAsync(Signal("web", "local"));

        Assert.Equal("DROP", poisoned.GetProperty("status").GetString());
        Assert.Contains("Object reference not set", poisoned.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal("SUCCESS", next.GetProperty("status").GetString());
        Assert.Equal(["poison", "web"], _guardians.Told.Select(s => s.Key.Name));
    }

    [Fact]
    public async Task A_signal_that_could_not_reach_its_guardian_is_retried()
    {
        // The actor's state store timed out, or the actor could not be placed: the next delivery may well get through.
        _guardians.Failures["web"] = new ActorMethodInvocationException(
            "actor method failed", new ActorInvokeException("Dapr.DaprException", "State operation failed: timeout"), true);
        _guardians.Failures["db"] = new HttpRequestException("Connection refused (127.0.0.1:3500)");

        // Not answered SUCCESS or DROP: the failure goes out of the handler, a 500 on Kestrel (the test server hands the
        // exception itself to the caller), which the sidecar delivers again.
        var web = await Record.ExceptionAsync(() => SendAsync(Signal("web", "local")));
        var db = await Record.ExceptionAsync(() => SendAsync(Signal("db", "local")));

        Assert.IsType<ActorMethodInvocationException>(web);
        Assert.IsType<HttpRequestException>(db);
    }

    private async Task<JsonElement> DeliverAsync(HttpContent content)
    {
        using var response = await SendAsync(content);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private async Task<HttpResponseMessage> SendAsync(HttpContent content)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/dapr/container-signals") { Content = content };
        request.Headers.Add(WatcherRoutes.AppTokenHeader, AppToken);
        return await _host.Client.SendAsync(request);
    }

    private static StringContent Signal(string name, string host)
    {
        var signal = new ContainerSignal(new ContainerKey(host, name), SignalKind.Observed, DateTimeOffset.UtcNow, new ContainerFacts
        {
            Id = $"{name}-0123456789abcdef",
            ImageId = "sha256:0123456789abcdef",
            Status = ContainerStatus.Running,
            Labels = new Dictionary<string, string>(),
            Monitored = true,
            SelectionReason = "label autoheal=true",
        });
        var envelope = new JsonObject
        {
            ["specversion"] = "1.0",
            ["id"] = Guid.NewGuid().ToString(),
            ["source"] = DaprNames.WatcherAppId(host),
            ["type"] = "com.dapr.event.sent",
            ["pubsubname"] = DaprNames.PubSub,
            ["topic"] = DaprNames.SignalsTopic,
            ["datacontenttype"] = "application/json",
            ["data"] = JsonSerializer.SerializeToNode(signal, DaprWire.Json),
        };
        return new StringContent(envelope.ToJsonString(), Encoding.UTF8, "application/cloudevents+json");
    }

    /// <summary>Guardians that record what they are told, and fail as told for some containers.</summary>
    private sealed class ScriptedGuardians : IGuardians
    {
        public List<ContainerSignal> Told { get; } = [];

        public Dictionary<string, Exception> Failures { get; } = new(StringComparer.Ordinal);

        public Task<GuardianResult> TellAsync(GuardianInput input, CancellationToken cancellationToken)
        {
            var signal = (ContainerSignal)input;
            Told.Add(signal);
            return Failures.TryGetValue(signal.Key.Name, out var failure)
                ? Task.FromException<GuardianResult>(failure)
                : Task.FromResult(new GuardianResult(GuardianState.New(signal.Key), [], []));
        }

        public Task<GuardianState?> GetAsync(ContainerKey key, CancellationToken cancellationToken) => Task.FromResult<GuardianState?>(null);

        public Task<IReadOnlyDictionary<ContainerKey, GuardianState>> GetManyAsync(IReadOnlyCollection<ContainerKey> keys, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyDictionary<ContainerKey, GuardianState>>(new Dictionary<ContainerKey, GuardianState>());
    }
}
