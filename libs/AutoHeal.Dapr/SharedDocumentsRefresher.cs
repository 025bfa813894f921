using AutoHeal.Core.Probes;
using AutoHeal.Core.Settings;
using Microsoft.Extensions.Hosting;

namespace AutoHeal.Dapr;

/// <summary>
/// Reads the shared documents (configuration, selections, check definitions) every <see cref="Interval"/>:
/// a change made through the API in one process reaches every other role within that time. Writes never
/// wait for it: they carry ETags.
/// </summary>
public sealed class SharedDocumentsRefresher(
    SettingsService settings, HealthCheckStore checks, TimeProvider time, ILogger<SharedDocumentsRefresher> logger) : BackgroundService
{
    /// <summary>How often the documents are read.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await settings.ReloadAsync(stoppingToken);
                    await checks.ReloadAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Log.SharedDocumentsUnreadable(logger, ex.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping
        }
    }
}
