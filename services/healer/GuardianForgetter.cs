namespace AutoHeal.Healer;

/// <summary>
/// Keeps embedded mode's memory and store from growing with every container name ever seen: the mailboxes of
/// containers removed a while ago are let go (their state stays in the store), and the guardians of containers removed
/// for <see cref="ForgetAfter"/> are deleted, with their metric series. (Their events stay in the event log, within
/// its retention.)
/// </summary>
internal sealed class GuardianForgetter(
    IGuardianStore store, GuardianMailboxes mailboxes, TimeProvider time, ILogger<GuardianForgetter> logger) : BackgroundService
{
    /// <summary>How long the guardian of a removed container is kept: a container run again under its name within it keeps its history.</summary>
    public static readonly TimeSpan ForgetAfter = TimeSpan.FromDays(7);

    /// <summary>How long the mailbox of a removed container is kept in memory.</summary>
    public static readonly TimeSpan MailboxIdle = TimeSpan.FromMinutes(10);

    /// <summary>How often it looks.</summary>
    public static readonly TimeSpan Every = TimeSpan.FromMinutes(10);

    /// <summary>One pass: forgets what is due and lets go of idle mailboxes.</summary>
    public async Task PruneAsync(CancellationToken cancellationToken)
    {
        var forgotten = await store.ForgetRemovedAsync(time.GetUtcNow() - ForgetAfter, cancellationToken);
        mailboxes.Prune(MailboxIdle, forgotten);
        foreach (var key in forgotten)
        {
            HealerMetrics.Forget(key.Name);
        }

        if (forgotten.Count > 0)
        {
            Log.GuardiansForgotten(logger, forgotten.Count, ForgetAfter.TotalDays);
        }
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Every, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await PruneAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Log.ForgetFailed(logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
