using System.Text.RegularExpressions;
using AutoHeal.Domain.Ports;

namespace AutoHeal.Domain.Containers;

/// <summary>
/// The rung after a restart: when Docker refuses to restart a container (its namespace container is gone, a mount or
/// device went away), AutoHeal creates it again from its own configuration, with only its <c>container:</c> references
/// pointing at what replaced them, and replaces the original once the new one is created and started; if anything fails,
/// the original is put back as it was. A container that joins another's namespace is recreated without asking (its
/// parent was recreated: a restart cannot work); any other only with <c>autoheal.recreate=true</c>.
/// While it runs, the original is set aside under <see cref="SetAsideName"/>, which says which container it was: a
/// recreation cut short (AutoHeal killed) is finished or undone at the next start.
/// </summary>
public static partial class Recreations
{
    /// <summary>The label that lets a container be recreated when a restart is refused.</summary>
    public const string RecreateLabel = "autoheal.recreate";

    /// <summary>Why a container whose restart Docker refused may be recreated; null when it may not.</summary>
    public static string? Why(ContainerInfo c) =>
        IsLabelled(c) ? $"it is labelled {RecreateLabel}=true"
        : Dependencies.Joined(c).Select(j => $"it joins the {j.What} namespace of another container, which a restart cannot bring back").FirstOrDefault();

    /// <summary>Whether the container opted in with <c>autoheal.recreate=true</c>.</summary>
    public static bool IsLabelled(ContainerInfo c) =>
        c.Labels.TryGetValue(RecreateLabel, out var v) && v.Trim().Equals("true", StringComparison.OrdinalIgnoreCase);

    /// <summary>The name the original has while it is being replaced: its name, and the first 12 characters of its id.</summary>
    public static string SetAsideName(string name, string id) => $"{name}{Marker}{id[..12]}";

    /// <summary>
    /// For a container set aside by a recreation: the name it had. Null for any other, including one whose name only
    /// looks like it (its id must be the one the name says).
    /// </summary>
    public static string? SetAsideFrom(string name, string id) =>
        SetAside().Match(name) is { Success: true } m && id.StartsWith(m.Groups["id"].Value, StringComparison.Ordinal) ? m.Groups["name"].Value : null;

    /// <summary>Whether the name is one a recreation gives the original while it replaces it (never monitored).</summary>
    public static bool IsSetAsideName(string name) => SetAside().IsMatch(name);

    /// <summary>The references of a <c>container:</c> network, PID or IPC mode, as Docker keeps them (an id, or a name).</summary>
    public static IEnumerable<string> References(ContainerInfo c) =>
        Dependencies.Joined(c).Select(j => j.Reference).Distinct(StringComparer.Ordinal);

    private const string Marker = "-autoheal-old-";

    [GeneratedRegex("^(?<name>.+)-autoheal-old-(?<id>[0-9a-f]{12})$", RegexOptions.CultureInvariant)]
    private static partial Regex SetAside();
}
