namespace AutoHeal.Healer;

/// <summary>
/// On start, picks up where the last run stopped: heal jobs resume from their saved stage, and
/// quarantine probation and hold wake-ups are set again. Nothing is lost and nothing is done twice.
/// </summary>
internal sealed class HealResumer(
    IGuardianStore store,
    IHealRunner runner,
    GuardianMailboxes guardians,
    ILogger<HealResumer> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var states = await store.LoadAllGuardiansAsync(cancellationToken);
        var jobs = states.Where(s => s.ActiveHeal is not null).Select(s => s.ActiveHeal!).ToList();
        var wakes = states.Where(s => WakeOf(s) is not null).ToList();
        if (jobs.Count + wakes.Count > 0)
        {
            Log.Resuming(logger, jobs.Count, wakes.Count);
        }

        foreach (var job in jobs)
        {
            runner.Start(job);
        }

        foreach (var s in wakes)
        {
            guardians.WakeAt(s.Key, WakeOf(s)!.Value);
        }
    }

    /// <summary>When the guardian wants waking: its quarantine's end, or that of the hold that kept a failure back (never both).</summary>
    internal static DateTimeOffset? WakeOf(GuardianState s) => s.Quarantine?.Until ?? s.HeldUntil;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
