namespace AutoHeal.Core.Stores;

/// <summary>
/// One of AutoHeal's own loops that can get stuck while everything around it answers (a guardian's mailbox that stopped
/// draining, say): <c>/health</c> asks each, and goes 503 with the reason while one is; the heartbeat stops meanwhile.
/// </summary>
public interface ILoopHealth
{
    /// <summary>Why the loop is stuck at <paramref name="now"/>, in words; null while it is not.</summary>
    string? WhyStuck(DateTimeOffset now);
}
