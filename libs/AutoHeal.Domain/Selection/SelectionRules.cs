namespace AutoHeal.Domain.Selection;

/// <summary>Which containers AutoHeal looks after.</summary>
public sealed record SelectionRules
{
    /// <summary>The opt-in label's key.</summary>
    public string LabelKey { get; init; } = "autoheal";
    /// <summary>The opt-in label's value.</summary>
    public string LabelValue { get; init; } = "true";
    /// <summary>Monitor every container unless excluded.</summary>
    public bool IncludeAll { get; init; }
    /// <summary>When not empty, only containers whose name matches one of these (<c>*</c> and <c>?</c> wildcards) are monitored.</summary>
    public IReadOnlyList<string> Whitelist { get; init; } = [];
    /// <summary>Containers whose name matches one of these are never monitored.</summary>
    public IReadOnlyList<string> Blacklist { get; init; } = [];
    /// <summary>When not empty, only containers with one of these labels (<c>key</c> or <c>key=value</c>) are monitored.</summary>
    public IReadOnlyList<string> LabelWhitelist { get; init; } = [];
    /// <summary>Containers with one of these labels (<c>key</c> or <c>key=value</c>) are never monitored.</summary>
    public IReadOnlyList<string> LabelBlacklist { get; init; } = [];
}

/// <summary>Whether a container is monitored, and the reason a user is shown.</summary>
public sealed record SelectionVerdict(bool Monitored, string Reason);

/// <summary>The selection rules, applied in a fixed order so the reason shown is always the one that decided.</summary>
public static class Selector
{
    /// <summary>
    /// The label of AutoHeal's own containers in its compose files (every role and its Dapr sidecar): never healed, even
    /// with <c>include_all</c>. Restarting a role's container would strand the sidecar in its namespace
    /// (docker/compose#6626), and an operator restarting one by hand restarts the pair.
    /// </summary>
    public const string SelfLabel = "autoheal.self";

    /// <summary>
    /// Decides for one container. <paramref name="choice"/> is an operator's stored choice (UI/API),
    /// which overrides labels; nothing overrides AutoHeal's rule never to heal its own container.
    /// </summary>
    public static SelectionVerdict Evaluate(
        string name, IReadOnlyDictionary<string, string> labels, SelectionRules rules,
        bool? choice = null, bool isSelf = false)
    {
        if (isSelf)
        {
            return new(false, "AutoHeal's own container");
        }

        if (labels.TryGetValue(SelfLabel, out var self) && string.Equals(self.Trim(), "true", StringComparison.OrdinalIgnoreCase))
        {
            return new(false, $"one of AutoHeal's own containers (label {SelfLabel}=true)");
        }

        if (Containers.Recreations.IsSetAsideName(name))
        {
            return new(false, "the original of a container AutoHeal is recreating, set aside until it is removed");
        }

        if (choice is { } chosen)
        {
            return new(chosen, chosen ? "enabled by an operator" : "disabled by an operator");
        }

        labels.TryGetValue(rules.LabelKey, out var optIn);
        if (string.Equals(optIn?.Trim(), "false", StringComparison.OrdinalIgnoreCase))
        {
            return new(false, $"label {rules.LabelKey}=false");
        }

        if (rules.Blacklist.FirstOrDefault(p => Wildcard.Matches(p, name)) is { } b)
        {
            return new(false, $"name matches blacklist '{b}'");
        }

        if (rules.LabelBlacklist.FirstOrDefault(l => HasLabel(labels, l)) is { } lb)
        {
            return new(false, $"label matches blacklist '{lb}'");
        }

        if (rules.Whitelist.Count > 0 && !rules.Whitelist.Any(p => Wildcard.Matches(p, name)))
        {
            return new(false, "name not in whitelist");
        }

        if (rules.LabelWhitelist.Count > 0 && !rules.LabelWhitelist.Any(l => HasLabel(labels, l)))
        {
            return new(false, "no label in label whitelist");
        }

        if (string.Equals(optIn?.Trim(), rules.LabelValue, StringComparison.OrdinalIgnoreCase))
        {
            return new(true, $"label {rules.LabelKey}={rules.LabelValue}");
        }

        return rules.IncludeAll
            ? new(true, "include_all")
            : new(false, $"no label {rules.LabelKey}={rules.LabelValue}");
    }

    private static bool HasLabel(IReadOnlyDictionary<string, string> labels, string spec)
    {
        var eq = spec.IndexOf('=', StringComparison.Ordinal);
        return eq < 0
            ? labels.ContainsKey(spec)
            : labels.TryGetValue(spec[..eq], out var v) && v == spec[(eq + 1)..];
    }
}

/// <summary>Shell-style <c>*</c> and <c>?</c> matching of container names.</summary>
public static class Wildcard
{
    /// <summary>Whether <paramref name="text"/> matches <paramref name="pattern"/>, case-insensitively.</summary>
    public static bool Matches(string pattern, string text)
    {
        int p = 0, t = 0, star = -1, mark = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || char.ToLowerInvariant(pattern[p]) == char.ToLowerInvariant(text[t])))
            {
                p++;
                t++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = t;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++mark;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }
}
