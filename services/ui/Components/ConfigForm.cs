using System.Globalization;
using System.Text.Json;
using AutoHeal.Contracts.Api;

namespace AutoHeal.Ui.Components;

/// <summary>What kind of input a configuration field takes.</summary>
public enum FieldKind
{
    /// <summary>A number, kept as typed.</summary>
    Number,
    /// <summary>Free text.</summary>
    Text,
    /// <summary>One of a few values.</summary>
    Choice,
    /// <summary>On or off.</summary>
    Flag,
    /// <summary>A list, one item per line.</summary>
    List,
}

/// <summary>One editable setting; numbers are kept as typed so a bad value reaches the API and its message.</summary>
public sealed class ConfigField(string key, FieldKind kind, string label)
{
    /// <summary>The field's JSON name in its section.</summary>
    public string Key { get; } = key;

    /// <summary>What input it takes.</summary>
    public FieldKind Kind { get; } = kind;

    /// <summary>What the form shows as its name.</summary>
    public string Label { get; } = label;

    /// <summary>The value as typed (numbers, text, lists one item per line).</summary>
    public string Text { get; set; } = "";

    /// <summary>The value of a <see cref="FieldKind.Flag"/>.</summary>
    public bool Flag { get; set; }

    /// <summary>The values a <see cref="FieldKind.Choice"/> takes.</summary>
    public IReadOnlyList<string> Choices { get; init; } = [];

    /// <summary>The allowed range, from the same table the API validates with.</summary>
    public string? Hint { get; init; }
}

/// <summary>
/// A configuration section (<c>restart</c> or <c>monitor</c>) as form fields, built from the contract's JSON
/// so every setting the API knows shows up, and turned back into the patch the API takes.
/// </summary>
public sealed class ConfigForm
{
    private static readonly Dictionary<string, string> Labels = new(StringComparer.Ordinal)
    {
        ["mode"] = "Heal on",
        ["cooldown_seconds"] = "Cooldown between heals (s)",
        ["max_restarts"] = "Heals allowed in the window",
        ["max_restarts_window_seconds"] = "Quarantine window (s)",
        ["backoff_initial_seconds"] = "First backoff (s)",
        ["backoff_multiplier"] = "Backoff multiplier",
        ["backoff_max_seconds"] = "Longest backoff (s)",
        ["backoff_reset_seconds"] = "Healthy time that ends an incident (s)",
        ["quarantine_probation_seconds"] = "Quarantine ends by itself after (s, 0 = never)",
        ["verify_timeout_seconds"] = "Time to come back after a restart (s)",
        ["stop_timeout_seconds"] = "Docker stop timeout (s)",
        ["max_concurrent_restarts"] = "Restarts in flight at once",
        ["storm_threshold"] = "A storm: more containers than this failing at once (0 = no storm breaker)",
        ["storm_window_seconds"] = "Storm window (s)",
        ["storm_cooldown_seconds"] = "Wait after a storm before healing one at a time (s)",
        ["interval_seconds"] = "Sweep interval (s)",
        ["label_key"] = "Opt-in label key",
        ["label_value"] = "Opt-in label value",
        ["include_all"] = "Monitor every container unless excluded",
        ["whitelist"] = "Only these names (one pattern a line)",
        ["blacklist"] = "Never these names (one pattern a line)",
        ["label_whitelist"] = "Only with these labels (key or key=value, one a line)",
        ["label_blacklist"] = "Never with these labels (one a line)",
    };

    /// <summary>The form of <paramref name="section"/>, filled with <paramref name="values"/> (the section as the API returns it).</summary>
    public ConfigForm(string section, object values)
    {
        Section = section;
        var fields = new List<ConfigField>();
        foreach (var p in JsonSerializer.SerializeToElement(values, values.GetType(), AutoHealApiClient.Json).EnumerateObject())
        {
            var label = Labels.GetValueOrDefault(p.Name, p.Name);
            ConfigField field = p.Value.ValueKind switch
            {
                JsonValueKind.Number => new(p.Name, FieldKind.Number, label)
                {
                    Text = p.Value.GetDouble().ToString(CultureInfo.InvariantCulture),
                    Hint = ConfigLimits.Ranges.TryGetValue($"{section}.{p.Name}", out var r) ? $"{r.Min} to {r.Max}" : null,
                },
                JsonValueKind.True or JsonValueKind.False => new(p.Name, FieldKind.Flag, label) { Flag = p.Value.GetBoolean() },
                JsonValueKind.Array => new(p.Name, FieldKind.List, label) { Text = string.Join('\n', p.Value.EnumerateArray().Select(v => v.GetString())) },
                _ when section == "restart" && p.Name == "mode" => new(p.Name, FieldKind.Choice, label) { Text = p.Value.GetString() ?? "", Choices = ConfigLimits.Modes },
                _ => new(p.Name, FieldKind.Text, label) { Text = p.Value.GetString() ?? "" },
            };
            fields.Add(field);
        }

        Fields = fields;
    }

    /// <summary>The section's JSON name.</summary>
    public string Section { get; }

    /// <summary>Its fields, in the contract's order.</summary>
    public IReadOnlyList<ConfigField> Fields { get; }

    /// <summary>The error key of a field, as the API's problem details name it.</summary>
    public string ErrorKey(ConfigField field) => $"{Section}.{field.Key}";

    /// <summary>
    /// The body for <c>PUT /api/config/{section}</c>. Text that is not a number at all is caught here (the
    /// browser would otherwise send nothing); every range is left to the API, which owns the rules.
    /// </summary>
    public (Dictionary<string, object?> Patch, Dictionary<string, string[]> Errors) ToPatch()
    {
        var patch = new Dictionary<string, object?>(StringComparer.Ordinal);
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var f in Fields)
        {
            switch (f.Kind)
            {
                case FieldKind.Number when long.TryParse(f.Text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var whole):
                    patch[f.Key] = whole;
                    break;
                case FieldKind.Number when double.TryParse(f.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number):
                    patch[f.Key] = number;
                    break;
                case FieldKind.Number:
                    errors[ErrorKey(f)] = [$"{ErrorKey(f)} must be a number (was '{f.Text}')"];
                    break;
                case FieldKind.Flag:
                    patch[f.Key] = f.Flag;
                    break;
                case FieldKind.List:
                    patch[f.Key] = f.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
                    break;
                default:
                    patch[f.Key] = f.Text;
                    break;
            }
        }

        return (patch, errors);
    }
}
