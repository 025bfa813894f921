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

    /// <summary>Sub-sections, bound on their own.</summary>
    public DockerOptions? Docker { get; set; }
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

/// <summary><c>AutoHeal:Api</c>: access to the REST API.</summary>
public sealed class ApiOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "AutoHeal:Api";

    /// <summary>The bearer token; empty means one is generated on first start and kept in the data folder.</summary>
    [MinLength(16, ErrorMessage = "AutoHeal:Api:Token must be at least 16 characters")]
    public string? Token { get; set; }
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
