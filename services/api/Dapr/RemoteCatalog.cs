using System.Collections.Concurrent;
using AutoHeal.Contracts.Dapr;
using AutoHeal.Dapr;
using AutoHeal.Domain.Selection;

namespace AutoHeal.Api.Dapr;

/// <summary>
/// The API's view of every Docker host in distributed mode: each host's watcher is asked for its snapshot
/// every <see cref="Interval"/> (one call per host; the watchers themselves follow Docker's events), into
/// the same <see cref="ContainerCatalog"/> embedded mode's watcher keeps; and the engines' status.
/// </summary>
public sealed class RemoteCatalog(
    IReadOnlyList<string> hosts,
    IWatcherClients watchers,
    ISettingsSource settings,
    TimeProvider time,
    ILogger<RemoteCatalog> logger) : BackgroundService, IContainerCatalog, IEngineStatus
{
    /// <summary>How often each watcher is asked.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    private readonly ContainerCatalog _catalog = new(settings);
    private readonly ConcurrentDictionary<string, EngineReading> _engines = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public IReadOnlyCollection<ContainerInfo> Containers => _catalog.Containers;

    /// <inheritdoc />
    public ContainerInfo? Find(string idOrName) => _catalog.Find(idOrName);

    /// <inheritdoc />
    public SelectionVerdict Select(ContainerInfo container) => _catalog.Select(container);

    /// <inheritdoc />
    public IReadOnlyCollection<string> NamesOf(string id) => _catalog.NamesOf(id);

    /// <summary>Reachable when every host's engine is, as its watcher last said; a watcher that does not answer counts as unreachable.</summary>
    public EngineReading Current
    {
        get
        {
            var readings = hosts.Select(h => (Host: h, Reading: _engines.GetValueOrDefault(h))).ToList();
            var down = readings.Where(r => r.Reading is not { Reachable: true }).ToList();
            var endpoint = string.Join(", ", hosts.Select(DaprNames.WatcherAppId));
            return down.Count == 0
                ? new EngineReading(true, endpoint, null, readings.Select(r => r.Reading!.Since).Max())
                : new EngineReading(false, endpoint,
                    string.Join("; ", down.Select(r => $"{r.Host}: {r.Reading?.Error ?? "its watcher has not answered yet"}")),
                    down.Select(r => r.Reading?.Since).Max());
        }
    }

    /// <summary>Asks every watcher once (the loop does it every <see cref="Interval"/>).</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken) =>
        await Task.WhenAll(hosts.Select(h => RefreshHostAsync(h, cancellationToken)));

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            do
            {
                await RefreshAsync(stoppingToken);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping
        }
    }

    private async Task RefreshHostAsync(string host, CancellationToken ct)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            var snapshot = await watchers.For(host).SnapshotAsync(timeout.Token);
            _catalog.ReplaceHost(host, snapshot.Containers, snapshot.SelfContainerId);
            _engines[host] = snapshot.Engine;
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            // Keep the last containers seen (a watcher restart is no reason to empty the dashboard), but say the host is not reachable.
            var last = _engines.GetValueOrDefault(host);
            var since = last is { Reachable: false } down ? down.Since : time.GetUtcNow();
            _engines[host] = new EngineReading(false, DaprNames.WatcherAppId(host), $"its watcher does not answer: {ex.Message}", since);
            if (last is not { Reachable: false })
            {
                Log.WatcherUnreachable(logger, host, ex.Message);
            }
        }
    }
}
