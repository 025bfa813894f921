using System.ComponentModel.DataAnnotations;
using AutoHeal.Domain.Policies;
using AutoHeal.Domain.Selection;

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
    [Range(1, 3600, ErrorMessage = "AutoHeal:Monitor:IntervalSeconds must be between {1} and {2}")]
    public double IntervalSeconds { get; set; } = 30;

    /// <summary>The opt-in label key.</summary>
    [Required(AllowEmptyStrings = false, ErrorMessage = "AutoHeal:Monitor:LabelKey must not be empty")]
    public string LabelKey { get; set; } = "autoheal";

    /// <summary>The opt-in label value.</summary>
    [Required(AllowEmptyStrings = false, ErrorMessage = "AutoHeal:Monitor:LabelValue must not be empty")]
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

    /// <summary>The selection rules these options describe.</summary>
    public SelectionRules ToRules() => new()
    {
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
public sealed class RestartOptions : IValidatableObject
{
    /// <summary>The configuration section.</summary>
    public const string Section = "AutoHeal:Restart";

    /// <summary><c>both</c>, <c>on-failure</c> or <c>health</c>.</summary>
    public string Mode { get; set; } = "both";

    /// <summary>The least seconds between two heals of one container.</summary>
    [Range(0, 86_400, ErrorMessage = "AutoHeal:Restart:CooldownSeconds must be between {1} and {2}")]
    public double CooldownSeconds { get; set; } = 10;

    /// <summary>The wait before the second heal of an incident.</summary>
    [Range(0, 86_400, ErrorMessage = "AutoHeal:Restart:BackoffInitialSeconds must be between {1} and {2}")]
    public double BackoffInitialSeconds { get; set; } = 10;

    /// <summary>How the wait grows.</summary>
    [Range(1, 10, ErrorMessage = "AutoHeal:Restart:BackoffMultiplier must be between {1} and {2}")]
    public double BackoffMultiplier { get; set; } = 2;

    /// <summary>The longest wait.</summary>
    [Range(0, 86_400, ErrorMessage = "AutoHeal:Restart:BackoffMaxSeconds must be between {1} and {2}")]
    public double BackoffMaxSeconds { get; set; } = 300;

    /// <summary>Healthy running time that resets the backoff.</summary>
    [Range(0, 604_800, ErrorMessage = "AutoHeal:Restart:BackoffResetSeconds must be between {1} and {2}")]
    public double BackoffResetSeconds { get; set; } = 600;

    /// <summary>Heals allowed in the window before quarantine.</summary>
    [Range(1, 1000, ErrorMessage = "AutoHeal:Restart:MaxRestarts must be between {1} and {2}")]
    public int MaxRestarts { get; set; } = 5;

    /// <summary>The quarantine window.</summary>
    [Range(1, 604_800, ErrorMessage = "AutoHeal:Restart:MaxRestartsWindowSeconds must be between {1} and {2}")]
    public double MaxRestartsWindowSeconds { get; set; } = 600;

    /// <summary>Seconds after which a quarantine ends by itself; 0 means only by hand.</summary>
    [Range(0, 604_800, ErrorMessage = "AutoHeal:Restart:QuarantineProbationSeconds must be between {1} and {2}")]
    public double QuarantineProbationSeconds { get; set; }

    /// <summary>How long a restarted container has to be running (and healthy).</summary>
    [Range(0.1, 3600, ErrorMessage = "AutoHeal:Restart:VerifyTimeoutSeconds must be between {1} and {2}")]
    public double VerifyTimeoutSeconds { get; set; } = 60;

    /// <summary>How long Docker waits for a stop before killing, on restart.</summary>
    [Range(0, 3600, ErrorMessage = "AutoHeal:Restart:StopTimeoutSeconds must be between {1} and {2}")]
    public double StopTimeoutSeconds { get; set; } = 10;

    /// <summary>Restarts in flight at once on this host.</summary>
    [Range(1, 256, ErrorMessage = "AutoHeal:Restart:MaxConcurrentRestarts must be between {1} and {2}")]
    public int MaxConcurrentRestarts { get; set; } = 4;

    /// <summary>The heal policy these options describe.</summary>
    public HealPolicy ToPolicy()
    {
        var mode = PolicyLabels.TryParseMode(Mode, out var parsed) ? parsed : HealMode.Both;
        return new HealPolicy
        {
            Mode = mode,
            Cooldown = TimeSpan.FromSeconds(CooldownSeconds),
            BackoffInitial = TimeSpan.FromSeconds(BackoffInitialSeconds),
            BackoffMultiplier = BackoffMultiplier,
            BackoffMax = TimeSpan.FromSeconds(BackoffMaxSeconds),
            BackoffReset = TimeSpan.FromSeconds(BackoffResetSeconds),
            MaxRestarts = MaxRestarts,
            MaxRestartsWindow = TimeSpan.FromSeconds(MaxRestartsWindowSeconds),
            QuarantineProbation = QuarantineProbationSeconds > 0 ? TimeSpan.FromSeconds(QuarantineProbationSeconds) : null,
            VerifyTimeout = TimeSpan.FromSeconds(VerifyTimeoutSeconds),
            StopTimeout = TimeSpan.FromSeconds(StopTimeoutSeconds),
        };
    }

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!PolicyLabels.TryParseMode(Mode, out _))
        {
            yield return new ValidationResult($"AutoHeal:Restart:Mode must be one of both, on-failure, health (was '{Mode}')", [nameof(Mode)]);
        }

        if (BackoffMaxSeconds < BackoffInitialSeconds)
        {
            yield return new ValidationResult("AutoHeal:Restart:BackoffMaxSeconds must not be below BackoffInitialSeconds", [nameof(BackoffMaxSeconds)]);
        }
    }
}

/// <summary>The settings in force, from configuration. (The API makes these editable at run time.)</summary>
internal sealed class OptionsSettingsSource(HealPolicy policy, SelectionRules selection) : Domain.Ports.ISettingsSource
{
    public HealPolicy Policy { get; } = policy;

    public SelectionRules Selection { get; } = selection;
}
