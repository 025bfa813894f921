using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using AutoHeal.Api;
using AutoHeal.Api.Dapr;
using AutoHeal.Contracts.Api;
using AutoHeal.Core.Settings;
using Dapr.Actors.Client;
using Microsoft.AspNetCore.Builder;

namespace AutoHeal.Dapr.Tests;

/// <summary>
/// The subscription surface the sidecar calls, on ASP.NET's test server with exactly the production
/// mapping (<c>UseCloudEvents</c>, <c>MapSubscribeHandler</c>, the signal subscription, the event
/// projection). Signals go through the real <see cref="ActorGuardians"/> to real <see cref="ContainerActor"/>s
/// (made with <c>ActorHost.CreateForTest</c>, state in memory); events land in the api role's real SQLite
/// event log, read back as <c>GET /api/events</c> reads it.
/// </summary>
public sealed class SubscriptionTests : IAsyncLifetime
{
    private readonly SurfaceActors _actors = new();
    private readonly InMemoryDaprClient _state = new(DaprWire.Json);
    private SettingsService _settings = null!;
    private TempStore _eventLog = null!;
    private SurfaceHost _host = null!;

    public async Task InitializeAsync()
    {
        // As the api role composes its store: shared documents in the Dapr state store, the event log in its own SQLite file.
        _eventLog = await TempStore.OpenAsync();
        _settings = new SettingsService(new DaprDocumentStore(_state));
        var settings = _settings;
        await settings.InitializeAsync(new AutoHealConfig(), CancellationToken.None);
        _host = await SurfaceHost.StartAsync(
            builder =>
            {
                var services = builder.Services;
                services.AddSingleton(TimeProvider.System);
                services.AddSingleton<IActorProxyFactory>(_actors);
                services.AddSingleton<IGuardians, ActorGuardians>();
                services.AddSingleton<IEventLog>(_eventLog.Store);
                services.AddSingleton(settings);
                services.AddSingleton<ISettingsSource>(settings);
                services.AddSingleton(NotificationApis.Public);
                services.AddSingleton<NotificationSenders>();
                services.AddSingleton<WebhookNotifier>();
                services.AddHostedService(sp => sp.GetRequiredService<WebhookNotifier>());
            },
            app =>
            {
                // As AutoHealHost.MapDaprRoles does for the healer and api roles (less the actors' and API's routes).
                app.UseCloudEvents();
                app.MapSubscribeHandler();
                app.MapSignalSubscription();
                app.MapEventProjection();
            });
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _eventLog.DisposeAsync();
        _settings.Dispose();
        _state.Dispose();
    }

    [Fact]
    public async Task The_sidecar_learns_both_subscriptions_with_the_dead_letter_topic_for_signals()
    {
        using var response = await _host.Client.GetAsync(new Uri("/dapr/subscribe", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var subscriptions = doc.RootElement.EnumerateArray().ToList();
        Assert.Equal(2, subscriptions.Count);
        Assert.All(subscriptions, s => Assert.Equal(DaprNames.PubSub, s.GetProperty("pubsubName").GetString()));

        var signals = Assert.Single(subscriptions, s => s.GetProperty("topic").GetString() == "container-signals");
        Assert.Equal("dapr/container-signals", RouteOf(signals));
        Assert.Equal("container-signals-dead", signals.GetProperty("deadLetterTopic").GetString());

        var events = Assert.Single(subscriptions, s => s.GetProperty("topic").GetString() == "heal-events");
        Assert.Equal("dapr/heal-events", RouteOf(events));
    }

    [Fact]
    public async Task A_signal_delivered_as_a_cloud_event_reaches_the_containers_actor_which_saves_its_guardian()
    {
        var key = new ContainerKey("local", "web");
        var running = Signal(key, SignalKind.Observed, ContainerStatus.Running);

        var answer = await DeliverSignalAsync(CloudEvent("container-signals", JsonNode.Parse(JsonSerializer.Serialize(running, DaprWire.Json))));

        Assert.Equal("SUCCESS", answer.GetProperty("status").GetString());
        Assert.Equal([DaprIds.Actor(key).ToString()], _actors.Proxied);
        var saved = _actors.StateOf(key)!.SavedValue<GuardianState>(ContainerActor.StateName);
        Assert.NotNull(saved);
        Assert.Equal(key, saved.Key);
        Assert.Equal(running.Facts.Id, saved.ContainerId);
        Assert.True(saved.Monitored);
        Assert.Equal((GuardianPhase.Watching, Condition.Running), (saved.Phase, saved.Condition));

        // The API reads the same guardian back through IGuardians.
        var read = await _host.Get<IGuardians>().GetAsync(key, CancellationToken.None);
        Assert.Equal(JsonSerializer.Serialize(saved, DaprWire.Json), JsonSerializer.Serialize(read, DaprWire.Json));
    }

    [Fact]
    public async Task A_crash_signal_delivered_by_the_sidecar_starts_a_heal_workflow_for_that_container()
    {
        var key = new ContainerKey("local", "api");
        var start = DateTimeOffset.UtcNow.AddMinutes(-10);
        Assert.Equal("SUCCESS", (await DeliverSignalAsync(CloudEvent("container-signals",
            JsonNode.Parse(JsonSerializer.Serialize(Signal(key, SignalKind.Observed, ContainerStatus.Running, at: start), DaprWire.Json))))).GetProperty("status").GetString());

        var crash = Signal(key, SignalKind.Died, ContainerStatus.Exited, exitCode: 3, at: DateTimeOffset.UtcNow);
        var answer = await DeliverSignalAsync(CloudEvent("container-signals", JsonNode.Parse(JsonSerializer.Serialize(crash, DaprWire.Json))));

        Assert.Equal("SUCCESS", answer.GetProperty("status").GetString());
        var job = Assert.Single(_actors.Workflows.Started);
        Assert.Equal(key, job.Key);
        Assert.Equal(crash.Facts.Id, job.ContainerId);
        var saved = _actors.StateOf(key)!.SavedValue<GuardianState>(ContainerActor.StateName)!;
        Assert.Equal(GuardianPhase.Healing, saved.Phase);
        Assert.Equal(job.Id, saved.ActiveHeal?.Id);
    }

    /// <summary>Every way a message on container-signals can be unusable, and the reason the drop gives.</summary>
    public static TheoryData<string, string> BadSignals => new()
    {
        { "not JSON (text/plain data)", "not a container signal" },
        { "not JSON (raw body, no cloud event)", "not a container signal" },
        { "a JSON string", "not a container signal" },
        { "a JSON array", "not a container signal" },
        { "JSON of another shape", "key is missing" },
        { "no key", "key is missing" },
        { "empty host", "key.host is missing" },
        { "no name", "key.name is missing" },
        { "no facts", "facts are missing" },
        { "unknown kind name", "not a container signal" },
        { "unknown kind number", "kind 42 is unknown" },
        { "null data", "empty message" },
    };

    [Theory]
    [MemberData(nameof(BadSignals))]
    public async Task A_bad_signal_is_dropped_to_the_dead_letter_topic_and_touches_no_actor(string payload, string reason)
    {
        var good = JsonNode.Parse(JsonSerializer.Serialize(Signal(new ContainerKey("local", "web"), SignalKind.Died, ContainerStatus.Exited, exitCode: 1), DaprWire.Json))!.AsObject();
        JsonObject Without(string field)
        {
            good.Remove(field);
            return good;
        }

        HttpContent content = payload switch
        {
            "not JSON (text/plain data)" => CloudEvent("container-signals", JsonValue.Create("this is not JSON {"), dataContentType: "text/plain"),
            "not JSON (raw body, no cloud event)" => new StringContent("{\"key\": {\"host\": \"local\", ", Encoding.UTF8, "application/json"),
            "a JSON string" => CloudEvent("container-signals", JsonValue.Create("local/web died")),
            "a JSON array" => CloudEvent("container-signals", new JsonArray(1, 2, 3)),
            "JSON of another shape" => CloudEvent("container-signals", new JsonObject { ["hello"] = "world", ["count"] = 3 }),
            "no key" => CloudEvent("container-signals", Without("key")),
            "empty host" => CloudEvent("container-signals", Set(good, "key", new JsonObject { ["host"] = "", ["name"] = "web" })),
            "no name" => CloudEvent("container-signals", Set(good, "key", new JsonObject { ["host"] = "local" })),
            "no facts" => CloudEvent("container-signals", Without("facts")),
            "unknown kind name" => CloudEvent("container-signals", Set(good, "kind", "exploded")),
            "unknown kind number" => CloudEvent("container-signals", Set(good, "kind", 42)),
            "null data" => CloudEvent("container-signals", null),
            _ => throw new ArgumentOutOfRangeException(nameof(payload)),
        };

        var answer = await DeliverSignalAsync(content);

        Assert.Equal("DROP", answer.GetProperty("status").GetString());
        Assert.Contains(reason, answer.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Empty(_actors.Proxied);
        Assert.Equal(0, _actors.SavedEntries);
        Assert.Empty(_actors.Workflows.Started);
        Assert.Contains(_host.Log.Warnings("dropped a message on container-signals"), line => line.Contains(reason, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_heal_event_delivered_by_the_sidecar_lands_in_the_event_log_with_an_id_of_its_own()
    {
        var key = new ContainerKey("web2", "shop");
        var healed = new AutoHealEvent
        {
            Id = 977, // the publisher's id means nothing here: the API's log numbers its own
            At = DateTimeOffset.UtcNow,
            Kind = EventKind.Healed,
            Key = key,
            ContainerId = "0123456789ab",
            JobId = "web2/shop#1",
            Attempt = 1,
            Message = "web2/shop is running again after 1 restart",
        };
        var earlier = healed with { Kind = EventKind.Restarting, Message = "restarting web2/shop", At = healed.At.AddSeconds(-5) };

        var first = await DeliverEventAsync(CloudEvent("heal-events", JsonNode.Parse(JsonSerializer.Serialize(earlier, DaprWire.Json))));
        var second = await DeliverEventAsync(CloudEvent("heal-events", JsonNode.Parse(JsonSerializer.Serialize(healed, DaprWire.Json))));

        Assert.Equal(("SUCCESS", "SUCCESS"), (first.GetProperty("status").GetString(), second.GetProperty("status").GetString()));
        // Read as GET /api/events does: through the api role's store.
        var log = await _host.Get<IEventLog>().ReadEventsAsync(new EventQuery { Container = "shop" }, CancellationToken.None);
        Assert.Equal(2, log.Count);
        Assert.Equal([EventKind.Healed, EventKind.Restarting], log.Select(e => e.Kind)); // newest first
        Assert.All(log, e => Assert.True(e.Id > 0));
        Assert.True(log[0].Id > log[1].Id);
        Assert.DoesNotContain(log, e => e.Id == 977);
        Assert.Equal(healed with { Id = log[0].Id }, log[0] with { At = healed.At });
        Assert.Equal(healed.At.ToUnixTimeMilliseconds(), log[0].At.ToUnixTimeMilliseconds());
    }

    [Fact]
    public async Task A_heal_event_delivered_by_the_sidecar_reaches_the_configured_webhook()
    {
        using var receiver = new WebhookReceiver();
        var settings = _host.Get<SettingsService>();
        var (_, errors) = await settings.UpdateAsync(c => c with
        {
            Notifications = c.Notifications with { Webhooks = [new WebhookConfig { Name = "ops", Url = receiver.Url("hook"), Events = ["healed"] }] },
        }, CancellationToken.None);
        Assert.Empty(errors);

        var healed = new AutoHealEvent { At = DateTimeOffset.UtcNow, Kind = EventKind.Healed, Key = new("local", "cart"), Message = "local/cart is running again" };
        using var delivery = CloudEvent("heal-events", JsonNode.Parse(JsonSerializer.Serialize(healed, DaprWire.Json)));
        var answer = await DeliverEventAsync(delivery);

        Assert.Equal("SUCCESS", answer.GetProperty("status").GetString());
        await Eventually.HoldsAsync(() => Task.FromResult(receiver.Requests.Count > 0), TimeSpan.FromSeconds(15), "the webhook to be called");
        var (path, body, _) = Assert.Single(receiver.Requests);
        Assert.Equal("/hook", path);
        Assert.Contains("local/cart is running again", body, StringComparison.Ordinal);
    }

    /// <summary>Unusable messages on heal-events, and the drop's reason.</summary>
    public static TheoryData<string, string> BadEvents => new()
    {
        { "not JSON", "not an AutoHeal event" },
        { "unknown kind name", "not an AutoHeal event" },
        { "unknown kind number", "a known kind and a message" },
        { "no message", "not an AutoHeal event" }, // a required member
        { "empty message", "a known kind and a message" },
        { "null data", "a known kind and a message" },
    };

    [Theory]
    [MemberData(nameof(BadEvents))]
    public async Task A_bad_heal_event_is_dropped_and_appends_nothing(string payload, string reason)
    {
        var good = JsonNode.Parse(JsonSerializer.Serialize(
            new AutoHealEvent { At = DateTimeOffset.UtcNow, Kind = EventKind.HealFailed, Key = new("local", "db"), Message = "local/db did not come back" },
            DaprWire.Json))!.AsObject();
        var data = payload switch
        {
            "not JSON" => null,
            "unknown kind name" => Set(good, "kind", "exploded"),
            "unknown kind number" => Set(good, "kind", 99),
            "no message" => Remove(good, "message"),
            "empty message" => Set(good, "message", ""),
            "null data" => null,
            _ => throw new ArgumentOutOfRangeException(nameof(payload)),
        };
        var content = payload == "not JSON"
            ? CloudEvent("heal-events", JsonValue.Create("<event>healed</event>"), dataContentType: "application/xml")
            : CloudEvent("heal-events", data);

        var answer = await DeliverEventAsync(content);

        Assert.Equal("DROP", answer.GetProperty("status").GetString());
        Assert.Contains(reason, answer.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Empty(await _eventLog.Store.ReadEventsAsync(new EventQuery { Limit = 100 }, CancellationToken.None));
        Assert.NotEmpty(_host.Log.Warnings("dropped a message on heal-events"));
    }

    private static string? RouteOf(JsonElement subscription) =>
        (subscription.TryGetProperty("route", out var route) ? route.GetString() : subscription.GetProperty("routes").GetProperty("default").GetString())?.TrimStart('/');

    private static ContainerSignal Signal(ContainerKey key, SignalKind kind, ContainerStatus status, int exitCode = 0, DateTimeOffset? at = null)
    {
        var when = at ?? DateTimeOffset.UtcNow;
        return new ContainerSignal(key, kind, when, new ContainerFacts
        {
            Id = $"{key.Name}-0123456789abcdef",
            ImageId = "sha256:0123456789abcdef",
            Status = status,
            ExitCode = exitCode,
            StartedAt = when.AddMinutes(-5),
            Labels = new Dictionary<string, string> { ["autoheal"] = "true" },
            Monitored = true,
            SelectionReason = "label autoheal=true",
        })
        { ExitCode = kind == SignalKind.Died ? exitCode : null };
    }

    /// <summary>A CloudEvent as the sidecar delivers it (Dapr's envelope around the published data).</summary>
    private static StringContent CloudEvent(string topic, JsonNode? data, string dataContentType = "application/json")
    {
        var envelope = new JsonObject
        {
            ["specversion"] = "1.0",
            ["id"] = Guid.NewGuid().ToString(),
            ["source"] = topic == "container-signals" ? DaprNames.WatcherAppId("local") : DaprNames.HealerAppId,
            ["type"] = "com.dapr.event.sent",
            ["pubsubname"] = DaprNames.PubSub,
            ["topic"] = topic,
            ["traceid"] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            ["datacontenttype"] = dataContentType,
            ["data"] = data,
        };
        return new StringContent(envelope.ToJsonString(), Encoding.UTF8, "application/cloudevents+json");
    }

    private async Task<JsonElement> DeliverSignalAsync(HttpContent content) => await PostAsync("/dapr/container-signals", content);

    private async Task<JsonElement> DeliverEventAsync(HttpContent content) => await PostAsync("/dapr/heal-events", content);

    private async Task<JsonElement> PostAsync(string route, HttpContent content)
    {
        using (content)
        {
            using var response = await _host.Client.PostAsync(new Uri(route, UriKind.Relative), content);
            // 200 in both cases: SUCCESS or DROP; any other status would make the sidecar retry.
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return await response.Content.ReadFromJsonAsync<JsonElement>();
        }
    }

    private static JsonObject Set(JsonObject o, string field, JsonNode? value)
    {
        o[field] = value;
        return o;
    }

    private static JsonObject Remove(JsonObject o, string field)
    {
        o.Remove(field);
        return o;
    }
}
