using System.Globalization;
using System.Text.RegularExpressions;
using AutoHeal.Contracts.Api;

namespace AutoHeal.Core.Settings;

/// <summary>
/// Why a shared document read back from the store may not be put in force, naming the field: the same checks the
/// API makes of what it is sent. Whoever can write the store (a local user of an unprotected Redis, another tool)
/// need not be AutoHeal.
/// </summary>
public static partial class DocumentProblems
{
    /// <summary>The first of a validator's problems, as <c>field: message</c>; null when there is none.</summary>
    public static string? First(IReadOnlyDictionary<string, string[]> errors) =>
        errors.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key}: {string.Join("; ", e.Value)}").FirstOrDefault();

    /// <summary>The check definitions: each valid as <c>POST /api/healthchecks</c> requires, for a container name, one per container.</summary>
    public static string? InHealthChecks(List<HealthCheckDefinition> checks)
    {
        ArgumentNullException.ThrowIfNull(checks);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < checks.Count; i++)
        {
            var at = string.Create(CultureInfo.InvariantCulture, $"healthchecks[{i}]");
            if (checks[i] is not { } check)
            {
                return $"{at}: null";
            }

            if (First(HealthCheckValidation.Validate(check)) is { } problem)
            {
                return $"{at}.{problem}";
            }

            if (!IsContainerName(check.ContainerId!))
            {
                return $"{at}.container_id: '{check.ContainerId}' is not a container name ([a-zA-Z0-9][a-zA-Z0-9_.-]*)";
            }

            if (!seen.Add(check.ContainerId!))
            {
                return $"{at}.container_id: a second check for '{check.ContainerId}' (one per container)";
            }
        }

        return null;
    }

    /// <summary>The operators' selections: each key a container's <c>host/name</c>.</summary>
    public static string? InSelections(Dictionary<string, bool> selections)
    {
        ArgumentNullException.ThrowIfNull(selections);
        return selections.Keys.FirstOrDefault(k => !SelectionKey().IsMatch(k)) is { } bad
            ? $"selections['{bad}']: not a container's host/name"
            : null;
    }

    /// <summary>The holds: maintenance with a start before its end, snoozes of containers' <c>host/name</c>, reasons of at most 200 characters.</summary>
    public static string? InHolds(HoldsDocument holds)
    {
        ArgumentNullException.ThrowIfNull(holds);
        if (holds.Maintenance is { } m)
        {
            if (m.Until <= m.StartedAt || m.Until - m.StartedAt > TimeSpan.FromSeconds(SettingsService.MaxHoldSeconds))
            {
                return $"holds.maintenance.until: must be after started_at, by at most {SettingsService.MaxHoldSeconds} seconds";
            }

            if (m.Reason is null || m.Reason.Length > 200)
            {
                return "holds.maintenance.reason: at most 200 characters";
            }
        }

        if (holds.Snoozes is null)
        {
            return "holds.snoozes: must be an object";
        }

        foreach (var (key, snooze) in holds.Snoozes)
        {
            if (!SelectionKey().IsMatch(key))
            {
                return $"holds.snoozes['{key}']: not a container's host/name";
            }

            if (snooze?.Reason is not { Length: <= 200 })
            {
                return $"holds.snoozes['{key}'].reason: at most 200 characters";
            }
        }

        return null;
    }

    /// <summary>Whether <paramref name="name"/> is a name Docker lets a container take.</summary>
    public static bool IsContainerName(string name) => ContainerName().IsMatch(name);

    [GeneratedRegex("^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,254}$")]
    private static partial Regex ContainerName();

    [GeneratedRegex("^[^/\\s]{1,255}/[a-zA-Z0-9][a-zA-Z0-9_.-]{0,254}$")]
    private static partial Regex SelectionKey();
}
