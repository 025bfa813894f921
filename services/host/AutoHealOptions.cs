using System.ComponentModel.DataAnnotations;
using AutoHeal.Contracts.Api;

namespace AutoHeal.Host;

/// <summary><c>AutoHeal</c>: where state lives.</summary>
public sealed class AutoHealOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "AutoHeal";

    /// <summary>The data folder (SQLite file, generated token).</summary>
    [Required(ErrorMessage = "AutoHeal:DataDir must be set")]
    public string DataDir { get; set; } = "./data";

    /// <summary>How many events the log keeps.</summary>
    [Range(100, 10_000_000, ErrorMessage = "AutoHeal:EventRetention must be between {1} and {2}")]
    public int EventRetention { get; set; } = 10_000;

    /// <summary>
    /// The roles this process runs (<c>--roles</c>): <c>all</c> (the default), or a comma list of
    /// <c>watcher</c>, <c>healer</c>, <c>api</c>, <c>ui</c>. A subset runs on the Dapr transport.
    /// </summary>
    [RegularExpression("^ *(all|watcher|healer|api|ui)( *, *(all|watcher|healer|api|ui))* *$",
        ErrorMessage = "AutoHeal:Roles (--roles) must be 'all' or a comma list of watcher, healer, api, ui")]
    public string Roles { get; set; } = "all";

    /// <summary><c>embedded</c> (in-process, SQLite) or <c>dapr</c> (pub/sub, actors, workflows, state store); empty picks embedded for all roles, dapr for a subset.</summary>
    [RegularExpression("^(|embedded|dapr)$", ErrorMessage = "AutoHeal:Transport (--transport) must be 'embedded' or 'dapr'")]
    public string Transport { get; set; } = "";

    /// <summary>Sub-sections, bound on their own.</summary>
    public DockerOptions? Docker { get; set; }
    /// <summary>Sub-sections, bound on their own.</summary>
    public DaprOptions? Dapr { get; set; }
    /// <summary>Sub-sections, bound on their own (<c>Monitor</c> and <c>Restart</c> straight into the API's
    /// <see cref="MonitorConfig"/> and <see cref="RestartConfig"/>: one shape, one set of limits).</summary>
    public MonitorConfig? Monitor { get; set; }
    /// <summary>Sub-sections, bound on their own.</summary>
    public RestartConfig? Restart { get; set; }
    /// <summary>Sub-sections, bound on their own.</summary>
    public ApiOptions? Api { get; set; }
    /// <summary>Sub-sections, bound on their own.</summary>
    public MetricsOptions? Metrics { get; set; }
    /// <summary>Sub-sections, bound on their own.</summary>
    public UiOptions? Ui { get; set; }
    /// <summary>Sub-sections, bound on their own.</summary>
    public ChecksOptions? Checks { get; set; }
}

/// <summary><c>AutoHeal:Checks</c>: the rules of custom health checks.</summary>
public sealed class ChecksOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "AutoHeal:Checks";

    /// <summary>
    /// Where exec checks defined through the API may run: <c>unprivileged</c> (any container but a privileged one,
    /// unless it is labelled <c>autoheal.check.api_exec=true</c>), <c>labelled</c> (only containers with that label) or
    /// <c>none</c>. A container labelled <c>autoheal.check.api_exec=false</c> never runs one.
    /// </summary>
    [RegularExpression("^(unprivileged|labelled|none)$", ErrorMessage = "AutoHeal:Checks:ApiExec must be unprivileged, labelled or none")]
    public string ApiExec { get; set; } = "unprivileged";

    /// <summary>The setting as the watcher and the API apply it.</summary>
    public Domain.Probes.ApiExec Parsed => ApiExec switch
    {
        "labelled" => Domain.Probes.ApiExec.Labelled,
        "none" => Domain.Probes.ApiExec.None,
        _ => Domain.Probes.ApiExec.Unprivileged,
    };
}

/// <summary><c>AutoHeal:Docker</c>: the engine.</summary>
public sealed class DockerOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "AutoHeal:Docker";

    /// <summary>The engine endpoint; empty means <c>DOCKER_HOST</c>, else the local socket.</summary>
    public string? Endpoint { get; set; }

    /// <summary>The name of this Docker host in container keys and events.</summary>
    [Required(ErrorMessage = "AutoHeal:Docker:HostName must be set")]
    [RegularExpression("^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$", ErrorMessage = "AutoHeal:Docker:HostName must be letters, digits, '.', '_' or '-' (at most 63)")]
    public string HostName { get; set; } = "local";
}

/// <summary><c>AutoHeal:Dapr</c>: distributed mode.</summary>
public sealed class DaprOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "AutoHeal:Dapr";

    /// <summary>The Docker hosts (comma list) whose watchers the API shows; each runs a watcher with app id <c>autoheal-watcher-host</c>.</summary>
    [Required(ErrorMessage = "AutoHeal:Dapr:Hosts must name at least one Docker host")]
    [RegularExpression("^ *[A-Za-z0-9][A-Za-z0-9_.-]{0,62}( *, *[A-Za-z0-9][A-Za-z0-9_.-]{0,62})* *$",
        ErrorMessage = "AutoHeal:Dapr:Hosts must be a comma list of host names (letters, digits, '.', '_' or '-')")]
    public string Hosts { get; set; } = "local";

    /// <summary>How long a role on Dapr waits for its sidecar at start before giving up (exit code 2).</summary>
    [Range(1, 600, ErrorMessage = "AutoHeal:Dapr:SidecarWaitSeconds must be between {1} and {2}")]
    public int SidecarWaitSeconds { get; set; } = 60;

    /// <summary>The host names, trimmed.</summary>
    public IReadOnlyList<string> HostList => Hosts.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
}

/// <summary>The roles one process runs.</summary>
public sealed record Roles(bool Watcher, bool Healer, bool Api, bool Ui)
{
    /// <summary>Every role: embedded AutoHeal.</summary>
    public static readonly Roles All = new(true, true, true, true);

    /// <summary>From <c>AutoHeal:Roles</c> (already validated).</summary>
    public static Roles Parse(string text)
    {
        var names = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.OrdinalIgnoreCase);
        return names.Contains("all") ? All : new(names.Contains("watcher"), names.Contains("healer"), names.Contains("api"), names.Contains("ui"));
    }

    /// <inheritdoc />
    public override string ToString() => this == All ? "all" : string.Join(',',
        new[] { (Watcher, "watcher"), (Healer, "healer"), (Api, "api"), (Ui, "ui") }.Where(r => r.Item1).Select(r => r.Item2));
}

/// <summary><c>AutoHeal:Api</c>: access to the REST API.</summary>
public sealed class ApiOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "AutoHeal:Api";

    /// <summary>The bearer token; empty means one is generated on first start and kept in the data folder.</summary>
    [MinLength(16, ErrorMessage = "AutoHeal:Api:Token must be at least 16 characters")]
    public string? Token { get; set; }
}

/// <summary><c>AutoHeal:Notifications</c>: where the services with one fixed address live (the targets themselves are in the configuration's <c>notifications</c>).</summary>
public sealed class NotificationOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "AutoHeal:Notifications";

    /// <summary>The Telegram Bot API (a self-hosted Bot API server, say).</summary>
    [Url(ErrorMessage = "AutoHeal:Notifications:TelegramApi must be an absolute http:// or https:// URL")]
    public string TelegramApi { get; set; } = "https://api.telegram.org/";

    /// <summary>The Pushover API.</summary>
    [Url(ErrorMessage = "AutoHeal:Notifications:PushoverApi must be an absolute http:// or https:// URL")]
    public string PushoverApi { get; set; } = "https://api.pushover.net/";
}

/// <summary><c>AutoHeal:Ui</c>: the dashboard.</summary>
public sealed class UiOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "AutoHeal:Ui";

    /// <summary>Where the dashboard reaches the API; empty means this autoheal's own address on loopback.</summary>
    [Url(ErrorMessage = "AutoHeal:Ui:ApiBaseUrl must be an absolute http:// or https:// URL")]
    public string? ApiBaseUrl { get; set; }
}

/// <summary><c>AutoHeal:Metrics</c>: Prometheus exposition.</summary>
public sealed class MetricsOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "AutoHeal:Metrics";

    /// <summary>A separate port for <c>/metrics</c> as well (0 = only on the main port).</summary>
    [Range(0, 65535, ErrorMessage = "AutoHeal:Metrics:Port must be between 0 and 65535")]
    public int Port { get; set; }
}

/// <summary><c>AutoHeal:Dependents</c>: restarting the containers that share a parent's namespaces when it starts again.</summary>
public sealed class DependentsOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "AutoHeal:Dependents";

    /// <summary>Whether a parent's dependents are restarted when it starts again.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How long after the parent's start (once it runs, and is healthy if it has a health check).</summary>
    [Range(0, 300, ErrorMessage = "AutoHeal:Dependents:SettleSeconds must be between {1} and {2}")]
    public double SettleSeconds { get; set; } = 5;
}
