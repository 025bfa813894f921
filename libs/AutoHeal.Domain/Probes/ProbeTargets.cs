using System.Globalization;
using System.Net;
using AutoHeal.Domain.Policies;
using AutoHeal.Domain.Ports;

namespace AutoHeal.Domain.Probes;

/// <summary>
/// Where a check defined by a container's labels may send its requests: to that container only. Labels are written by
/// whoever runs the container, or by its image's author, and the requests go out from AutoHeal (root on the host,
/// next to the Docker socket and the Dapr sidecar): an address of the container's own, or a port on loopback that the
/// container publishes there or, on the host's network, listens on. A check aimed anywhere else needs a definition
/// through the API, a token holder's decision.
/// </summary>
public static class ProbeTargets
{
    /// <summary>
    /// The problem with a label-defined HTTP or TCP check's target for <paramref name="container"/>, or null when it may
    /// run. <paramref name="loopbackIsHost"/>: AutoHeal's loopback is the host's (it runs on the host, or in a container on
    /// the host's network); otherwise loopback is AutoHeal's own namespace (its API, a sidecar), never the container's.
    /// <paramref name="listeners"/> are the loopback ports the container's processes listen on (null: cannot tell);
    /// asked only for a container on the host's network.
    /// </summary>
    public static async Task<LabelProblem?> CheckAsync(ProbeSpec spec, ContainerInfo container, bool loopbackIsHost, Func<Task<IReadOnlySet<int>?>> listeners)
    {
        string label, value, host;
        int port;
        switch (spec.Kind)
        {
            case ProbeKind.Http when Uri.TryCreate(spec.Url, UriKind.Absolute, out var uri):
                (label, value, host, port) = ("autoheal.check.url", spec.Url!, uri.IdnHost.Trim('[', ']'), uri.Port);
                break;
            case ProbeKind.Tcp:
                (label, value, host, port) = ("autoheal.check.host", spec.Host ?? "", (spec.Host ?? "").Trim('[', ']'), spec.Port ?? 0);
                break;
            default:
                return null;
        }

        LabelProblem Problem(string why) => new(label, value, $"{why}; a check aimed anywhere else must be defined through the API");

        var loopback = host.Equals("localhost", StringComparison.OrdinalIgnoreCase);
        if (IPAddress.TryParse(host, out var ip))
        {
            if (container.Addresses.Any(a => IPAddress.TryParse(a, out var own) && own.Equals(ip)))
            {
                return null; // one of its own addresses
            }

            loopback = IPAddress.IsLoopback(ip);
        }

        if (!loopback)
        {
            var own = container.Addresses.Count > 0 ? $" ({string.Join(", ", container.Addresses)})" : "";
            return Problem($"must point at the container itself: one of its own IP addresses{own}, or a loopback port it publishes or listens on");
        }

        if (!loopbackIsHost)
        {
            var own = container.Addresses.Count > 0 ? $": one of its own IP addresses ({string.Join(", ", container.Addresses)})" : "";
            return Problem($"AutoHeal runs in a network namespace of its own, so loopback is AutoHeal's, not the host's; point it at the container itself{own}");
        }

        if (container.LoopbackPorts.Contains(port))
        {
            return null; // published by it
        }

        if (!container.HostNetwork)
        {
            return Problem(string.Create(CultureInfo.InvariantCulture, $"port {port} on loopback is not one the container publishes"));
        }

        return await listeners() switch
        {
            null => Problem("AutoHeal cannot see which ports this host-network container listens on (its processes are not visible from AutoHeal)"),
            var ports when ports.Contains(port) => null,
            _ => Problem(string.Create(CultureInfo.InvariantCulture, $"port {port} on loopback is not one the container listens on (yet)")),
        };
    }
}
