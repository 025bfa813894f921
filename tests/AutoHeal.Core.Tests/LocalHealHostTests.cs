using AutoHeal.Core.Containers;
using AutoHeal.Core.Heals;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace AutoHeal.Core.Tests;

/// <summary>The engine side of every heal: a restart happens only to the container the heal saw, in Docker's words when it cannot.</summary>
public sealed class LocalHealHostTests : IDisposable
{
    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly TimeSpan Stop = TimeSpan.FromSeconds(10);
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2025, 3, 3, 9, 0, 0, TimeSpan.Zero));
    private readonly FakeContainerRuntime _runtime;
    private readonly RestartSlots _slots;
    private readonly HostStorm _storm;

    public LocalHealHostTests()
    {
        _runtime = new FakeContainerRuntime(_clock, "local");
        _slots = new RestartSlots(() => 4, _clock);
        _storm = new HostStorm(new FixedSettingsSource(), new RecordingEventSink(), new HostIdentity("local", null), _clock, () => _slots.Idle, NullLogger<HostStorm>.Instance);
    }

    public void Dispose()
    {
        _storm.Dispose();
        _slots.Dispose();
    }

    [Fact]
    public async Task A_container_still_as_the_heal_saw_it_is_restarted_and_shown_as_it_is_after()
    {
        var host = Host();
        var seen = _runtime.Add(_runtime.Running("web-id", "web")).Seen;
        _clock.Advance(TimeSpan.FromSeconds(5));

        var result = await host.RestartAsync("web-id", Stop, seen, None);

        Assert.Equal(RestartOutcome.Restarted, result.Outcome);
        Assert.Equal(_clock.GetUtcNow(), result.Container?.StartedAt);
        Assert.Equal(Stop, Assert.Single(_runtime.Restarts).StopTimeout);
    }

    [Fact]
    public async Task A_container_that_changed_since_is_left_as_it_is_and_shown_as_it_is_now()
    {
        var host = Host();
        var seen = _runtime.Add(_runtime.Running("web-id", "web")).Seen;
        _runtime.Exit("web", 143); // an operator stopped it meanwhile

        var result = await host.RestartAsync("web-id", Stop, seen, None);

        Assert.Equal(RestartOutcome.Changed, result.Outcome);
        Assert.Equal(ContainerStatus.Exited, result.Container?.Status);
        Assert.StartsWith("the container changed since it was rechecked (now exited, started ", result.Detail, StringComparison.Ordinal);
        Assert.Empty(_runtime.Restarts);
    }

    [Fact]
    public async Task A_restart_docker_refuses_is_refused_in_dockers_words_and_a_removed_container_is_gone()
    {
        var host = Host();
        var seen = _runtime.Add(_runtime.Running("web-id", "web")).Seen;
        _runtime.RestartFailure = new InvalidOperationException("cannot start: port is already allocated");
        _runtime.Add(_runtime.Running("db-id", "db"));
        var dbSeen = _runtime.Get("db").Seen;
        _runtime.Remove("db");

        var refused = await host.RestartAsync("web-id", Stop, seen, None);
        var gone = await host.RestartAsync("db-id", Stop, dbSeen, None);

        Assert.Equal((RestartOutcome.Refused, "cannot start: port is already allocated"), (refused.Outcome, refused.Detail));
        Assert.Equal((RestartOutcome.Gone, "the container is gone"), (gone.Outcome, gone.Detail));
    }

    [Fact]
    public async Task AutoHeals_own_container_is_never_restarted()
    {
        var host = Host(self: "self-id");
        var seen = _runtime.Add(_runtime.Running("self-id", "autoheal")).Seen;

        var result = await host.RestartAsync("autoheal", Stop, seen, None);

        Assert.Equal((RestartOutcome.Refused, "AutoHeal does not restart its own container"), (result.Outcome, result.Detail));
        Assert.Empty(_runtime.Restarts);
    }

    [Fact]
    public async Task An_unreachable_engine_is_said_so_not_taken_for_a_refusal()
    {
        var host = Host();
        var seen = _runtime.Add(_runtime.Running("web-id", "web")).Seen;
        _runtime.Unreachable = true;

        await Assert.ThrowsAsync<EngineUnavailableException>(() => host.RestartAsync("web-id", Stop, seen, None));
    }

    private LocalHealHost Host(string? self = null) =>
        new(_runtime, _slots, _storm, new ComposeDeploys(_clock, NullLogger<ComposeDeploys>.Instance), new HostIdentity("local", self), _clock);
}
