using Microsoft.Extensions.DependencyInjection;
using Prometheus;

namespace AutoHeal.Api;

/// <summary>The gauges read at scrape time (counters and histograms live with the healer and watcher).</summary>
internal static class AutoHealMetrics
{
    static AutoHealMetrics()
    {
        // The event-counter and meter adapters export names Prometheus' own lint rejects
        // (a *_total gauge, *_count gauges); the process and GC metrics stay.
        Metrics.SuppressDefaultMetrics(new SuppressDefaultMetricOptions { SuppressEventCounters = true, SuppressMeters = true });
    }

    private static readonly Gauge Monitored = Metrics.CreateGauge("autoheal_containers_monitored", "Containers AutoHeal looks after.");
    private static readonly Gauge Quarantined = Metrics.CreateGauge("autoheal_containers_quarantined", "Containers in quarantine (no automatic heals).");
    private static readonly Gauge DockerUp = Metrics.CreateGauge("autoheal_docker_up", "1 when the Docker engine answers, else 0.");
    private static readonly Gauge Maintenance = Metrics.CreateGauge("autoheal_maintenance", "1 while host-wide maintenance (started through the API, or a scheduled window) holds automatic heals back, else 0.");

    /// <summary>Runs the static set-up before any metric is created.</summary>
    public static void Configure() => Monitored.Set(0);

    public static void RegisterScrapeGauges(IServiceProvider services)
    {
        var catalog = services.GetRequiredService<IContainerCatalog>();
        var guardians = services.GetRequiredService<IGuardians>();
        var engine = services.GetRequiredService<IEngineStatus>();
        var settings = services.GetRequiredService<SettingsService>();
        var time = services.GetRequiredService<TimeProvider>();
        Metrics.DefaultRegistry.AddBeforeCollectCallback(async ct =>
        {
            Monitored.Set(catalog.Containers.Count(c => catalog.Select(c).Monitored));
            Quarantined.Set((await Views.PresentGuardiansAsync(catalog, guardians, ct)).Values.Count(s => s.Quarantine is not null));
            DockerUp.Set(engine.Current.Reachable ? 1 : 0);
            Maintenance.Set(settings.MaintenanceAt(time.GetUtcNow()).Active ? 1 : 0);
        });
    }
}
