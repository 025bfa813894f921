using AutoHeal.Core.Stores;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace AutoHeal.Healer.Tests;

/// <summary>
/// Watching the watcher: a guardian whose mailbox stopped draining (its turn hangs) is said to be stuck, which is what
/// makes <c>/health</c> 503 and stops the heartbeat, and is no longer once the turn ends.
/// </summary>
public sealed class StuckMailboxTests
{
    [Fact]
    public async Task A_mailbox_whose_turn_hangs_is_stuck_after_two_minutes_and_not_once_it_drains()
    {
        await using var temp = await TempStore.OpenAsync();
        var clock = new FakeTimeProvider(HealerHarness.Start);
        var sink = new GatedSink();
        using var mailboxes = new GuardianMailboxes(
            temp.Store, new GuardianTurn(new FixedSettingsSource(), sink, clock), new NoRunner(), new StoreHealth(clock), clock, NullLogger<GuardianMailboxes>.Instance);
        var key = HealerHarness.Key("web");
        var facts = new ContainerFacts { Id = "web-id", ImageId = "sha256:1", Status = ContainerStatus.Exited, ExitCode = 1, Monitored = true, SelectionReason = "test" };

        var hanging = mailboxes.TellAsync(new ContainerSignal(key, SignalKind.Died, clock.GetUtcNow(), facts) { ExitCode = 1 }, CancellationToken.None);
        await sink.Entered.Task.WaitAsync(TimeSpan.FromSeconds(10)); // the turn is publishing its events: it hangs there
        _ = mailboxes.TellAsync(new Wake(key), CancellationToken.None); // and the next input waits behind it

        Assert.Null(mailboxes.WhyStuck(clock.GetUtcNow().AddMinutes(1)));
        var why = mailboxes.WhyStuck(clock.GetUtcNow().AddMinutes(3));
        Assert.NotNull(why);
        Assert.Contains("host-1/web", why, StringComparison.Ordinal);
        Assert.Contains("not draining", why, StringComparison.Ordinal);

        sink.Gate.SetResult();
        await hanging.WaitAsync(TimeSpan.FromSeconds(10));
        await Eventually.TrueAsync(() => Task.FromResult(mailboxes.WhyStuck(clock.GetUtcNow().AddMinutes(3)) is null), "the mailbox to drain");
    }

    /// <summary>An event sink whose first publish waits for the test.</summary>
    private sealed class GatedSink : IEventSink
    {
        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async ValueTask PublishAsync(IReadOnlyList<AutoHealEvent> events, CancellationToken cancellationToken)
        {
            Entered.TrySetResult();
            await Gate.Task;
        }
    }

    private sealed class NoRunner : IHealRunner
    {
        public void Start(HealJob job)
        {
        }

        public void Cancel(string jobId)
        {
        }
    }
}
