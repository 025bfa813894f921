using System.Text.Json;
using AutoHeal.Domain.Containers;
using AutoHeal.Domain.Guardians;
using AutoHeal.Domain.Policies;

namespace AutoHeal.Api;

/// <summary>Domain records to API views.</summary>
internal static class Views
{
    public static string Name<T>(T value) where T : struct, Enum => JsonNamingPolicy.SnakeCaseLower.ConvertName(value.ToString());

    public static ContainerView Container(IContainerCatalog catalog, SettingsService settings, ContainerInfo c, GuardianState? g, DateTimeOffset now)
    {
        var verdict = catalog.Select(c);
        // Maintenance or the API's snooze, and a label's snooze on top, as its guardian sees them.
        var hold = PolicyLabels.Apply(HealPolicy.Default with { Hold = settings.HoldFor(c.Key, now) }, c.Labels, now).Policy.Hold;
        // A guardian speaks for this container if it followed it here: same id, or same image (a re-create).
        var current = g is not null && (g.ContainerId == c.Id || g.ImageId == c.ImageId) ? g : null;
        return new ContainerView
        {
            Id = c.Id,
            Name = c.Name,
            Host = c.Host,
            ImageId = c.ImageId,
            Status = Name(c.Status),
            Health = Name(c.Health),
            Monitored = verdict.Monitored,
            MonitoredReason = verdict.Reason,
            Selection = settings.ChoiceFor(c.Key),
            Phase = current is null ? "unknown" : Name(current.Phase),
            HealingNow = current?.ActiveHeal is not null,
            Quarantined = current?.Quarantine is not null,
            Quarantine = current?.Quarantine is { } q ? new QuarantineView(q.Since, q.Reason, q.Until) : null,
            RestartCount = current?.TotalHeals ?? 0,
            DockerRestartCount = c.RestartCount,
            LastHeal = current?.LastHeal is { } h ? new LastHealView(h.At, h.Healed ? "healed" : "failed", h.Message) { Cause = h.Cause } : null,
            Hold = hold is { } held && held.Until > now ? new HoldView(held.Until, held.Why) : null,
            SnoozedUntil = settings.SnoozeFor(c.Key, now)?.Until,
        };
    }

    /// <summary>The guardians of the containers the engines have now, by key (history of removed ones left out).</summary>
    public static Task<IReadOnlyDictionary<ContainerKey, GuardianState>> PresentGuardiansAsync(IContainerCatalog catalog, IGuardians guardians, CancellationToken ct) =>
        guardians.GetManyAsync(catalog.Containers.Select(c => c.Key).ToHashSet(), ct);

    public static ContainerDetail Detail(
        ContainerView view, ContainerInfo c, GuardianState? g, HealPolicy global, DateTimeOffset now,
        HealthCheckDefinition? check, IReadOnlyList<AutoHealEvent> history)
    {
        var policy = PolicyLabels.Apply(global, c.Labels).Policy;
        var inWindow = g?.RecentHeals.Count(t => now - t < policy.MaxRestartsWindow) ?? 0;
        var heals = g?.HealsInIncident ?? 0;
        return new ContainerDetail
        {
            Container = view,
            Labels = c.Labels,
            Backoff = new BackoffView(heals, inWindow, policy.DelayBeforeHeal(heals).TotalSeconds, g?.NextAllowedHeal(policy), g?.StableSince),
            ActiveHeal = g?.ActiveHeal is { } j
                ? new HealJobView(j.Id, Name(j.Reason), j.Detail, j.Attempt, Name(j.Stage), j.DetectedAt, j.DueAt)
                : null,
            CustomCheck = check,
            History = history.Select(Event).ToList(),
        };
    }

    public static EventView Event(AutoHealEvent e) => new(
        e.Id, e.At, Name(e.Kind), e.Key?.Host, e.Key?.Name, e.ContainerId,
        e.Reason is { } r ? Name(r) : null, e.Attempt, e.JobId, e.Message)
    {
        Diagnostics = e.Diagnostics is { } d ? new DiagnosticsView(d.ExitCode, d.OomKilled, d.HealthOutputs, d.LogTail) : null,
    };
}
