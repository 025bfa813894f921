using System.Diagnostics;

namespace AutoHeal.Healer.Tests;

/// <summary>
/// Waits, in real time, for background work (mailboxes, heal jobs) to settle. Only the waiting uses real
/// time; what is asserted never depends on how long it took.
/// </summary>
internal static class Eventually
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan Grace = TimeSpan.FromMilliseconds(100);

    /// <summary>Polls until <paramref name="condition"/> holds; fails the test after a few seconds.</summary>
    public static async Task TrueAsync(Func<Task<bool>> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > Patience)
            {
                Assert.Fail($"gave up waiting for {what}");
            }

            await Task.Delay(Poll);
        }
    }

    /// <inheritdoc cref="TrueAsync(Func{Task{bool}}, string)"/>
    public static Task TrueAsync(Func<bool> condition, string what) => TrueAsync(() => Task.FromResult(condition()), what);

    /// <summary>
    /// Gives background work a moment to do what it must not, checking all along that
    /// <paramref name="condition"/> still holds.
    /// </summary>
    public static async Task StaysTrueAsync(Func<Task<bool>> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        do
        {
            Assert.True(await condition(), $"expected {what}");
            await Task.Delay(Poll);
        }
        while (clock.Elapsed < Grace);
    }

    /// <inheritdoc cref="StaysTrueAsync(Func{Task{bool}}, string)"/>
    public static Task StaysTrueAsync(Func<bool> condition, string what) => StaysTrueAsync(() => Task.FromResult(condition()), what);
}
