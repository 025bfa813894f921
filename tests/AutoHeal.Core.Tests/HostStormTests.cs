using AutoHeal.Core.Containers;
using AutoHeal.Core.Heals;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace AutoHeal.Core.Tests;

/// <summary>
/// The storm breaker where heals ask a host for a restart slot: automatic heals of a storm wait out its cool-down,
/// then take the slots one at a time; an operator's restart never waits; one event when it begins, one when it ends.
/// </summary>
public sealed class HostStormTests : IDisposable
{
    private static readonly TimeSpan Forever = Timeout.InfiniteTimeSpan;
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 5, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly RecordingEventSink _events = new();
    private readonly RestartSlots _slots;
    private readonly HostStorm _storm;
    private readonly LocalHealHost _host;

    public HostStormTests()
    {
        var settings = new FixedSettingsSource { MaxConcurrentRestarts = 4, Storm = new StormRule(2, TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(30)) };
        var identity = new HostIdentity("pi", null);
        _storm = new HostStorm(settings, _events, identity, _clock, () => _slots!.Idle, NullLogger<HostStorm>.Instance);
        _slots = new RestartSlots(() => _storm.OneAtATime ? 1 : settings.MaxConcurrentRestarts, _clock);
        _host = new LocalHealHost(new FakeContainerRuntime(_clock, "pi"), _slots, _storm, new ComposeDeploys(_clock, NullLogger<ComposeDeploys>.Instance), identity, _clock);
    }

    public void Dispose()
    {
        _storm.Dispose();
        _slots.Dispose();
    }

    [Fact]
    public async Task A_storm_holds_automatic_heals_for_its_cool_down_then_they_restart_one_at_a_time_and_it_ends_once_quiet()
    {
        Assert.Equal(SlotEntry.Held, await Ask("a"));
        Assert.Equal(SlotEntry.Held, await Ask("b"));
        var c = Ask("c"); // the third container within the window: a storm
        var d = Ask("d");
        await Eventually.StaysTrueAsync(() => !c.IsCompleted && !d.IsCompleted, "c and d to wait out the cool-down");
        var storm = Assert.Single(_events.Events);
        Assert.Equal(EventKind.Storm, storm.Kind);
        Assert.Contains("storm on pi: 3 containers failed within 60s (a, b, c)", storm.Message, StringComparison.Ordinal);
        _slots.Leave("a#1");
        _slots.Leave("b#1");

        _clock.Advance(TimeSpan.FromSeconds(30));
        await Eventually.TrueAsync(() => c.IsCompleted || d.IsCompleted, "one of them to restart after the cool-down");
        await Eventually.StaysTrueAsync(() => !(c.IsCompleted && d.IsCompleted), "the other to wait for the first one's slot");
        _slots.Leave(c.IsCompleted ? "c#1" : "d#1");
        await Eventually.TrueAsync(() => c.IsCompleted && d.IsCompleted, "the second to restart once the first gave its slot back");
        _slots.Leave("c#1");
        _slots.Leave("d#1");

        _clock.Advance(TimeSpan.FromSeconds(60)); // a quiet window with nothing restarting
        await Eventually.TrueAsync(() => _events.Events.Count == 2, "the storm to end");
        var ended = _events.Events[1];
        Assert.Equal(EventKind.StormEnded, ended.Kind);
        Assert.Contains("storm on pi over", ended.Message, StringComparison.Ordinal);
        Assert.Contains("a, b, c, d", ended.Message, StringComparison.Ordinal);
        Assert.Equal(StormPhase.Calm, _storm.Phase);
        Assert.Equal(SlotEntry.Held, await Ask("e")); // four at a time again
        Assert.Equal(SlotEntry.Held, await Ask("f"));
    }

    [Fact]
    public async Task An_operators_restart_goes_through_a_storm_and_does_not_count_toward_one()
    {
        await Ask("a");
        await Ask("b");
        _ = Ask("c");
        await Eventually.TrueAsync(() => _storm.Phase == StormPhase.Open, "the storm");

        Assert.Equal(SlotEntry.Held, await _host.EnterSlotAsync(new SlotAsk("x#1", "pi/x", Automatic: false), Forever, TimeSpan.Zero, None));
        Assert.Single(_events.Events);
    }

    [Fact]
    public async Task A_call_that_may_wait_less_than_the_cool_down_is_told_to_ask_again()
    {
        await Ask("a");
        await Ask("b");
        _ = Ask("c");
        await Eventually.TrueAsync(() => _storm.Phase == StormPhase.Open, "the storm");

        var remote = _host.EnterSlotAsync(new SlotAsk("e#1", "pi/e", Automatic: true), Forever, TimeSpan.FromSeconds(10), None); // a watcher's call
        await Eventually.StaysTrueAsync(() => !remote.IsCompleted, "it to wait its ten seconds");
        _clock.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal(SlotEntry.Busy, await remote);
    }

    private Task<SlotEntry> Ask(string name) => _host.EnterSlotAsync(new SlotAsk($"{name}#1", $"pi/{name}", Automatic: true), Forever, Forever, None);
}
