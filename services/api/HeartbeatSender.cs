using AutoHeal.Core;
using AutoHeal.Core.Stores;

namespace AutoHeal.Api;

/// <summary>
/// Calls the configured dead-man's switch (<c>heartbeat.url</c>) every <c>heartbeat.interval_seconds</c> while AutoHeal
/// is healthy as its <c>/health</c> says (<see cref="StatusEndpoints.WhyUnhealthy"/>); while it is not, or AutoHeal has
/// stopped, the calls stop, and the service on the other end (healthchecks.io, Uptime Kuma, ntfy...) tells someone. The URL
/// is a secret: logs name its host only.
/// </summary>
internal sealed class HeartbeatSender(
    SettingsService settings, IEngineStatus engine, StoreHealth store, IEnumerable<ILoopHealth> loops, TimeProvider time, ILogger<HeartbeatSender> logger) : BackgroundService
{
    // Its own client, as the webhooks': IHttpClientFactory's clients log every request's URL, which holds the secret.
    private static readonly HttpClient Http = new(new SocketsHttpHandler { UseProxy = false, PooledConnectionLifetime = TimeSpan.FromMinutes(2) });

    /// <summary>How long one call may take.</summary>
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How often it looks whether a call is due (the interval itself may change at any time).</summary>
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(500);

    private DateTimeOffset _last = DateTimeOffset.MinValue;
    private string? _held; // why the last due call was not made, said once per streak

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var changes = new ChangeSignal();
        void SettingsChanged(object? sender, EventArgs e) => changes.Notify();
        settings.Changed += SettingsChanged;
        try
        {
            while (true)
            {
                // Without a URL, nothing is due until the settings change: no ticking meanwhile.
                await changes.WaitAsync(settings.Config.Heartbeat.Url is { Length: > 0 } ? Tick : null, time, stoppingToken);
                var beat = settings.Config.Heartbeat;
                var now = time.GetUtcNow();
                if (beat.Url is not { Length: > 0 } url || now - _last < TimeSpan.FromSeconds(beat.IntervalSeconds))
                {
                    continue;
                }

                _last = now;
                await BeatAsync(url, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping: the calls stop, which is the point
        }
        finally
        {
            settings.Changed -= SettingsChanged;
        }
    }

    private async Task BeatAsync(string url, CancellationToken ct)
    {
        var target = WebhookConfig.Mask(url);
        var why = StatusEndpoints.WhyUnhealthy(engine.Current, store.Current, LoopHealth.FirstStuck(loops, time.GetUtcNow()));
        if (why is not null)
        {
            if (_held != why)
            {
                _held = why;
                Log.HeartbeatHeld(logger, target, why);
            }

            return;
        }

        _held = null;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(CallTimeout);
        try
        {
            using var answer = await Http.GetAsync(new Uri(url), timeout.Token);
            if (!answer.IsSuccessStatusCode)
            {
                Log.HeartbeatRefused(logger, target, (int)answer.StatusCode);
            }
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is OperationCanceledException && !ct.IsCancellationRequested))
        {
            Log.HeartbeatFailed(logger, target, ex.Message);
        }
    }
}
