using AutoHeal.Domain.Ports;

namespace AutoHeal.Domain.Containers;

/// <summary>
/// Which containers depend on which, from what Docker already knows: a network, PID or IPC mode of
/// <c>container:&lt;id or name&gt;</c> (the VPN-sidecar case: <c>network_mode: service:vpn</c>), compose's
/// <c>com.docker.compose.depends_on</c> entries with restart <c>true</c>, and the label <c>autoheal.depends_on</c>.
/// When a parent starts again, a dependent still running from before is cut off (its namespace is the dead one) and is
/// restarted. A parent labelled <c>autoheal.dependents=ignore</c> has none.
/// </summary>
public static class Dependencies
{
    /// <summary>Names the parents by hand: <c>autoheal.depends_on=vpn,db</c>.</summary>
    public const string DependsOnLabel = "autoheal.depends_on";

    /// <summary>On a parent: <c>ignore</c> restarts none of its dependents.</summary>
    public const string DependentsLabel = "autoheal.dependents";

    private const string ComposeDependsOn = "com.docker.compose.depends_on";
    private const string ComposeService = "com.docker.compose.service";
    /// <summary>The label compose puts on every container of a project.</summary>
    public const string ComposeProject = "com.docker.compose.project";

    /// <summary>
    /// Why <paramref name="dependent"/> depends on <paramref name="parent"/>, in words; null when it does not.
    /// <paramref name="formerNames"/> gives the names a container id had (one removed since, too): a namespace reference
    /// to a container that <paramref name="parent"/> replaced under its name (removed and run again, recreated by compose)
    /// is a dependency on it.
    /// </summary>
    public static string? Why(ContainerInfo dependent, ContainerInfo parent, Func<string, IReadOnlyCollection<string>>? formerNames = null)
    {
        if (dependent.Id == parent.Id || dependent.Host != parent.Host
            || (parent.Labels.TryGetValue(DependentsLabel, out var ignore) && ignore.Trim().Equals("ignore", StringComparison.OrdinalIgnoreCase)))
        {
            return null;
        }

        foreach (var (what, reference) in Joined(dependent))
        {
            if (Names(reference, parent))
            {
                return $"it shares the {what} namespace of {parent.Name}";
            }

            if (formerNames?.Invoke(reference).Contains(parent.Name) == true)
            {
                return $"it shared the {what} namespace of the container {parent.Name} replaced";
            }
        }

        if (dependent.Labels.TryGetValue(DependsOnLabel, out var named) && Split(named).Any(n => Names(n, parent)))
        {
            return $"its label {DependsOnLabel} names {parent.Name}";
        }

        // service:condition:restart, comma-separated; restart true: "restart me when that service restarts".
        if (dependent.Labels.TryGetValue(ComposeDependsOn, out var compose)
            && parent.Labels.TryGetValue(ComposeService, out var service)
            && dependent.Labels.TryGetValue(ComposeProject, out var project) && parent.Labels.TryGetValue(ComposeProject, out var parentProject) && project == parentProject
            && Split(compose).Select(e => e.Split(':')).Any(p => p.Length == 3 && p[0] == service && p[2].Equals("true", StringComparison.OrdinalIgnoreCase)))
        {
            return $"compose's depends_on names {service} with restart: true";
        }

        return null;
    }

    /// <summary>
    /// Whether <paramref name="candidate"/> is among the parents of <paramref name="of"/> in <paramref name="all"/>, or
    /// theirs, up to <paramref name="depth"/> levels: a dependent that is its own parent's ancestor makes a cycle, and
    /// is not restarted with it.
    /// </summary>
    public static bool IsAncestor(
        ContainerInfo candidate, ContainerInfo of, IReadOnlyCollection<ContainerInfo> all, Func<string, IReadOnlyCollection<string>>? formerNames = null, int depth = 8)
    {
        var level = new List<ContainerInfo> { of };
        var seen = new HashSet<string>(StringComparer.Ordinal) { of.Id };
        for (var i = 0; i < depth && level.Count > 0; i++)
        {
            level = all.Where(p => !seen.Contains(p.Id) && level.Any(c => Why(c, p, formerNames) is not null)).ToList();
            if (level.Any(p => p.Id == candidate.Id))
            {
                return true;
            }

            seen.UnionWith(level.Select(p => p.Id));
        }

        return false;
    }

    /// <summary>The namespaces the container joins (<c>container:&lt;id or name&gt;</c> modes): which one, and the container named.</summary>
    public static IEnumerable<(string What, string Reference)> Joined(ContainerInfo c)
    {
        foreach (var (mode, what) in new[] { (c.NetworkMode, "network"), (c.PidMode, "PID"), (c.IpcMode, "IPC") })
        {
            if (Reference(mode) is { } reference)
            {
                yield return (what, reference);
            }
        }
    }

    /// <summary>The container a network, PID or IPC mode of <c>container:&lt;id or name&gt;</c> names; null for any other mode.</summary>
    public static string? Reference(string? mode) =>
        mode is not null && mode.StartsWith(ContainerMode, StringComparison.Ordinal) ? mode[ContainerMode.Length..] : null;

    private const string ContainerMode = "container:";

    private static string[] Split(string list) =>
        list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    // A container reference as Docker takes it: its name, its id, or an id prefix of at least 12.
    private static bool Names(string reference, ContainerInfo c) =>
        reference.Length > 0 && (reference == c.Name || reference == c.Id || (reference.Length >= 12 && c.Id.StartsWith(reference, StringComparison.Ordinal)));
}
