namespace AutoHeal.Core;

/// <summary>
/// Wakes a loop that waits for something it follows to change (the containers, the settings), instead of
/// the loop looking every second while nothing happens. A change while the loop is busy is kept: its next
/// wait returns at once.
/// </summary>
public sealed class ChangeSignal
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Something changed.</summary>
    public void Notify() => Volatile.Read(ref _next).TrySetResult();

    /// <summary>Until the next change, or <paramref name="atMost"/> on <paramref name="time"/> (infinite when null).</summary>
    public async Task WaitAsync(TimeSpan? atMost, TimeProvider time, CancellationToken cancellationToken)
    {
        var next = Volatile.Read(ref _next);
        if (!next.Task.IsCompleted)
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var delay = Task.Delay(atMost ?? Timeout.InfiniteTimeSpan, time, stop.Token);
            await Task.WhenAny(next.Task, delay);
            await stop.CancelAsync();
            cancellationToken.ThrowIfCancellationRequested();
        }

        if (next.Task.IsCompleted)
        {
            Interlocked.CompareExchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), next);
        }
    }
}
