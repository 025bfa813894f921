using System.Text;
using AutoHeal.Domain.Containers;
using Dapr.Actors;

namespace AutoHeal.Dapr;

/// <summary>How containers and heal jobs are named in Dapr.</summary>
public static class DaprIds
{
    /// <summary>
    /// The actor id of a container: <c>host:name</c>. (A <c>/</c> would be a path separator in the
    /// sidecar's actor URLs; neither host names nor Docker names can hold a <c>:</c>.)
    /// </summary>
    public static ActorId Actor(ContainerKey key) => new($"{key.Host}:{key.Name}");

    /// <summary>The workflow instance id of a heal job (<c>host/name#n</c>): letters, digits and <c>-</c> kept, anything else escaped as <c>_hh</c>.</summary>
    public static string Workflow(string jobId)
    {
        var id = new StringBuilder("heal-", jobId.Length + 16);
        foreach (var ch in jobId)
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
}
