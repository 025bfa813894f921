namespace AutoHeal.Core.Stores;

/// <summary>
/// One of AutoHeal's own loops that can get stuck while everything around it answers (a guardian's mailbox that stopped
/// draining, the engine's event stream gone silent): <c>/health</c> asks each, and goes 503 with the reason while one
/// is; the heartbeat stops meanwhile.
/// </summary>
public interface ILoopHealth
{
    /// <summary>Why the loop is stuck at <paramref name="now"/>, in words; null while it is not.</summary>
    string? WhyStuck(DateTimeOffset now);
}

/// <summary>Asking all of them at once.</summary>
public static class LoopHealth
{
    /// <summary>Why the first of <paramref name="loops"/> that is stuck is; null when none is.</summary>
    public static string? FirstStuck(IEnumerable<ILoopHealth> loops, DateTimeOffset now) =>
        loops.Select(l => l.WhyStuck(now)).FirstOrDefault(w => w is not null);
}
