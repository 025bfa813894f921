using AutoHeal.Domain.Containers;
using AutoHeal.Domain.Ports;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace AutoHeal.Docker;

/// <summary>
/// A container created again from its own configuration (<see cref="Recreations"/>), and the tidying of recreations
/// cut short. The steps, each undone when a later one fails: set the original aside (rename); create the new one under
/// its name; connect its other networks; stop the original; start the new one; remove the original, its volumes kept.
/// </summary>
internal sealed class DockerRecreation(DockerClient client, string host)
{
    public async Task<RecreateResult> RecreateAsync(string id, IReadOnlyDictionary<string, string> references, TimeSpan stopTimeout, CancellationToken cancellationToken)
    {
        ContainerInspectResponse old;
        try
        {
            old = await client.Containers.InspectContainerAsync(id, cancellationToken);
        }
        catch (DockerContainerNotFoundException)
        {
            return new RecreateResult(false, "the container is gone");
        }

        var name = old.Name.TrimStart('/');
        var changed = Changed(old, references).ToList(); // before the parameters, which are the original's configuration changed
        var parameters = await ParametersAsync(old, name, references, cancellationToken);
        var aside = Recreations.SetAsideName(name, old.ID);
        var wasRunning = old.State?.Running == true;
        string? created = null;
        var step = "set the original aside";
        try
        {
            await client.Containers.RenameContainerAsync(old.ID, new ContainerRenameParameters { NewName = aside }, cancellationToken);
            step = "create the new container";
            created = (await client.Containers.CreateContainerAsync(parameters, cancellationToken)).ID;
            step = "connect it to its networks";
            foreach (var (network, endpoint) in ExtraNetworks(old))
            {
                await client.Networks.ConnectNetworkAsync(network, new NetworkConnectParameters { Container = created, EndpointConfig = endpoint }, cancellationToken);
            }

            if (wasRunning)
            {
                step = "stop the original";
                await client.Containers.StopContainerAsync(old.ID, new ContainerStopParameters { WaitBeforeKillSeconds = (uint)Math.Ceiling(stopTimeout.TotalSeconds) }, cancellationToken);
            }

            step = "start the new container";
            await client.Containers.StartContainerAsync(created, new ContainerStartParameters(), cancellationToken);
        }
        catch (Exception ex) when (ex is DockerApiException or OperationCanceledException or HttpRequestException or IOException or TimeoutException)
        {
            var undone = await UndoAsync(old.ID, name, created, wasRunning);
            if (ex is HttpRequestException or IOException or TimeoutException)
            {
                throw new IOException($"the engine did not answer while AutoHeal tried to {step}; {undone}", ex); // unreachable: the heal is called off
            }

            return new RecreateResult(false, $"could not {step} ({Words(ex)}); {undone}");
        }

        try
        {
            await client.Containers.RemoveContainerAsync(old.ID, new ContainerRemoveParameters { Force = true }, CancellationToken.None);
        }
        catch (DockerApiException)
        {
            // left set aside: the next start's tidying removes it
        }

        var now = await client.Containers.InspectContainerAsync(created, CancellationToken.None);
        var pointed = changed.Count == 0 ? "" : $", its {string.Join(" and ", changed)} now that of {string.Join(", ", references.Values.Select(v => v[..Math.Min(12, v.Length)]).Distinct())}";
        return new RecreateResult(true, $"recreated as {created[..12]} (was {old.ID[..12]}){pointed}") { Container = DockerRuntime.ToInfo(now, host) };
    }

    public async Task<IReadOnlyList<string>> TidyAsync(CancellationToken cancellationToken)
    {
        var done = new List<string>();
        var all = await client.Containers.ListContainersAsync(new ContainersListParameters { All = true }, cancellationToken);
        foreach (var c in all)
        {
            var asideName = c.Names.FirstOrDefault()?.TrimStart('/') ?? "";
            if (Recreations.SetAsideFrom(asideName, c.ID) is not { } name)
            {
                continue;
            }

            var replacement = all.FirstOrDefault(o => o.Names.Any(n => n.TrimStart('/') == name));
            try
            {
                if (replacement is not null && (replacement.State == "running" || await TryStartAsync(replacement.ID)))
                {
                    await client.Containers.RemoveContainerAsync(c.ID, new ContainerRemoveParameters { Force = true }, cancellationToken);
                    done.Add($"finished the recreation of {name} that AutoHeal was stopped in: removed the original {c.ID[..12]}");
                }
                else
                {
                    done.Add($"undid the recreation of {name} that AutoHeal was stopped in: {await UndoAsync(c.ID, name, replacement?.ID, wasRunning: true)}");
                }
            }
            catch (DockerApiException ex)
            {
                done.Add($"could not tidy the recreation of {name} that AutoHeal was stopped in ({Words(ex)}); {asideName} is left for the operator");
            }
        }

        return done;
    }

    // Best effort, whatever the caller's token says: the original must get its name back.
    private async Task<string> UndoAsync(string originalId, string name, string? created, bool wasRunning)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            if (created is not null)
            {
                await client.Containers.RemoveContainerAsync(created, new ContainerRemoveParameters { Force = true }, timeout.Token);
            }

            await client.Containers.RenameContainerAsync(originalId, new ContainerRenameParameters { NewName = name }, timeout.Token);
            if (wasRunning && !await TryStartAsync(originalId))
            {
                return "the original has its name back, but would not start again";
            }

            return "the original was put back as it was";
        }
        catch (Exception ex) when (ex is DockerApiException or OperationCanceledException or HttpRequestException or IOException or TimeoutException)
        {
            return $"putting the original back failed too ({Words(ex)})";
        }
    }

    private async Task<bool> TryStartAsync(string id)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await client.Containers.StartContainerAsync(id, new ContainerStartParameters(), timeout.Token);
            return (await client.Containers.InspectContainerAsync(id, timeout.Token)).State?.Running == true;
        }
        catch (Exception ex) when (ex is DockerApiException or OperationCanceledException)
        {
            return false;
        }
    }

    // Everything the original was created with; only the container: references replaced.
    private async Task<CreateContainerParameters> ParametersAsync(
        ContainerInspectResponse old, string name, IReadOnlyDictionary<string, string> references, CancellationToken cancellationToken)
    {
        var hostConfig = old.HostConfig ?? new HostConfig();
        hostConfig.NetworkMode = Replace(hostConfig.NetworkMode, references);
        hostConfig.PidMode = Replace(hostConfig.PidMode, references);
        hostConfig.IpcMode = Replace(hostConfig.IpcMode, references);
        // Anonymous volumes keep their data: mounted by name, as they are now.
        var named = (hostConfig.Mounts ?? []).Select(m => m.Target).Concat((hostConfig.Binds ?? []).Select(b => b.Split(':') is { Length: >= 2 } p ? p[1] : "")).ToHashSet(StringComparer.Ordinal);
        foreach (var m in (hostConfig.Mounts ?? []).Where(m => m.Type == "volume" && string.IsNullOrEmpty(m.Source)))
        {
            m.Source = (old.Mounts ?? []).FirstOrDefault(o => o.Destination == m.Target)?.Name; // --mount type=volume,dst=/data: anonymous, by name now
        }

        var anonymous = (old.Mounts ?? []).Where(m => m.Type == "volume" && !named.Contains(m.Destination)).ToList();
        if (anonymous.Count > 0)
        {
            hostConfig.Mounts = [.. hostConfig.Mounts ?? [], .. anonymous.Select(m => new Mount { Type = "volume", Source = m.Name, Target = m.Destination, ReadOnly = !m.RW })];
        }

        var parameters = new CreateContainerParameters(old.Config)
        {
            Name = name,
            HostConfig = hostConfig,
            Image = await ImageAsync(old, cancellationToken),
        };
        // Docker fills these in itself: from the namespace's container, or from the container's own id.
        var joins = Dependencies.Reference(hostConfig.NetworkMode) is not null;
        if (joins || old.Config?.Hostname == old.ID[..12])
        {
            parameters.Hostname = "";
            parameters.Domainname = "";
        }

        if (joins)
        {
            // The network is the other container's: Docker refuses these with container: networking (inspect
            // shows the image's EXPOSE merged in, which the original's create never had to pass).
            parameters.ExposedPorts = null;
            parameters.MacAddress = "";
            hostConfig.PortBindings = null;
            hostConfig.PublishAllPorts = false;
            hostConfig.DNS = null;
            hostConfig.DNSOptions = null;
            hostConfig.DNSSearch = null;
            hostConfig.ExtraHosts = null;
            hostConfig.Links = null;
        }

        if (PrimaryNetwork(old) is { } primary)
        {
            parameters.NetworkingConfig = new NetworkingConfig { EndpointsConfig = new Dictionary<string, EndpointSettings> { [primary.Key] = Endpoint(primary.Value, old.ID) } };
        }

        return parameters;
    }

    // The same image: by the name it was run with while that name still means it, else by its id.
    private async Task<string> ImageAsync(ContainerInspectResponse old, CancellationToken cancellationToken)
    {
        var named = old.Config?.Image;
        if (string.IsNullOrEmpty(named))
        {
            return old.Image;
        }

        try
        {
            return (await client.Images.InspectImageAsync(named, cancellationToken)).ID == old.Image ? named : old.Image;
        }
        catch (DockerApiException)
        {
            return old.Image;
        }
    }

    private static KeyValuePair<string, EndpointSettings>? PrimaryNetwork(ContainerInspectResponse old)
    {
        var networks = old.NetworkSettings?.Networks;
        var mode = old.HostConfig?.NetworkMode;
        if (networks is null || networks.Count == 0 || mode is null || Dependencies.Reference(mode) is not null || mode is "host" or "none")
        {
            return null;
        }

        return networks.FirstOrDefault(n => n.Key == mode) is { Key: not null } m ? m : networks.First();
    }

    private static IEnumerable<(string Network, EndpointSettings Endpoint)> ExtraNetworks(ContainerInspectResponse old) =>
        PrimaryNetwork(old) is { } primary
            ? old.NetworkSettings.Networks.Where(n => n.Key != primary.Key).Select(n => (n.Key, Endpoint(n.Value, old.ID)))
            : [];

    // What the user gave: aliases (not the one Docker adds from the old id), static addresses, links. Not the addresses Docker assigned.
    private static EndpointSettings Endpoint(EndpointSettings e, string oldId) => new()
    {
        Aliases = e.Aliases?.Where(a => !oldId.StartsWith(a, StringComparison.Ordinal)).ToList(),
        IPAMConfig = e.IPAMConfig,
        Links = e.Links,
        DriverOpts = e.DriverOpts,
    };

    private static string? Replace(string? mode, IReadOnlyDictionary<string, string> references) =>
        Dependencies.Reference(mode) is { } reference && references.TryGetValue(reference, out var now)
            ? $"container:{now}"
            : mode;

    private static IEnumerable<string> Changed(ContainerInspectResponse old, IReadOnlyDictionary<string, string> references)
    {
        var hc = old.HostConfig;
        foreach (var (mode, what) in new[] { (hc?.NetworkMode, "network"), (hc?.PidMode, "PID"), (hc?.IpcMode, "IPC") })
        {
            if (Dependencies.Reference(mode) is { } reference && references.ContainsKey(reference))
            {
                yield return $"{what} namespace";
            }
        }
    }

    // Docker's own words: the message of its error body.
    internal static string Words(Exception ex)
    {
        if (ex is DockerApiException { ResponseBody: { Length: > 0 } body })
        {
            try
            {
                using var doc = System.Text.Json.JsonDocument.Parse(body);
                if (doc.RootElement.TryGetProperty("message", out var message) && message.GetString() is { Length: > 0 } text)
                {
                    return text;
                }
            }
            catch (System.Text.Json.JsonException)
            {
            }

            return body.Trim();
        }

        return ex.Message;
    }
}
