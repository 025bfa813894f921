namespace AutoHeal.Domain.Probes;

/// <summary>
/// Where an exec check defined through the API may run (<c>AutoHeal:Checks:ApiExec</c>). An exec check runs a command
/// inside the container: through the API, that would make the API token a way into every container, privileged ones
/// (root on the host) among them.
/// </summary>
public enum ApiExec
{
    /// <summary>In any container that is not privileged; in a privileged one only with its label <c>autoheal.check.api_exec=true</c>.</summary>
    Unprivileged,
    /// <summary>Only in containers labelled <c>autoheal.check.api_exec=true</c>.</summary>
    Labelled,
    /// <summary>Nowhere: exec checks come from containers' own labels only.</summary>
    None,
}

/// <summary>The rule of <see cref="ApiExec"/>, with the container's own say (its label).</summary>
public static class ApiExecRule
{
    /// <summary>The label by which a container allows (<c>true</c>) or refuses (<c>false</c>) exec checks defined through the API.</summary>
    public const string Label = "autoheal.check.api_exec";

    /// <summary>Why an exec check defined through the API may not run in <paramref name="container"/>, or null when it may.</summary>
    public static string? WhyNot(ApiExec setting, Ports.ContainerInfo container)
    {
        var label = container.Labels.TryGetValue(Label, out var v) ? v.Trim().ToLowerInvariant() : null;
        return (setting, label) switch
        {
            (_, "false") => $"its label {Label}=false refuses exec checks defined through the API",
            (ApiExec.None, _) => "exec checks defined through the API are off (AutoHeal:Checks:ApiExec is none)",
            (_, "true") => null,
            (ApiExec.Labelled, _) => $"exec checks defined through the API run only in containers labelled {Label}=true (AutoHeal:Checks:ApiExec is labelled)",
            _ when container.Privileged =>
                $"it is privileged (privileged, a capability that escapes the container, the host's processes, a device, or a bind mount of the host's system folders or a socket): exec checks defined through the API run in it only with its label {Label}=true",
            _ => null,
        };
    }
}
