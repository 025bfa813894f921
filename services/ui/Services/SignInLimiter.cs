using System.Threading.RateLimiting;

namespace AutoHeal.Ui.Services;

/// <summary>
/// Wrong tokens typed into the sign-in page, per browser address: <see cref="FailuresAllowed"/> per minute, then a
/// wait. (The API counts the dashboard's calls per tab, so this is what slows guessing through the dashboard.)
/// </summary>
internal sealed class SignInLimiter : IDisposable
{
    /// <summary>Wrong tokens a browser address may type per minute.</summary>
    public const int FailuresAllowed = 10;

    private readonly PartitionedRateLimiter<string> _failures = PartitionedRateLimiter.Create<string, string>(address =>
        RateLimitPartition.GetFixedWindowLimiter(address, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = FailuresAllowed,
            Window = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));

    /// <summary>Whether this address has typed too many wrong tokens lately.</summary>
    public bool Exhausted(string address) => _failures.GetStatistics(address)?.CurrentAvailablePermits is 0;

    /// <summary>Counts a wrong token typed from this address; how many more it may type this minute.</summary>
    public long Failed(string address)
    {
        using var lease = _failures.AttemptAcquire(address);
        return _failures.GetStatistics(address)?.CurrentAvailablePermits ?? 0;
    }

    /// <inheritdoc />
    public void Dispose() => _failures.Dispose();
}
