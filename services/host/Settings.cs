using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;

namespace AutoHeal.Host;

/// <summary>All settings, bound and validated before anything starts.</summary>
internal sealed record Settings(AutoHealOptions Root, DockerOptions Docker, MonitorOptions Monitor, RestartOptions Restart)
{
    /// <summary>
    /// Binds every section strictly (unknown keys are errors, so a typo is never silently ignored)
    /// and validates it. Each error names the full configuration key.
    /// </summary>
    public static (Settings? Settings, IReadOnlyList<string> Errors) Load(IConfiguration configuration)
    {
        var errors = new List<string>();
        var root = Bind<AutoHealOptions>(configuration, AutoHealOptions.Section, errors, nested: ["Docker", "Monitor", "Restart"]);
        var docker = Bind<DockerOptions>(configuration, DockerOptions.Section, errors);
        var monitor = Bind<MonitorOptions>(configuration, MonitorOptions.Section, errors);
        var restart = Bind<RestartOptions>(configuration, RestartOptions.Section, errors);
        return errors.Count > 0 ? (null, errors) : (new Settings(root, docker, monitor, restart), errors);
    }

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
}
