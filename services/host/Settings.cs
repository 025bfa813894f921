using System.ComponentModel.DataAnnotations;
using AutoHeal.Contracts.Api;

namespace AutoHeal.Host;

/// <summary>All settings, bound and validated before anything starts.</summary>
internal sealed partial record Settings(
    AutoHealOptions Root, DockerOptions Docker, MonitorConfig Monitor, RestartConfig Restart, ApiOptions Api, MetricsOptions Metrics,
    DaprOptions Dapr, UiOptions Ui, ChecksOptions Checks, DependentsOptions Dependents, NotificationOptions Notifications, string? AppApiToken)
{
    /// <summary>
    /// Binds every section strictly (unknown keys are errors, so a typo is never silently ignored)
    /// and validates it. Each error names the full configuration key.
    /// </summary>
    public static (Settings? Settings, IReadOnlyList<string> Errors) Load(IConfiguration configuration)
    {
        var errors = new List<string>();
        var root = Bind<AutoHealOptions>(configuration, AutoHealOptions.Section, errors, nested: ["Docker", "Dapr", "Monitor", "Restart", "Api", "Metrics", "Ui", "Checks", "Dependents", "Notifications"]);
        var docker = Bind<DockerOptions>(configuration, DockerOptions.Section, errors);
        var dapr = Bind<DaprOptions>(configuration, DaprOptions.Section, errors);
        var monitor = Bind<MonitorConfig>(configuration, "AutoHeal:Monitor", errors);
        var restart = Bind<RestartConfig>(configuration, "AutoHeal:Restart", errors);
        var api = Bind<ApiOptions>(configuration, ApiOptions.Section, errors);
        var metrics = Bind<MetricsOptions>(configuration, MetricsOptions.Section, errors);
        var ui = Bind<UiOptions>(configuration, UiOptions.Section, errors);
        var checks = Bind<ChecksOptions>(configuration, ChecksOptions.Section, errors);
        var dependents = Bind<DependentsOptions>(configuration, DependentsOptions.Section, errors);
        var notifications = Bind<NotificationOptions>(configuration, NotificationOptions.Section, errors);
        // Dapr's token for calls from the sidecar (an environment variable of daprd and the app alike).
        var appApiToken = configuration["APP_API_TOKEN"] is { Length: > 0 } t ? t : null;
        if (docker.Endpoint is { Length: > 0 } endpoint
            && !(Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) && uri.Scheme is "unix" or "tcp" or "http" or "https" or "npipe"))
        {
            errors.Add($"AutoHeal:Docker:Endpoint must be a unix://, tcp://, http(s):// or npipe:// address (was '{endpoint}')");
        }

        if (errors.Count == 0 && root.Transport == "embedded" && Roles.Parse(root.Roles) != Roles.All)
        {
            errors.Add($"AutoHeal:Roles is '{root.Roles}': running some roles only needs AutoHeal:Transport=dapr (the other roles run in other processes)");
        }

        if (errors.Count == 0 && IsOnDapr(root))
        {
            // Host names become Dapr app ids (autoheal-watcher-<host>): DNS labels, lower case, no dots.
            foreach (var (key, host) in dapr.HostList.Select(h => ("AutoHeal:Dapr:Hosts", h)).Append(("AutoHeal:Docker:HostName", docker.HostName)))
            {
                if (!DaprHostName().IsMatch(host))
                {
                    errors.Add($"{key} '{host}' cannot name a watcher on Dapr: use lower-case letters, digits and '-' (at most 40, no dots)");
                }
            }

            if (appApiToken is null)
            {
                errors.Add("APP_API_TOKEN must be set for every role on Dapr (give the same value to each role and its daprd): the routes the sidecar calls (subscriptions, actors, the watcher's, which restart containers) take only calls carrying it");
            }
        }

        if (errors.Count == 0)
        {
            // The same limits as the API's, reported under the configuration key.
            foreach (var (field, messages) in ConfigLimits.Validate(new AutoHealConfig { Monitor = monitor, Restart = restart }))
            {
                errors.AddRange(messages.Select(m => m.Replace(field, KeyOf(field), StringComparison.Ordinal)));
            }
        }

        return errors.Count > 0 ? (null, errors) : (new Settings(root, docker, monitor, restart, api, metrics, dapr, ui, checks, dependents, notifications, appApiToken), errors);
    }

    /// <summary>The roles this process runs.</summary>
    public Roles Roles => Roles.Parse(Root.Roles);

    /// <summary>Whether the roles talk over Dapr (a subset of roles, or <c>AutoHeal:Transport=dapr</c>).</summary>
    public bool OnDapr => IsOnDapr(Root);

    private static bool IsOnDapr(AutoHealOptions root) =>
        root.Transport == "dapr" || (root.Transport == "" && Roles.Parse(root.Roles) != Roles.All);

    /// <summary>The initial configuration, from these settings.</summary>
    public AutoHealConfig ToConfig() => new() { Monitor = Monitor, Restart = Restart };

    /// <summary><c>restart.cooldown_seconds</c> → <c>AutoHeal:Restart:CooldownSeconds</c>.</summary>
    internal static string KeyOf(string field) =>
        "AutoHeal:" + string.Join(':', field.Split('.').Select(part =>
            string.Concat(part.Split('_').Select(w => w.Length == 0 ? w : char.ToUpperInvariant(w[0]) + w[1..]))));

    private static T Bind<T>(IConfiguration configuration, string section, List<string> errors, string[]? nested = null)
        where T : new()
    {
        var options = new T();
        var s = configuration.GetSection(section);
        foreach (var child in s.GetChildren())
        {
            if (nested?.Contains(child.Key, StringComparer.OrdinalIgnoreCase) == true)
            {
                continue;
            }

            if (typeof(T).GetProperty(child.Key, System.Reflection.BindingFlags.IgnoreCase | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance) is null)
            {
                errors.Add($"{section}:{child.Key} is not a known setting");
            }
        }

        try
        {
            s.Bind(options);
        }
        catch (InvalidOperationException ex)
        {
            errors.Add(ex.InnerException is { } inner ? $"{ex.Message} ({inner.Message})" : ex.Message);
            return options;
        }

        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true))
        {
            errors.AddRange(results.Select(r => r.ErrorMessage ?? $"{section}: invalid"));
        }

        return options;
    }

    [System.Text.RegularExpressions.GeneratedRegex("^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$")]
    private static partial System.Text.RegularExpressions.Regex DaprHostName();
}
