using System.Text;
using AutoHeal.Domain.Containers;
using Dapr.Actors;

namespace AutoHeal.Dapr;

/// <summary>How containers and heal jobs are named in Dapr.</summary>
public static partial class DaprIds
{
    /// <summary>
    /// The actor id of a container: <c>host:name</c>. (A <c>/</c> would be a path separator in the
    /// sidecar's actor URLs; neither host names nor Docker names can hold a <c>:</c>.) A name the scheduler would
    /// refuse in its reminders' names (<see cref="SchedulerTakes"/>: <c>web.</c>, <c>a..b</c>, <c>x.-.y</c>, all valid
    /// Docker names) is escaped as <see cref="Workflow"/> escapes job ids, after a <c>_</c> no Docker name starts with (so
    /// no other container's id), so its actor can still have reminders.
    /// </summary>
    public static ActorId Actor(ContainerKey key) =>
        new(SchedulerTakes(key.Name) ? $"{key.Host}:{key.Name}" : $"{key.Host}:{Escaped("_", key.Name)}");

    /// <summary>The workflow instance id of a heal job (<c>host/name#n</c>): letters, digits and <c>-</c> kept, anything else escaped as <c>_hh</c>.</summary>
    public static string Workflow(string jobId) => Escaped("heal-", jobId);

    /// <summary>
    /// Whether the scheduler takes <paramref name="segment"/> in a job name (a reminder's name holds its actor's id):
    /// with <c>_</c>, <c>:</c>, <c>-</c> and spaces left out, a DNS-1123 subdomain (go-etcd-cron's
    /// <c>internal/api/validator</c>, which Dapr runtimes before 1.17.11 apply to every segment).
    /// </summary>
    public static bool SchedulerTakes(string segment)
    {
        var sanitized = segment.Replace("_", "", StringComparison.Ordinal).Replace(":", "", StringComparison.Ordinal)
            .Replace("-", "", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal).ToLowerInvariant();
        return sanitized.Length is > 0 and <= 253 && Dns1123Subdomain().IsMatch(sanitized);
    }

    private static string Escaped(string prefix, string text)
    {
        var id = new StringBuilder(prefix, prefix.Length + text.Length + 16);
        foreach (var ch in text)
        {
            if (char.IsAsciiLetterOrDigit(ch) || ch == '-')
            {
                id.Append(ch);
            }
            else
            {
                id.Append('_').Append(((int)ch).ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return id.ToString();
    }

    [System.Text.RegularExpressions.GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial System.Text.RegularExpressions.Regex Dns1123Subdomain();
}
