using AutoHeal.TestUtils.Fakes;
using AutoHeal.Watcher;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace AutoHeal.Integration.Tests;

/// <summary>The watcher's reading of the engine's clock: what it corrects, and that it never stops the watching.</summary>
public sealed class EngineClockTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task An_engine_whose_clock_runs_ahead_moves_the_watchers_signal_times_with_it()
    {
        var time = new FakeTimeProvider(Start);
        var runtime = new FakeContainerRuntime(time, "local") { EngineAhead = TimeSpan.FromMinutes(7) };
        var clock = new EngineClock(runtime, time, NullLogger<EngineClock>.Instance);

        await clock.SyncAsync(now: true, CancellationToken.None);

        Assert.Equal(Start + TimeSpan.FromMinutes(7), clock.Now());
    }

    [Fact]
    public async Task A_socket_proxy_that_refuses_the_engines_info_leaves_the_clock_as_it_was_and_throws_nothing()
    {
        var time = new FakeTimeProvider(Start);
        var runtime = new FakeContainerRuntime(time, "local") { EngineAhead = TimeSpan.FromMinutes(7) };
        var clock = new EngineClock(runtime, time, NullLogger<EngineClock>.Instance);
        await clock.SyncAsync(now: true, CancellationToken.None);

        runtime.EngineTimeFailure = new InvalidOperationException("Docker API responded with status code=Forbidden"); // Tecnativa's INFO=0
        await clock.SyncAsync(now: true, CancellationToken.None);

        Assert.Equal(TimeSpan.FromMinutes(7), clock.Offset);
    }
}
