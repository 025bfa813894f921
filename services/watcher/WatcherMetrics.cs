using Prometheus;

namespace AutoHeal.Watcher;

/// <summary>The watcher's metrics, defined once.</summary>
internal static class WatcherMetrics
{
    public static readonly Counter HealthChecks = Metrics.CreateCounter(
        "autoheal_health_checks_total",
        "Health check results, by kind: http, tcp, exec (custom checks, every run) and docker (the image's HEALTHCHECK turning healthy or unhealthy).",
        new CounterConfiguration { LabelNames = ["kind"] });

    public static readonly Counter HealthChecksFailed = Metrics.CreateCounter(
        "autoheal_health_checks_failed_total",
        "Failed health check results, by kind.",
        new CounterConfiguration { LabelNames = ["kind"] });
}
