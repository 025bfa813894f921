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
    /// <summary>Sub-sections, bound on their own.</summary>
    public MonitorOptions? Monitor { get; set; }
    /// <summary>Sub-sections, bound on their own.</summary>
    public RestartOptions? Restart { get; set; }
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

/// <summary><c>AutoHeal:Monitor</c>: which containers, and how often the reconcile sweep runs.</summary>
public sealed class MonitorOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "AutoHeal:Monitor";

    /// <summary>Seconds between reconcile sweeps (events are handled at once regardless).</summary>
    public double IntervalSeconds { get; set; } = 30;

    /// <summary>The opt-in label key.</summary>
    public string LabelKey { get; set; } = "autoheal";

    /// <summary>The opt-in label value.</summary>
    public string LabelValue { get; set; } = "true";

    /// <summary>Monitor every container unless excluded.</summary>
    public bool IncludeAll { get; set; }

    /// <summary>Name patterns; when set, only these are monitored.</summary>
    public List<string> Whitelist { get; set; } = [];

    /// <summary>Name patterns never monitored.</summary>
    public List<string> Blacklist { get; set; } = [];

    /// <summary>Labels (<c>key</c> or <c>key=value</c>); when set, only containers with one are monitored.</summary>
    public List<string> LabelWhitelist { get; set; } = [];

    /// <summary>Labels (<c>key</c> or <c>key=value</c>) never monitored.</summary>
    public List<string> LabelBlacklist { get; set; } = [];

    /// <summary>The API's <c>monitor</c> section these options describe.</summary>
    public MonitorConfig ToConfig() => new()
    {
        IntervalSeconds = IntervalSeconds,
        LabelKey = LabelKey,
        LabelValue = LabelValue,
        IncludeAll = IncludeAll,
        Whitelist = Whitelist.ToArray(),
        Blacklist = Blacklist.ToArray(),
        LabelWhitelist = LabelWhitelist.ToArray(),
        LabelBlacklist = LabelBlacklist.ToArray(),
    };
}

/// <summary><c>AutoHeal:Restart</c>: the heal policy.</summary>
public sealed class RestartOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "AutoHeal:Restart";

    /// <summary><c>both</c>, <c>on-failure</c> or <c>health</c>.</summary>
    public string Mode { get; set; } = "both";

    /// <summary>The least seconds between two heals of one container.</summary>
    public double CooldownSeconds { get; set; } = 10;

    /// <summary>The wait before the second heal of an incident.</summary>
    public double BackoffInitialSeconds { get; set; } = 10;

    /// <summary>How the wait grows.</summary>
    public double BackoffMultiplier { get; set; } = 2;

    /// <summary>The longest wait.</summary>
    public double BackoffMaxSeconds { get; set; } = 300;

    /// <summary>Healthy running time that resets the backoff.</summary>
    public double BackoffResetSeconds { get; set; } = 600;

    /// <summary>Heals allowed in the window before quarantine.</summary>
    public int MaxRestarts { get; set; } = 5;

    /// <summary>The quarantine window.</summary>
    public double MaxRestartsWindowSeconds { get; set; } = 600;

    /// <summary>Seconds after which a quarantine ends by itself; 0 means only by hand.</summary>
    public double QuarantineProbationSeconds { get; set; }

    /// <summary>How long a restarted container has to be running (and healthy).</summary>
    public double VerifyTimeoutSeconds { get; set; } = 60;

    /// <summary>How long Docker waits for a stop before killing, on restart.</summary>
    public double StopTimeoutSeconds { get; set; } = 10;

    /// <summary>Restarts in flight at once on this host.</summary>
    public int MaxConcurrentRestarts { get; set; } = 4;

    /// <summary>The API's <c>restart</c> section these options describe.</summary>
    public RestartConfig ToConfig() => new()
    {
        Mode = Mode,
        CooldownSeconds = CooldownSeconds,
        BackoffInitialSeconds = BackoffInitialSeconds,
        BackoffMultiplier = BackoffMultiplier,
        BackoffMaxSeconds = BackoffMaxSeconds,
        BackoffResetSeconds = BackoffResetSeconds,
        MaxRestarts = MaxRestarts,
        MaxRestartsWindowSeconds = MaxRestartsWindowSeconds,
        QuarantineProbationSeconds = QuarantineProbationSeconds,
        VerifyTimeoutSeconds = VerifyTimeoutSeconds,
        StopTimeoutSeconds = StopTimeoutSeconds,
        MaxConcurrentRestarts = MaxConcurrentRestarts,
    };
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
