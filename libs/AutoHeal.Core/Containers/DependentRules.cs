namespace AutoHeal.Core.Containers;

/// <summary>
/// Whether dependents are restarted with their parent (<c>AutoHeal:Dependents:Enabled</c>), and how long after the
/// parent's start (<c>AutoHeal:Dependents:SettleSeconds</c>, once it is running, and healthy if it has a health check).
/// </summary>
public sealed record DependentRules(bool Enabled = true, double SettleSeconds = 5)
{
    /// <summary>The settle time.</summary>
    public TimeSpan Settle => TimeSpan.FromSeconds(SettleSeconds);
}
