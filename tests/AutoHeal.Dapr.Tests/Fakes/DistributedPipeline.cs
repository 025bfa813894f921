using System.Diagnostics;
using System.Text;
using AutoHeal.Docker;
using AutoHeal.Domain.Selection;
using AutoHeal.Watcher;
using AutoHeal.Watcher.Dapr;
using Dapr.Actors.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace AutoHeal.Dapr.Tests.Fakes;

/// <summary>
/// The whole distributed pipeline in this process, over the real Docker engine, with only the Dapr runtime's plumbing
/// substituted:
/// the watcher role (its real parts as composed by <see cref="WatcherModule.AddWatcher"/>, and
/// <see cref="WatcherEndpoints"/>, over one real <see cref="DockerRuntime"/>) publishes to <see cref="DistributedPubSub"/>,
/// which delivers to the healer role (the production subscription mapping, <see cref="ActorGuardians"/> over
/// <see cref="DistributedActors"/>), whose actors start heals on <see cref="DistributedHealWorkflows"/>, whose
/// activities call the watcher's routes with the product's <see cref="WatcherClient"/> and report to the actors.
/// Containers opt in with a label key unique to the pipeline; the policy is fast.
/// </summary>
public sealed class DistributedPipeline : IAsyncLifetime
{
    /// <summary>The Docker host's name (the watcher's, and the first half of every container key).</summary>
    public const string HostName = "local";

    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(10);
    private readonly EngineRig _engine = new();
    private readonly RecordingEventSink _watcherEvents = new();
    private SurfaceHost? _healer;
    private SurfaceHost? _watcher;

    /// <summary>Why the tests are skipped, or null.</summary>
    public string? SkipReason => _engine.SkipReason;

    public DockerCli Docker => _engine.Docker;

    /// <summary>The opt-in label key of this pipeline: <c>--label {key}=true</c> makes a container monitored.</summary>
    public string LabelKey => $"{Docker.RunId}.heal";

    /// <summary>The <c>docker run</c> arguments that opt a container in.</summary>
    public string[] OptIn => ["--label", $"{LabelKey}=true"];

    /// <summary>A fast policy: heals at once, short timeouts; the first heal of an incident waits for nothing.</summary>
    public static HealPolicy Policy { get; } = HealPolicy.Default with
    {
        Cooldown = TimeSpan.FromSeconds(1),
        BackoffInitial = TimeSpan.FromSeconds(1),
        VerifyTimeout = TimeSpan.FromSeconds(10),
        StopTimeout = TimeSpan.FromSeconds(1),
    };

    internal FixedSettingsSource Settings { get; private set; } = null!;

    /// <summary>The events the actors published.</summary>
    internal RecordingEventSink Events { get; } = new();

    internal DistributedPubSub PubSub { get; private set; } = null!;

    internal DistributedActors Actors { get; private set; } = null!;

    internal DistributedHealWorkflows Workflows { get; private set; } = null!;

    /// <summary>The healer's guardians, as the API reads them.</summary>
    internal IGuardians Guardians => _healer!.Get<IGuardians>();

    public static ContainerKey Key(string name) => new(HostName, name);

    public async Task InitializeAsync()
    {
        if (!await _engine.OpenAsync("DistributedHealTests", HostName))
        {
            return;
        }

        var time = TimeProvider.System;
        Settings = new FixedSettingsSource(Policy, new SelectionRules { LabelKey = LabelKey });
        var watchers = new SurfaceWatcherClients();
        Workflows = new DistributedHealWorkflows(watchers, Settings, time);
        Actors = new DistributedActors(Settings, Workflows, Events, time);

        // The healer role: the subscription exactly as mapped in production, the guardians as actors.
        _healer = await SurfaceHost.StartAsync(
            builder =>
            {
                var services = builder.Services;
                services.AddSingleton(time);
                services.AddSingleton<ISettingsSource>(Settings);
                services.AddSingleton<IActorProxyFactory>(Actors);
                services.AddSingleton<IGuardians, ActorGuardians>();
            },
            app =>
            {
                app.UseCloudEvents();
                app.MapSubscribeHandler();
                app.MapSignalSubscription();
            });
        Actors.LoggerFactory = _healer.Get<ILoggerFactory>();
        Workflows.Guardians = _healer.Get<IGuardians>();

        // The pub/sub learns the healer's subscription before the watcher publishes anything.
        PubSub = new DistributedPubSub(_healer.Client);
        await PubSub.StartAsync();

        // The watcher role, as SurfaceWatcher composes it, with this pipeline's settings and pub/sub.
        _watcher = await SurfaceHost.StartAsync(
            builder => SurfaceWatcher.Compose(builder, _engine.Runtime, _engine.Store, Settings, _watcherEvents, PubSub),
            app => app.MapWatcherEndpoints());
        watchers[HostName] = new WatcherClient(_watcher.Client, $"dapr://{DaprNames.WatcherAppId(HostName)}");

        await WaitUntilEventsFlowAsync();
    }

    /// <summary>
    /// The watcher sweeps first and follows Docker's events after: a container started in between would only be seen
    /// by the next sweep. Once the watcher says the engine is up (after its first sweep), an unlabelled canary whose
    /// start event reaches the healer shows the event stream is live.
    /// </summary>
    private async Task WaitUntilEventsFlowAsync()
    {
        await Eventually.HoldsAsync(() => Task.FromResult(_watcherEvents.Events.Any(e => e.Kind == EventKind.EngineUp)),
            ReadyTimeout, "the watcher to reach the Docker engine");
        for (var i = 1; ; i++)
        {
            var name = Docker.Name($"canary{i}");
            await Docker.StartAsync(name, "exec sleep 1000");
            try
            {
                await Eventually.HoldsAsync(
                    () => Task.FromResult(PubSub.For(Key(name)).Any(d => d.Signal.Kind == SignalKind.Started && d.Outcome == "SUCCESS")),
                    TimeSpan.FromSeconds(2), $"the start of {name} to reach the healer");
                return;
            }
            catch (TimeoutException) when (i < 5)
            {
                // started before the event stream was followed: another one
            }
        }
    }

    /// <summary>Waits for <paramref name="condition"/>; on timeout, fails with what the pipeline did for the container.</summary>
    public async Task WaitForAsync(string name, Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        try
        {
            await Eventually.HoldsAsync(condition, timeout, what);
        }
        catch (TimeoutException ex)
        {
            Assert.Fail($"{ex.Message}\n{await StoryAsync(name)}");
        }
    }

    /// <summary>
    /// Checks <paramref name="problem"/> (null: all is well) every 200 ms for <paramref name="duration"/>; fails at the
    /// first problem, with what the pipeline did for the container.
    /// </summary>
    public async Task HoldsThroughoutAsync(string name, TimeSpan duration, Func<Task<string?>> problem)
    {
        var clock = Stopwatch.StartNew();
        do
        {
            if (await problem() is { } found)
            {
                Assert.Fail($"after {clock.Elapsed.TotalSeconds:0.0}s: {found}\n{await StoryAsync(name)}");
            }

            await Task.Delay(200);
        }
        while (clock.Elapsed < duration);
    }

    /// <summary>Everything the pipeline did for one container, for failure messages.</summary>
    public async Task<string> StoryAsync(string name)
    {
        var key = Key(name);
        var story = new StringBuilder($"--- what the pipeline did for {key} ---\n");
        story.Append("docker: ").AppendLine((await DockerCli.TryRunAsync("inspect", "--format", "{{.State.Status}} exit={{.State.ExitCode}} started={{.State.StartedAt}}", name)).Stdout.Trim());
        foreach (var d in PubSub.For(key))
        {
            story.AppendLine($"signal {d.Signal.Kind} at {d.Signal.At:HH:mm:ss.fff} status={d.Signal.Facts.Status} exit={d.Signal.ExitCode} monitored={d.Signal.Facts.Monitored}: {d.Outcome} ({d.Attempts} attempt(s))");
        }

        foreach (var e in Events.Events.Where(e => e.Key == key))
        {
            story.AppendLine($"event {e.Kind} at {e.At:HH:mm:ss.fff}: {e.Message}");
        }

        foreach (var run in Workflows.For(key))
        {
            story.AppendLine($"workflow {run}");
        }

        var saved = await Actors.SavedAsync(key);
        story.AppendLine(saved is null ? "actor: never activated" : $"actor state: {string.Join("; ", saved.Select(kv => $"{kv.Key}={kv.Value}"))}");
        var active = await Actors.ActiveRemindersAsync(key);
        foreach (var r in await Actors.RegisteredRemindersAsync(key))
        {
            story.AppendLine($"reminder {r.Name} registered {r.RegisteredAt:HH:mm:ss.fff}, due {r.DueAt:HH:mm:ss.fff}{(active.Contains(r) ? " (active)" : "")}");
        }

        foreach (var (host, log) in new[] { ("healer", _healer!.Log), ("watcher", _watcher!.Log) })
        {
            foreach (var line in log.Lines.Where(l => l.Level >= LogLevel.Warning || l.Message.Contains(name, StringComparison.Ordinal)))
            {
                story.AppendLine($"{host} log {line.Level}: {line.Message}");
            }
        }

        return story.ToString();
    }

    /// <summary>The container's saved guardian, read from the actor's state store.</summary>
    internal async Task<GuardianState?> SavedGuardianAsync(string name) =>
        await Actors.SavedAsync(Key(name)) is { } saved && saved.TryGetValue(ContainerActor.StateName, out var json)
            ? JsonSerializer.Deserialize<GuardianState>(json, DaprWire.Json)
            : null;

    public async Task DisposeAsync()
    {
        // The pipeline stops first, so the removals below signal nothing.
        if (_watcher is not null)
        {
            await _watcher.DisposeAsync();
        }

        if (PubSub is not null)
        {
            await PubSub.DisposeAsync();
        }

        if (Workflows is not null)
        {
            await Workflows.DisposeAsync();
        }

        if (_healer is not null)
        {
            await _healer.DisposeAsync();
        }

        await _engine.DisposeAsync();
    }
}
