using System.Globalization;

namespace AutoHeal.Domain.Policies;

/// <summary>A label that could not be used, with why.</summary>
public sealed record LabelProblem(string Label, string Value, string Problem);

/// <summary>
/// Per-container overrides of the heal policy from labels, e.g. <c>autoheal.stop.timeout=30s</c>.
/// Durations take a unit (<c>500ms</c>, <c>10s</c>, <c>5m</c>, <c>1h</c>) or plain seconds. Labels are written by
/// whoever runs the container, or by its image's author: every value keeps within the configuration's limits
/// (<see cref="Limits"/>), and together they must leave quarantine reachable. A bad label is reported and the
/// global value kept: a typo never stops healing, and no label switches quarantine off.
/// </summary>
public static class PolicyLabels
{
    /// <summary>The label prefix.</summary>
    public const string Prefix = "autoheal.";

    /// <summary>Every label this class reads, with the configuration field whose limits it keeps to.</summary>
    private static readonly IReadOnlyDictionary<string, string> Fields = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["autoheal.mode"] = "restart.mode",
        ["autoheal.cooldown"] = "restart.cooldown_seconds",
        ["autoheal.backoff.initial"] = "restart.backoff_initial_seconds",
        ["autoheal.backoff.multiplier"] = "restart.backoff_multiplier",
        ["autoheal.backoff.max"] = "restart.backoff_max_seconds",
        ["autoheal.backoff.reset"] = "restart.backoff_reset_seconds",
        ["autoheal.max_restarts"] = "restart.max_restarts",
        ["autoheal.max_restarts.window"] = "restart.max_restarts_window_seconds",
        ["autoheal.quarantine.probation"] = "restart.quarantine_probation_seconds",
        ["autoheal.verify.timeout"] = "restart.verify_timeout_seconds",
        ["autoheal.stop.timeout"] = "restart.stop_timeout_seconds",
    };

    /// <summary>The label that snoozes a container's automatic heals until an RFC 3339 time, for deploy scripts.</summary>
    public const string SnoozeUntil = "autoheal.snooze_until";

    /// <summary>The furthest a label may snooze a container, from the time it is read (<c>autoheal=false</c> is for good).</summary>
    public static readonly TimeSpan MaxLabelSnooze = TimeSpan.FromDays(7);

    /// <summary>The labels that decide how soon a container that keeps failing is quarantined.</summary>
    private static readonly string[] QuarantineLabels =
        ["autoheal.cooldown", "autoheal.backoff.initial", "autoheal.backoff.multiplier", "autoheal.backoff.max", "autoheal.max_restarts", "autoheal.max_restarts.window"];

    /// <summary>Every label this class reads, for the docs and for error messages.</summary>
    public static readonly IReadOnlyList<string> Known = [.. Fields.Keys, SnoozeUntil];

    /// <summary>
    /// Applies the container's labels to the global policy; with <paramref name="now"/>, a snooze further ahead than
    /// <see cref="MaxLabelSnooze"/> is refused.
    /// </summary>
    public static (HealPolicy Policy, IReadOnlyList<LabelProblem> Problems) Apply(
        HealPolicy global, IReadOnlyDictionary<string, string> labels, DateTimeOffset? now = null)
    {
        var policy = global;
        List<LabelProblem>? problems = null;
        foreach (var (label, raw) in labels)
        {
            if (label == SnoozeUntil)
            {
                if (TryParseTime(raw, out var until) && now is { } at && until - at > MaxLabelSnooze)
                {
                    (problems ??= []).Add(new LabelProblem(label, raw, $"may snooze at most {MaxLabelSnooze.TotalDays:0} days ahead (autoheal=false stops healing for good)"));
                }
                else if (TryParseTime(raw, out until))
                {
                    policy = policy with { Hold = HoldBack.Longer(policy.Hold, new HoldBack(until, $"snoozed by its label {SnoozeUntil}")) };
                }
                else
                {
                    (problems ??= []).Add(new LabelProblem(label, raw, "must be an RFC 3339 time with its offset, such as 2026-12-01T18:30:00Z"));
                }

                continue;
            }

            if (!label.StartsWith(Prefix, StringComparison.Ordinal) || !Fields.TryGetValue(label, out var field))
            {
                continue;
            }

            var value = raw.Trim();
            string? problem = null;
            switch (label)
            {
                case "autoheal.mode":
                    if (TryParseMode(value, out var mode)) { policy = policy with { Mode = mode }; }
                    else { problem = "must be one of both, on-failure, health"; }
                    break;
                case "autoheal.backoff.multiplier":
                    if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var m) && Limits.Allows(field, m))
                    { policy = policy with { BackoffMultiplier = m }; }
                    else { problem = $"must be a number {Limits.Describe(field)}"; }
                    break;
                case "autoheal.max_restarts":
                    if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && Limits.Allows(field, n))
                    { policy = policy with { MaxRestarts = n }; }
                    else { problem = $"must be a whole number {Limits.Describe(field)}"; }
                    break;
                default:
                    if (!TryParseDuration(value, out var d) || !Limits.Allows(field, d.TotalSeconds))
                    { problem = $"must be a duration {Limits.Describe(field, seconds: true)}, such as 30s, 5m or 1h"; }
                    else if (Weakens(label, d, global) is { } weaker)
                    { problem = weaker; }
                    else
                    { policy = With(policy, label, d); }
                    break;
            }

            if (problem is not null)
            {
                (problems ??= []).Add(new LabelProblem(label, raw, problem));
            }
        }

        if (!policy.CanQuarantine && global.CanQuarantine)
        {
            // Together these labels would let a container fail for ever: the global values of the quarantine labels apply.
            var why = $"together with the container's other labels it would never quarantine a container that keeps failing " +
                $"({policy.MaxRestarts} heals take at least {Seconds(policy.LeastTimeForRestarts())}, longer than the window of " +
                $"{Seconds(policy.MaxRestartsWindow)}): the global value applies";
            foreach (var label in QuarantineLabels.Where(labels.ContainsKey))
            {
                if (problems?.Any(p => p.Label == label) != true)
                {
                    (problems ??= []).Add(new LabelProblem(label, labels[label], why));
                }
            }

            policy = policy with
            {
                Cooldown = global.Cooldown,
                BackoffInitial = global.BackoffInitial,
                BackoffMultiplier = global.BackoffMultiplier,
                BackoffMax = global.BackoffMax,
                MaxRestarts = global.MaxRestarts,
                MaxRestartsWindow = global.MaxRestartsWindow,
            };
        }

        return (policy, problems ?? (IReadOnlyList<LabelProblem>)[]);
    }

    // A label may make quarantine stricter, never weaker: heals counted over a shorter window than the operator's (a
    // window shorter than a restart takes never fills), or a release sooner than that window (each release starts the
    // count afresh), would let a container that keeps failing be restarted for ever.
    private static string? Weakens(string label, TimeSpan d, HealPolicy global) => label switch
    {
        "autoheal.max_restarts.window" when d < global.MaxRestartsWindow =>
            $"may not be shorter than the global window of {Seconds(global.MaxRestartsWindow)} (a label can make quarantine stricter, not weaker): the global value applies",
        "autoheal.quarantine.probation" when d > TimeSpan.Zero && d < global.MaxRestartsWindow =>
            $"may not be shorter than the global window of {Seconds(global.MaxRestartsWindow)} (0 keeps a quarantine until an operator ends it): the global value applies",
        _ => null,
    };

    private static string Seconds(TimeSpan t) => string.Create(CultureInfo.InvariantCulture, $"{t.TotalSeconds:0.###}s");

    private static HealPolicy With(HealPolicy p, string label, TimeSpan d) => label switch
    {
        "autoheal.cooldown" => p with { Cooldown = d },
        "autoheal.backoff.initial" => p with { BackoffInitial = d },
        "autoheal.backoff.max" => p with { BackoffMax = d },
        "autoheal.backoff.reset" => p with { BackoffReset = d },
        "autoheal.max_restarts.window" => p with { MaxRestartsWindow = d },
        "autoheal.quarantine.probation" => p with { QuarantineProbation = d == TimeSpan.Zero ? null : d },
        "autoheal.verify.timeout" => p with { VerifyTimeout = d },
        "autoheal.stop.timeout" => p with { StopTimeout = d },
        _ => p,
    };

    /// <summary>Parses an RFC 3339 time with its offset (<c>2026-12-01T18:30:00Z</c>, <c>...+01:00</c>).</summary>
    public static bool TryParseTime(string value, out DateTimeOffset at)
    {
        var v = value.Trim();
        // An offset is required: a time without one means a different instant on every host.
        var hasOffset = v.EndsWith('Z') || v.EndsWith('z') || (v.Length > 6 && v[^6] is '+' or '-' && v[^3] == ':');
        return DateTimeOffset.TryParse(v, CultureInfo.InvariantCulture, DateTimeStyles.None, out at) && hasOffset && v.Contains('T', StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Parses <c>both</c>, <c>on-failure</c> or <c>health</c>.</summary>
    public static bool TryParseMode(string value, out HealMode mode)
    {
        switch (value.Trim().ToLowerInvariant())
        {
            case "both": mode = HealMode.Both; return true;
            case "on-failure" or "onfailure" or "on_failure": mode = HealMode.OnFailure; return true;
            case "health": mode = HealMode.Health; return true;
            default: mode = default; return false;
        }
    }

    /// <summary>Parses <c>500ms</c>, <c>10s</c>, <c>5m</c>, <c>1h</c>, or plain seconds.</summary>
    public static bool TryParseDuration(string value, out TimeSpan duration)
    {
        duration = default;
        var v = value.Trim().ToLowerInvariant();
        (string number, double scale) = v switch
        {
            _ when v.EndsWith("ms", StringComparison.Ordinal) => (v[..^2], 0.001),
            _ when v.EndsWith('s') => (v[..^1], 1d),
            _ when v.EndsWith('m') => (v[..^1], 60d),
            _ when v.EndsWith('h') => (v[..^1], 3600d),
            _ => (v, 1d),
        };
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) || double.IsNaN(n) || double.IsInfinity(n))
        {
            return false;
        }

        var seconds = n * scale;
        if (seconds < 0 || seconds > TimeSpan.MaxValue.TotalSeconds / 2)
        {
            return false;
        }

        duration = TimeSpan.FromSeconds(seconds);
        return true;
    }
}
