using System.Collections.Concurrent;
using AutoHeal.Contracts.Dapr;
using AutoHeal.Domain.Containers;
using AutoHeal.Domain.Ports;
using AutoHeal.Domain.Selection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AutoHeal.Api.Dapr;

/// <summary>
/// The API's view of every Docker host in distributed mode: each host's watcher is asked for its
/// snapshot every <see cref="Interval"/> (one call per host; the watchers themselves follow Docker's
/// events). Serves the catalog and the engines' status, as the embedded watcher does for one host.
/// </summary>
public sealed partial class RemoteCatalog(
    IReadOnlyList<string> hosts,
    IWatcherClients watchers,
    ISettingsSource settings,
    TimeProvider time,
    ILogger<RemoteCatalog> logger) : BackgroundService, IContainerCatalog, IEngineStatus
{
    /// <summary>How often each watcher is asked.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    private readonly ConcurrentDictionary<string, HostView> _hosts = new(StringComparer.Ordinal);

    private sealed record HostView(WatcherSnapshot? Snapshot, EngineReading Engine, IReadOnlyDictionary<string, ContainerKey> Keys);

    /// <inheritdoc />
    public IReadOnlyCollection<ContainerInfo> Containers =>
        _hosts.Values.SelectMany(h => h.Snapshot?.Containers ?? []).ToList();

    /// <inheritdoc />
    public ContainerKey KeyOf(ContainerInfo container) =>
        _hosts.Values.Select(h => h.Keys.GetValueOrDefault(container.Id)).FirstOrDefault(k => k is not null)
        ?? new ContainerKey(hosts.Count == 1 ? hosts[0] : "unknown", container.Name);

    /// <summary>By id, unique id prefix, name (unique across hosts), or <c>host:name</c> / <c>host/name</c>; null if none.</summary>
    public ContainerInfo? Find(string idOrName)
    {
        if (string.IsNullOrEmpty(idOrName))
        {
            return null;
        }

        var all = _hosts.Values.Where(h => h.Snapshot is not null).SelectMany(h => h.Snapshot!.Containers.Select(c => (Host: h.Snapshot!.Host, C: c))).ToList();
        if (all.FirstOrDefault(x => x.C.Id == idOrName).C is { } byId)
        {
            return byId;
        }

        // host:name (a path segment can hold it) or host/name: one host's container when a name is on several.
        if (idOrName.Split('/', ':') is [var host, var name] && all.FirstOrDefault(x => x.Host == host && x.C.Name == name).C is { } byKey)
        {
            return byKey;
        }

        var byName = all.Where(x => x.C.Name == idOrName).Take(2).ToList();
        if (byName.Count > 0 || idOrName.Length < 4)
        {
            return byName.Count == 1 ? byName[0].C : null; // a name on two hosts needs host/name
        }

        var byPrefix = all.Where(x => x.C.Id.StartsWith(idOrName, StringComparison.Ordinal)).Take(2).ToList();
        return byPrefix.Count == 1 ? byPrefix[0].C : null;
    }

    /// <inheritdoc />
    public SelectionVerdict Select(ContainerInfo container)
    {
        var self = _hosts.Values.FirstOrDefault(h => h.Keys.ContainsKey(container.Id))?.Snapshot?.SelfContainerId;
        return Selector.Evaluate(container.Name, container.Labels, settings.Selection, settings.ChoiceFor(KeyOf(container)), isSelf: self == container.Id);
    }

    /// <summary>Reachable when every host's engine is, as its watcher last said; a watcher that does not answer counts as unreachable.</summary>
    public EngineReading Current
    {
        get
        {
            var readings = hosts.Select(h => (Host: h, Reading: _hosts.TryGetValue(h, out var v) ? v.Engine : null)).ToList();
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
            // Keys as the watcher names its host: signals, actors and selections use the same.
            var keys = snapshot.Containers.ToDictionary(c => c.Id, c => new ContainerKey(snapshot.Host, c.Name), StringComparer.Ordinal);
            _hosts[host] = new HostView(snapshot, snapshot.Engine, keys);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            // Keep the last containers seen (a watcher restart is no reason to empty the dashboard), but say the host is not reachable.
            var last = _hosts.GetValueOrDefault(host);
            var since = last?.Engine is { Reachable: false } down ? down.Since : time.GetUtcNow();
            _hosts[host] = new HostView(last?.Snapshot, new EngineReading(false, DaprNames.WatcherAppId(host), $"its watcher does not answer: {ex.Message}", since), last?.Keys ?? new Dictionary<string, ContainerKey>());
            if (last?.Engine is not { Reachable: false })
            {
                Unreachable(logger, host, ex.Message);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "the watcher of {Host} does not answer: {Error}")]
    private static partial void Unreachable(ILogger logger, string host, string error);
}
