using AutoHeal.Core.Containers;
using Microsoft.Extensions.Logging.Abstractions;

namespace AutoHeal.Core.Tests;

/// <summary>
/// A silent event stream, told by a change the sweep found that the stream never carried; never by a quiet host, a
/// change the stream carried a moment later, or one from before (or just after) it connected.
/// </summary>
public sealed class EventStreamWatchTests
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly EventStreamWatch _watch = new(NullLogger<EventStreamWatch>.Instance);
    private int _stale;

    public EventStreamWatchTests() => _watch.Stale += (_, _) => _stale++;

    [Fact]
    public void A_change_the_stream_did_not_carry_within_the_grace_makes_it_silent_until_it_delivers_again()
    {
        _watch.Connected(T0);
        _watch.Received(T0.AddSeconds(10));
        _watch.SweepFound("web", "went exited", T0.AddSeconds(20));
        _watch.Look(T0.AddSeconds(22));
        Assert.Null(_watch.WhyStuck(T0));
        Assert.Equal(0, _stale);

        _watch.Look(T0.AddSeconds(26));

        Assert.Contains("missed that web went exited at 2026-05-01 12:00:20Z", _watch.WhyStuck(T0), StringComparison.Ordinal);
        Assert.Equal(1, _stale); // the loop reconnects
        _watch.Connected(T0.AddSeconds(27));
        Assert.NotNull(_watch.WhyStuck(T0)); // until the new stream delivers
        _watch.Received(T0.AddSeconds(20)); // the replay of what it missed
        Assert.Null(_watch.WhyStuck(T0));
    }

    [Fact]
    public void A_change_whose_event_comes_a_moment_after_the_sweep_saw_it_is_no_silence()
    {
        _watch.Connected(T0);
        _watch.SweepFound("web", "went exited", T0.AddSeconds(20));
        _watch.Received(T0.AddSeconds(19.6)); // the die event, in whole seconds of the engine

        _watch.Look(T0.AddSeconds(60));

        Assert.Null(_watch.WhyStuck(T0));
        Assert.Equal(0, _stale);
    }

    [Fact]
    public void A_stream_that_delivered_after_the_change_is_not_silent_and_a_quiet_host_never_is()
    {
        _watch.Connected(T0);
        _watch.Look(T0.AddHours(5)); // nothing changed, nothing came: a quiet host
        _watch.Received(T0.AddHours(5).AddSeconds(3));
        _watch.SweepFound("web", "started", T0.AddHours(5)); // its event came already

        _watch.Look(T0.AddHours(6));

        Assert.Null(_watch.WhyStuck(T0));
    }

    [Fact]
    public void Changes_before_or_just_after_a_connection_are_the_sweeps_to_catch()
    {
        _watch.Connected(T0);
        _watch.SweepFound("early", "started", T0.AddSeconds(3)); // while the stream subscribes
        _watch.Look(T0.AddSeconds(30));
        _watch.SweepFound("during-an-outage", "went exited", T0.AddSeconds(40));
        _watch.Connected(T0.AddSeconds(45)); // a reconnect after the engine was away: the full sweep catches it

        _watch.Look(T0.AddSeconds(90));

        Assert.Null(_watch.WhyStuck(T0));
        Assert.Equal(0, _stale);
    }

    [Fact]
    public void Before_any_connection_nothing_counts()
    {
        _watch.SweepFound("web", "went exited", T0);
        _watch.Look(T0.AddMinutes(1));

        Assert.Null(_watch.WhyStuck(T0));
    }
}
