namespace AutoHeal.Core.Containers;

/// <summary>
/// Finds a container by what a user types: in the catalog, else in the engines themselves. A script that runs
/// <c>docker run -d --name web</c> and at once asks about <c>web</c> is faster than the event stream; the engine
/// knows the container already, and the answer is the engine's (its guardian follows as soon as the watcher sees it).
/// </summary>
/// <param name="catalog">The containers as last seen.</param>
/// <param name="hosts">Where to ask.</param>
/// <param name="hostNames">The Docker hosts to ask for a container the catalog does not have.</param>
/// <param name="time">The clock of <see cref="EngineAnswer"/>.</param>
public sealed class ContainerLookup(IContainerCatalog catalog, IHealHosts hosts, IReadOnlyList<string> hostNames, TimeProvider time)
{
    /// <summary>How long one engine has to answer.</summary>
    public static readonly TimeSpan EngineAnswer = TimeSpan.FromSeconds(2);

    /// <summary>
    /// By id, unique id prefix (at least 4 characters), name, or <c>host:name</c> / <c>host/name</c>, as
    /// <see cref="IContainerCatalog.Find"/>; then the engines are asked. Null when none has it, or more than one host does.
    /// </summary>
    public async Task<ContainerInfo?> FindAsync(string idOrName, CancellationToken cancellationToken)
    {
        if (catalog.Find(idOrName) is { } known)
        {
            return known;
        }

        var (only, wanted) = idOrName.Split('/', ':') is [var h, var n] ? (h, n) : ((string?)null, idOrName);
        if (wanted.Length == 0)
        {
            return null;
        }

        var found = new List<ContainerInfo>();
        foreach (var host in only is null ? hostNames : hostNames.Where(x => x == only))
        {
            if (await AskAsync(host, wanted, cancellationToken) is { } c)
            {
                found.Add(c);
            }
        }

        return found.Count == 1 ? found[0] : null;
    }

    private async Task<ContainerInfo?> AskAsync(string host, string wanted, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(EngineAnswer, time);
        using var answer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            var c = await hosts.For(host).InspectAsync(wanted, answer.Token);
            // The engine also takes an id prefix of any length: only what the catalog would take counts.
            return c is not null && (c.Name == wanted || c.Id == wanted || (wanted.Length >= 4 && c.Id.StartsWith(wanted, StringComparison.Ordinal))) ? c : null;
        }
        catch (Exception ex) when (ex is EngineUnavailableException or HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return null; // that host cannot say now: as if it had none
        }
    }
}
