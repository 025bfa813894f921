using AutoHeal.Core;
using AutoHeal.Core.Containers;
using AutoHeal.Domain.Selection;
using AutoHeal.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AutoHeal.Healer.Tests;

/// <summary>
/// The embedded healer as <see cref="HealerModule.AddHealer"/> composes it, started, over a fake engine (with the
/// host's real restart slots), a fake clock and a real SQLite store in a temp folder. Tests play the watcher: they
/// change the fake engine and tell the guardians what it did, with <see cref="ContainerSignal"/>s.
/// </summary>
internal sealed class HealerHarness : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2025, 3, 3, 9, 0, 0, TimeSpan.Zero);
    public const string HostName = "host-1";

    private readonly TempFolder? _ownedFolder;
    private bool _stopped;

    private HealerHarness(
        ObservedClock clock, FakeContainerRuntime runtime, FixedSettingsSource settings, RecordingEventSink sink,
        SqliteStore store, IHost host, TempFolder? ownedFolder)
    {
        Clock = clock;
        Runtime = runtime;
        Settings = settings;
        Sink = sink;
        Store = store;
        Host = host;
        Guardians = host.Services.GetRequiredService<IGuardians>();
        _ownedFolder = ownedFolder;
    }

    public ObservedClock Clock { get; }

    /// <summary>The engine's clock: AutoHeal's, moved by the harness's engine offset. Signals and start times are by it.</summary>
    public TimeProvider EngineClock { get; private init; } = null!;

    public FakeContainerRuntime Runtime { get; }

    public FixedSettingsSource Settings { get; }

    /// <summary>Every event handed to the event sinks.</summary>
    public RecordingEventSink Sink { get; }

    public SqliteStore Store { get; }

    public IHost Host { get; }

    public IGuardians Guardians { get; }

    /// <param name="policy">The global policy; the defaults otherwise.</param>
    /// <param name="maxConcurrentRestarts">The restart gate's size (<see cref="ISettingsSource.MaxConcurrentRestarts"/>).</param>
    /// <param name="dataDir">The data folder; a fresh temp folder (deleted on dispose) otherwise.</param>
    /// <param name="now">The fake clock's start.</param>
    /// <param name="guardianStore">What the guardians save to, over the store (a test's failing one); the store itself otherwise.</param>
    /// <param name="engineAhead">How far the engine's clock (start times, event times) runs ahead of AutoHeal's; negative: behind.</param>
    /// <param name="engine">What the fake engine holds before the healer starts (the start resumes saved heals at once).</param>
    public static async Task<HealerHarness> StartAsync(
        HealPolicy? policy = null, int maxConcurrentRestarts = 4, string? dataDir = null, DateTimeOffset? now = null,
        Func<SqliteStore, IGuardianStore>? guardianStore = null, TimeSpan engineAhead = default, Action<FakeContainerRuntime>? engine = null)
    {
        var owned = dataDir is null ? new TempFolder() : null;
        var clock = new ObservedClock(now ?? Start);
        var engineClock = new EngineClock(clock, engineAhead);
        var runtime = new FakeContainerRuntime(engineClock, HostName);
        engine?.Invoke(runtime);
        var settings = new FixedSettingsSource(policy) { MaxConcurrentRestarts = maxConcurrentRestarts };
        var sink = new RecordingEventSink();
        var store = await SqliteStore.OpenAsync(dataDir ?? owned!.Path, retention: 10_000, CancellationToken.None);

        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddLogging();
        builder.Services.AddSingleton<TimeProvider>(clock);
        builder.Services.AddSingleton<IGuardianStore>(guardianStore?.Invoke(store) ?? store);
        builder.Services.AddSingleton<ISettingsSource>(settings);
        builder.Services.AddSingleton<IEventSinkPart>(new SinkPart(sink));
        builder.Services.AddEventFanOut();
        builder.Services.AddSingleton<IEventLog>(store);
        builder.Services.AddSingleton<IEventRecorder, AutoHeal.Core.Events.LoggedEventRecorder>();
        builder.Services.AddLocalEngine(runtime, new HostIdentity(HostName, null));
        builder.AddHealer();
        var host = builder.Build();
        await host.StartAsync();
        return new HealerHarness(clock, runtime, settings, sink, store, host, owned) { EngineClock = engineClock };
    }

    public static ContainerKey Key(string name) => new(HostName, name);

    /// <summary>The fake engine's id for a container added by <see cref="AddRunningAsync"/>.</summary>
    public static string IdOf(string name) => $"{name}-id";

    /// <summary>
    /// A monitored container, running now (healthy, if it has a health check), as the watcher's first sweep
    /// reports it to its guardian.
    /// </summary>
    public async Task AddRunningAsync(string name, bool hasHealthCheck = false)
    {
        Runtime.Add(Runtime.Running(IdOf(name), name) with
        {
            HasHealthCheck = hasHealthCheck,
            Health = hasHealthCheck ? HealthStatus.Healthy : HealthStatus.None,
        });
        await SignalAsync(name, SignalKind.Observed);
    }

    /// <summary>What the watcher knows of the container: the fake engine's view, monitored.</summary>
    public ContainerFacts Facts(string name) => Runtime.Get(name).ToFacts(Monitored);

    /// <summary>The verdict of a container opted in by its label.</summary>
    public static readonly SelectionVerdict Monitored = new(true, "label autoheal=true");

    /// <summary>Tells the guardian what the watcher saw, at the engine's now, with the engine's current facts.</summary>
    public Task<GuardianResult> SignalAsync(string name, SignalKind kind, int? exitCode = null, string? detail = null) =>
        Guardians.TellAsync(
            new ContainerSignal(Key(name), kind, EngineClock.GetUtcNow(), Facts(name)) { ExitCode = exitCode, Detail = detail },
            CancellationToken.None);

    /// <summary>The container's process dies with <paramref name="exitCode"/>, and the watcher reports the die event.</summary>
    public Task<GuardianResult> CrashAsync(string name, int exitCode = 1)
    {
        Runtime.Exit(name, exitCode);
        return SignalAsync(name, SignalKind.Died, exitCode);
    }

    /// <summary>The health check fails, and the watcher reports it.</summary>
    public Task<GuardianResult> TurnUnhealthyAsync(string name)
    {
        Runtime.SetHealth(name, HealthStatus.Unhealthy);
        return SignalAsync(name, SignalKind.Unhealthy, detail: "HTTP 500");
    }

    /// <summary>
    /// The heal under way has restarted a container that has a health check and waits for healthy:
    /// the check passes, and the next verification poll sees it.
    /// </summary>
    public async Task PassHealthCheckAfterRestartAsync(string name, int healedSoFar = 0)
    {
        // The restart first: before it, the pending timer may be the diagnostics' time-box, not verification's.
        await Eventually.TrueAsync(() => RestartsOf(name) > healedSoFar, $"the restart of {name}");
        await Eventually.TrueAsync(() => Clock.PendingTimers > 0, $"verification of {name} to wait for healthy");
        Runtime.SetHealth(name, HealthStatus.Healthy);
        Clock.Advance(HealSteps.VerifyPoll);
        await WaitForEventAsync(name, EventKind.Healed, healedSoFar + 1);
    }

    /// <summary>Restarts of the container so far.</summary>
    public int RestartsOf(string name) => Runtime.Restarts.Count(r => r.Id == IdOf(name));

    /// <summary>The container's saved events, oldest first.</summary>
    public async Task<IReadOnlyList<AutoHealEvent>> EventsAsync(string name, EventKind? kind = null)
    {
        var newestFirst = await Store.ReadEventsAsync(
            new EventQuery { Container = name, Limit = 1000, Kinds = kind is { } k ? [k] : null }, CancellationToken.None);
        return newestFirst.Reverse().ToList();
    }

    /// <summary>Every saved event of this kind, of any container.</summary>
    public Task<IReadOnlyList<AutoHealEvent>> AllEventsAsync(EventKind kind) =>
        Store.ReadEventsAsync(new EventQuery { Limit = 1000, Kinds = [kind] }, CancellationToken.None);

    public Task WaitForEventAsync(string name, EventKind kind, int count = 1) =>
        Eventually.TrueAsync(async () => (await EventsAsync(name, kind)).Count >= count, $"{count} {kind} event(s) of {name}");

    /// <summary>Crashes the container and waits until its heal is verified: one heal of the incident done.</summary>
    public async Task CrashAndHealAsync(string name)
    {
        await CrashAsync(name);
        await WaitForEventAsync(name, EventKind.Healed);
    }

    /// <summary>
    /// The guardian's state as last saved. It is saved in one transaction with its events, so it always
    /// agrees with <see cref="EventsAsync"/>; the mailbox's in-memory copy is set a moment after the save.
    /// </summary>
    public async Task<GuardianState> StateAsync(string name) =>
        await Store.LoadGuardianAsync(Key(name), CancellationToken.None)
        ?? throw new InvalidOperationException($"no guardian for {name}");

    /// <summary>Runs the start-up resumer, as the host does when it starts.</summary>
    public Task ResumeAsync() =>
        Host.Services.GetServices<IHostedService>().OfType<HealResumer>().Single().StartAsync(CancellationToken.None);

    /// <summary>Stops the healer as a shutdown does (jobs are called off, nothing more is saved) and closes the store.</summary>
    public async Task StopAsync()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        var runner = Host.Services.GetRequiredService<InProcessHealRunner>();
        await Host.StopAsync();
        Host.Dispose();
        var settled = DateTime.UtcNow + TimeSpan.FromSeconds(2);
        while (runner.Running > 0 && DateTime.UtcNow < settled)
        {
            await Task.Delay(5);
        }

        await Store.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _ownedFolder?.Dispose();
    }

    private sealed class SinkPart(IEventSink inner) : IEventSinkPart
    {
        public ValueTask PublishAsync(IReadOnlyList<AutoHealEvent> events, CancellationToken cancellationToken) =>
            inner.PublishAsync(events, cancellationToken);
    }
}

/// <summary>Another host's clock: the test's, a fixed offset ahead (or behind); its timers are the test's.</summary>
internal sealed class EngineClock(TimeProvider inner, TimeSpan ahead) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => inner.GetUtcNow() + ahead;

    public override long GetTimestamp() => inner.GetTimestamp();

    public override long TimestampFrequency => inner.TimestampFrequency;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        inner.CreateTimer(callback, state, dueTime, period);
}
