using Microsoft.Extensions.Time.Testing;

namespace AutoHeal.Healer.Tests;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that also counts the timers waiting on it, so a test can tell when
/// background work has reached a <c>Task.Delay</c> and only then move the clock.
/// </summary>
internal sealed class ObservedClock(DateTimeOffset start) : FakeTimeProvider(start)
{
    private int _pending;

    /// <summary>Timers created and not yet disposed (a <c>Task.Delay</c> disposes its timer when it ends).</summary>
    public int PendingTimers => Volatile.Read(ref _pending);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        Interlocked.Increment(ref _pending);
        return new Tracked(timer, this);
    }

    /// <summary>Waits until something waits on the clock, then moves it forward by <paramref name="by"/>.</summary>
    public async Task AdvanceWhenWaitedOnAsync(TimeSpan by)
    {
        await Eventually.TrueAsync(() => PendingTimers > 0, "a heal job waiting on the clock");
        Advance(by);
    }

    private sealed class Tracked(ITimer inner, ObservedClock clock) : ITimer
    {
        private int _disposed;

        public bool Change(TimeSpan dueTime, TimeSpan period) => inner.Change(dueTime, period);

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Interlocked.Decrement(ref clock._pending);
            }

            inner.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
