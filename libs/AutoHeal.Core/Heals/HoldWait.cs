namespace AutoHeal.Core.Heals;

/// <summary>
/// How a hold on the host's side (a storm's cool-down, a compose deploy) waits within a heal's call for its slot:
/// until the hold ends, or until the call's own wait runs out first (then the heal asks again).
/// </summary>
internal static class HoldWait
{
    /// <summary>When a call that may wait <paramref name="wait"/> must answer; null: <see cref="Timeout.InfiniteTimeSpan"/>, never.</summary>
    public static DateTimeOffset? Deadline(TimeSpan wait, TimeProvider time) =>
        wait == Timeout.InfiniteTimeSpan ? null : time.GetUtcNow() + wait;

    /// <summary>Waits until <paramref name="until"/>: true then; false (having waited to it) when <paramref name="deadline"/> comes first.</summary>
    public static async Task<bool> UntilAsync(DateTimeOffset until, DateTimeOffset? deadline, TimeProvider time, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var end = deadline is { } d && d < until ? d : until;
        if (end > now)
        {
            await Task.Delay(end - now, time, cancellationToken);
        }

        return end == until;
    }
}
