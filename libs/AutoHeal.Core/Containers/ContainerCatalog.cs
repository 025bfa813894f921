using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using AutoHeal.Domain.Selection;

namespace AutoHeal.Core.Containers;

/// <summary>
/// The containers of one Docker host (embedded mode, and each watcher) or of several (the API on Dapr), as
/// last seen. The one place that finds a container by what a user types, and that decides whether it is
/// monitored: AutoHeal's own container on each host never is.
/// </summary>
public sealed class ContainerCatalog(ISettingsSource settings) : IContainerCatalog
{
    private readonly ConcurrentDictionary<string, ContainerInfo> _byId = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _selfByHost = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string[]> _namesById = new(StringComparer.Ordinal);

    /// <summary>How many ids' names are remembered at most, removed containers' included.</summary>
    public const int NamesKept = 2000;

    /// <inheritdoc />
    public IReadOnlyCollection<ContainerInfo> Containers => (IReadOnlyCollection<ContainerInfo>)_byId.Values;

    /// <summary>The ids known now.</summary>
    public IReadOnlyCollection<string> Ids => (IReadOnlyCollection<string>)_byId.Keys;

    /// <summary>The container with this full id, as last seen.</summary>
    public bool TryGet(string id, [MaybeNullWhen(false)] out ContainerInfo container) => _byId.TryGetValue(id, out container);

    /// <summary>Adds a container, or replaces what was known of it.</summary>
    public void Put(ContainerInfo container)
    {
        _byId[container.Id] = container;
        Remember(container);
        Changes.Notify();
    }

    /// <summary>Told of every container added, replaced or forgotten (the custom checks follow it).</summary>
    public ChangeSignal Changes { get; } = new();

    /// <inheritdoc />
    /// <remarks>
    /// Every name a container id has had while this process watched, also after its removal (at most
    /// <see cref="NamesKept"/> ids): a namespace reference to a removed container says which container replaced it.
    /// </remarks>
    public IReadOnlyCollection<string> NamesOf(string id) => _namesById.TryGetValue(id, out var names) ? names : [];

    /// <summary>Forgets a container; false if it was not known.</summary>
    public bool TryRemove(string id, [MaybeNullWhen(false)] out ContainerInfo container)
    {
        var removed = _byId.TryRemove(id, out container);
        Changes.Notify();
        return removed;
    }

    /// <summary>AutoHeal's own container on <paramref name="host"/>, when it runs in one.</summary>
    public void SetSelf(string host, string? selfContainerId)
    {
        if (selfContainerId is null)
        {
            _selfByHost.TryRemove(host, out _);
        }
        else
        {
            _selfByHost[host] = selfContainerId;
        }
    }

    /// <summary>Replaces everything known of one host with what its watcher reports.</summary>
    public void ReplaceHost(string host, IReadOnlyCollection<ContainerInfo> containers, string? selfContainerId)
    {
        var now = containers.Select(c => c.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var gone in _byId.Values.Where(c => c.Host == host && !now.Contains(c.Id)).Select(c => c.Id).ToList())
        {
            TryRemove(gone, out _);
        }

        foreach (var c in containers)
        {
            Put(c);
        }

        SetSelf(host, selfContainerId);
    }

    /// <inheritdoc />
    /// <remarks>
    /// In this order: the full id; <c>host:name</c> or <c>host/name</c> (a path segment can carry the
    /// first); a name, when only one host has it (a name on several hosts needs its host); an id prefix of at
    /// least 4 characters that only one container has.
    /// </remarks>
    public ContainerInfo? Find(string idOrName)
    {
        if (string.IsNullOrEmpty(idOrName))
        {
            return null;
        }

        if (_byId.TryGetValue(idOrName, out var byId))
        {
            return byId;
        }

        var all = _byId.Values;
        if (idOrName.Split('/', ':') is [var host, var name])
        {
            return all.FirstOrDefault(c => c.Host == host && c.Name == name);
        }

        var byName = all.Where(c => c.Name == idOrName).Take(2).ToList();
        if (byName.Count > 0 || idOrName.Length < 4)
        {
            return byName.Count == 1 ? byName[0] : null;
        }

        var byPrefix = all.Where(c => c.Id.StartsWith(idOrName, StringComparison.Ordinal)).Take(2).ToList();
        return byPrefix.Count == 1 ? byPrefix[0] : null;
    }

    private void Remember(ContainerInfo c)
    {
        _namesById.AddOrUpdate(c.Id, [c.Name], (_, names) => names.Contains(c.Name) ? names : [.. names.TakeLast(7), c.Name]);
        if (_namesById.Count > NamesKept)
        {
            foreach (var gone in _namesById.Keys.Where(id => !_byId.ContainsKey(id)).Take(NamesKept / 2).ToList())
            {
                _namesById.TryRemove(gone, out _);
            }
        }
    }

    /// <inheritdoc />
    public SelectionVerdict Select(ContainerInfo container) =>
        Selector.Evaluate(container.Name, container.Labels, settings.Selection, settings.ChoiceFor(container.Key),
            isSelf: _selfByHost.TryGetValue(container.Host, out var self) && self == container.Id);
}
