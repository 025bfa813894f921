using System.Diagnostics;

namespace AutoHeal.TestUtils;

/// <summary>
/// Waiting, in real time, for something to happen: background work over fakes (mailboxes, heal jobs), or
/// a real engine, process or browser. Only the waiting uses real time; what is asserted never depends on
/// how long it took. Never used by product code.
/// </summary>
public static class Eventually
{
    /// <summary>How long work over fakes may take to settle.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan FastPoll = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan SlowPoll = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Grace = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Polls until <paramref name="condition"/> holds; throws <see cref="TimeoutException"/> naming
    /// <paramref name="what"/> after <paramref name="timeout"/>. An exception from the condition means
    /// "not yet" (a 404, a container not created yet); the last one is in the message.
    /// </summary>
    public static Task HoldsAsync(Func<Task<bool>> condition, TimeSpan timeout, string what) => PollAsync(condition, timeout, SlowPoll, () => what);

    /// <summary>As <see cref="HoldsAsync(Func{Task{bool}}, TimeSpan, string)"/>, with what it waited for told at the timeout (a log as it is then).</summary>
    public static Task HoldsAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string> what) => PollAsync(condition, timeout, SlowPoll, what);

    /// <summary>Polls until <paramref name="value"/> gives something (not null), and returns it; throws like <see cref="HoldsAsync(Func{Task{bool}}, TimeSpan, string)"/>.</summary>
    public static async Task<T> ValueAsync<T>(Func<Task<T?>> value, TimeSpan timeout, string what)
        where T : class
    {
        T? found = null;
        await PollAsync(async () => (found = await value()) is not null, timeout, SlowPoll, () => what);
        return found!;
    }

    /// <summary>Polls (often) until <paramref name="condition"/> holds, for work over fakes; throws after <see cref="Patience"/>.</summary>
    public static Task TrueAsync(Func<Task<bool>> condition, string what) => PollAsync(condition, Patience, FastPoll, () => what);

    /// <inheritdoc cref="TrueAsync(Func{Task{bool}}, string)"/>
    public static Task TrueAsync(Func<bool> condition, string what) => TrueAsync(() => Task.FromResult(condition()), what);

    /// <summary>
    /// Gives background work a moment (<paramref name="duration"/>, 100 ms by default) to do what it must not,
    /// checking all along that <paramref name="condition"/> still holds. Use it after a positive sign that the
    /// work has had its turn (an event saying it decided, a view showing what it saw), never alone.
    /// </summary>
    public static async Task StaysTrueAsync(Func<Task<bool>> condition, string what, TimeSpan? duration = null)
    {
        var clock = Stopwatch.StartNew();
        do
        {
            if (!await condition())
            {
                throw new InvalidOperationException($"expected {what}, and it stopped holding after {clock.Elapsed.TotalMilliseconds:0} ms");
            }

            await Task.Delay(duration is null ? FastPoll : SlowPoll);
        }
        while (clock.Elapsed < (duration ?? Grace));
    }

    /// <inheritdoc cref="StaysTrueAsync(Func{Task{bool}}, string, TimeSpan?)"/>
    public static Task StaysTrueAsync(Func<bool> condition, string what, TimeSpan? duration = null) =>
        StaysTrueAsync(() => Task.FromResult(condition()), what, duration);

    private static async Task PollAsync(Func<Task<bool>> condition, TimeSpan timeout, TimeSpan poll, Func<string> what)
    {
        var clock = Stopwatch.StartNew();
        Exception? last = null;
        while (clock.Elapsed < timeout)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                last = ex; // not there yet: keep polling
            }

            await Task.Delay(poll);
        }

        throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0.#}s waiting for: {what()}{(last is null ? "" : $" (last error: {last.Message})")}");
    }
}
