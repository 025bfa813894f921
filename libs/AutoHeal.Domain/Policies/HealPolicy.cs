namespace AutoHeal.Domain.Policies;

/// <summary>Which failures AutoHeal heals.</summary>
public enum HealMode
{
    /// <summary>Crashes and unhealthy containers.</summary>
    Both,
    /// <summary>Crashes only.</summary>
    OnFailure,
    /// <summary>Unhealthy containers only.</summary>
    Health,
}

/// <summary>
/// Automatic heals held back until <paramref name="Until"/>, and why: host-wide maintenance, or the container snoozed.
/// Failures meanwhile are recorded, not healed; a container still failing when the hold ends is healed then.
/// </summary>
public sealed record HoldBack(DateTimeOffset Until, string Why)
{
    /// <summary>The later-ending of two holds (either may be null).</summary>
    public static HoldBack? Longer(HoldBack? a, HoldBack? b) => a is null ? b : b is null ? a : b.Until > a.Until ? b : a;
}

/// <summary>How one container is healed. Defaults follow Kubernetes' CrashLoopBackOff and systemd's start limits.</summary>
public sealed record HealPolicy
{
    /// <summary>The defaults documented in the configuration reference.</summary>
    public static readonly HealPolicy Default = new();

    /// <summary>Which failures are healed.</summary>
    public HealMode Mode { get; init; } = HealMode.Both;
    /// <summary>The least time between two heals of one container.</summary>
    public TimeSpan Cooldown { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>The wait before the second heal of an incident.</summary>
    public TimeSpan BackoffInitial { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>How the wait grows with each further heal.</summary>
    public double BackoffMultiplier { get; init; } = 2;
    /// <summary>The longest wait.</summary>
    public TimeSpan BackoffMax { get; init; } = TimeSpan.FromSeconds(300);
    /// <summary>Healthy running time after which a failure starts a new incident (immediate heal, backoff reset).</summary>
    public TimeSpan BackoffReset { get; init; } = TimeSpan.FromSeconds(600);
    /// <summary>Heals allowed within <see cref="MaxRestartsWindow"/>; one more failure quarantines.</summary>
    public int MaxRestarts { get; init; } = 5;
    /// <summary>The sliding window for <see cref="MaxRestarts"/>.</summary>
    public TimeSpan MaxRestartsWindow { get; init; } = TimeSpan.FromSeconds(600);
    /// <summary>When set, a quarantine ends by itself after this long; otherwise only by hand.</summary>
    public TimeSpan? QuarantineProbation { get; init; }
    /// <summary>How long a restarted container has to be running (and healthy, if it has a health check).</summary>
    public TimeSpan VerifyTimeout { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>How long Docker waits for the container to stop before killing it, on restart.</summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>How long after a stop or kill request a container's exit still counts as deliberate.</summary>
    public TimeSpan StopIntentWindow { get; init; } = TimeSpan.FromSeconds(300);
    /// <summary>Automatic heals held back until a time (maintenance, a snooze); null when none is.</summary>
    public HoldBack? Hold { get; init; }

    /// <summary>
    /// The wait before heal number <paramref name="healsSoFar"/> + 1 of one incident:
    /// none for the first, then <c>max(cooldown, backoff)</c> with the backoff growing to its cap.
    /// </summary>
    public TimeSpan DelayBeforeHeal(int healsSoFar)
    {
        if (healsSoFar <= 0)
        {
            return TimeSpan.Zero;
        }

        var seconds = BackoffInitial.TotalSeconds * Math.Pow(BackoffMultiplier, healsSoFar - 1);
        var backoff = seconds >= BackoffMax.TotalSeconds ? BackoffMax : TimeSpan.FromSeconds(seconds);
        return backoff > Cooldown ? backoff : Cooldown;
    }

    /// <summary>
    /// The least time <see cref="MaxRestarts"/> heals of one incident take, their waits alone (no restart or
    /// verification counted): a container that keeps failing is quarantined only if they fit in <see cref="MaxRestartsWindow"/>.
    /// </summary>
    public TimeSpan LeastTimeForRestarts()
    {
        var total = TimeSpan.Zero;
        for (var heals = 1; heals < MaxRestarts; heals++)
        {
            total += DelayBeforeHeal(heals);
        }

        return total;
    }

    /// <summary>Whether a container that keeps failing can be quarantined at all with these figures.</summary>
    public bool CanQuarantine => LeastTimeForRestarts() < MaxRestartsWindow;

    /// <summary>Whether the mode heals this kind of failure.</summary>
    public bool Heals(FailureKind kind) => kind == FailureKind.Dependency || Mode switch
    {
        HealMode.Both => true,
        HealMode.OnFailure => kind == FailureKind.Crash,
        HealMode.Health => kind == FailureKind.Unhealthy,
        _ => false,
    };
}

/// <summary>What went wrong with a container.</summary>
public enum FailureKind
{
    /// <summary>Exited with a non-zero code that nobody asked for.</summary>
    Crash,
    /// <summary>Its health check (Docker's or a custom one) failed.</summary>
    Unhealthy,
    /// <summary>An operator asked for a restart.</summary>
    Manual,
    /// <summary>A container it depends on (whose network, PID or IPC namespace it shares, or named as its parent) started again: it is cut off until it restarts too.</summary>
    Dependency,
}
