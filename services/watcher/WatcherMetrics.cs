using Prometheus;

namespace AutoHeal.Watcher;

/// <summary>The watcher's metrics, defined once.</summary>
internal static class WatcherMetrics
{
    static WatcherMetrics()
    {
        // Every kind's series exists from the start (at 0), so rates and alerts work before the first failure.
        foreach (var kind in new[] { "http", "tcp", "exec", "docker" })
        {
            HealthChecks.WithLabels(kind);
            HealthChecksFailed.WithLabels(kind);
        }
    }

    /// <summary>Creates the series now (the class initializes on first use).</summary>
    public static void Initialize()
    {
    }

    public static readonly Counter HealthChecks = Metrics.CreateCounter(
        "autoheal_health_checks_total",
        "Health check results, by kind: http, tcp, exec (custom checks, every run) and docker (the image's HEALTHCHECK turning healthy or unhealthy).",
        new CounterConfiguration { LabelNames = ["kind"] });

    public static readonly Counter HealthChecksFailed = Metrics.CreateCounter(
        "autoheal_health_checks_failed_total",
        "Failed health check results, by kind.",
        new CounterConfiguration { LabelNames = ["kind"] });
}
