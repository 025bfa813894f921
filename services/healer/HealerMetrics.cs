using AutoHeal.Domain.Policies;
using Prometheus;

namespace AutoHeal.Healer;

/// <summary>The healer's metrics, fed from the events it saves.</summary>
internal sealed class HealerMetrics : IEventSinkPart
{
    private static readonly Counter Restarts = Metrics.CreateCounter(
        "autoheal_container_restarts_total",
        "Heals finished, by container, reason (crash, unhealthy, manual, dependency) and outcome (healed, failed).",
        new CounterConfiguration { LabelNames = ["container", "reason", "outcome"] });

    private static readonly Histogram Duration = Metrics.CreateHistogram(
        "autoheal_heal_duration_seconds",
        "From the failure seen to the restart issued (stage restart_issued) and to the container running again (stage running).",
        new HistogramConfiguration
        {
            LabelNames = ["stage"],
            Buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
        });

    /// <summary>Drops the series of a container AutoHeal forgot.</summary>
    public static void Forget(string container)
    {
        foreach (var reason in new[] { "crash", "unhealthy", "manual", "dependency", "unknown" })
        {
            foreach (var outcome in new[] { "healed", "failed" })
            {
                Restarts.RemoveLabelled(container, reason, outcome);
            }
        }
    }

    public ValueTask PublishAsync(IReadOnlyList<AutoHealEvent> events, CancellationToken cancellationToken)
    {
        foreach (var e in events)
        {
            var reason = e.Reason switch
            {
                FailureKind.Crash => "crash",
                FailureKind.Unhealthy => "unhealthy",
                FailureKind.Manual => "manual",
                FailureKind.Dependency => "dependency",
                _ => "unknown",
            };
            switch (e.Kind)
            {
                case EventKind.Restarting when e.DetectedAt is { } seen:
                    Duration.WithLabels("restart_issued").Observe(Math.Max(0, (e.At - seen).TotalSeconds));
                    break;
                case EventKind.Healed:
                    Restarts.WithLabels(e.Key?.Name ?? "", reason, "healed").Inc();
                    if (e.DetectedAt is { } detected)
                    {
                        Duration.WithLabels("running").Observe(Math.Max(0, (e.At - detected).TotalSeconds));
                    }
                    break;
                case EventKind.HealFailed:
                    Restarts.WithLabels(e.Key?.Name ?? "", reason, "failed").Inc();
                    break;
            }
        }

        return ValueTask.CompletedTask;
    }
}
