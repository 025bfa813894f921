using System.Globalization;

namespace AutoHeal.Domain.Policies;

/// <summary>A label that could not be used, with why.</summary>
public sealed record LabelProblem(string Label, string Value, string Problem);

/// <summary>
/// Per-container overrides of the heal policy from labels, e.g. <c>autoheal.stop.timeout=30s</c>.
/// Durations take a unit (<c>500ms</c>, <c>10s</c>, <c>5m</c>, <c>1h</c>) or plain seconds.
/// A bad label is reported and the global value kept: a typo never stops healing.
/// </summary>
public static class PolicyLabels
{
    /// <summary>The label prefix.</summary>
    public const string Prefix = "autoheal.";

    /// <summary>Every label this class reads, for the docs and for error messages.</summary>
    public static readonly IReadOnlyList<string> Known =
    [
        "autoheal.mode", "autoheal.cooldown", "autoheal.backoff.initial", "autoheal.backoff.multiplier",
        "autoheal.backoff.max", "autoheal.backoff.reset", "autoheal.max_restarts", "autoheal.max_restarts.window",
        "autoheal.quarantine.probation", "autoheal.verify.timeout", "autoheal.stop.timeout",
    ];

    /// <summary>Applies the container's labels to the global policy.</summary>
    public static (HealPolicy Policy, IReadOnlyList<LabelProblem> Problems) Apply(
        HealPolicy global, IReadOnlyDictionary<string, string> labels)
    {
        var policy = global;
        List<LabelProblem>? problems = null;
        foreach (var (label, raw) in labels)
        {
            if (!label.StartsWith(Prefix, StringComparison.Ordinal) || !Known.Contains(label))
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
                    if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var m) && m >= 1 && m <= 10)
                    { policy = policy with { BackoffMultiplier = m }; }
                    else { problem = "must be a number from 1 to 10"; }
                    break;
                case "autoheal.max_restarts":
                    if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1 && n <= 1000)
                    { policy = policy with { MaxRestarts = n }; }
                    else { problem = "must be a whole number from 1 to 1000"; }
                    break;
                default:
                    if (TryParseDuration(value, out var d) && d >= TimeSpan.Zero && d <= TimeSpan.FromDays(7))
                    { policy = With(policy, label, d); }
                    else { problem = "must be a duration such as 30s, 5m or 1h (at most 7 days)"; }
                    break;
            }

            if (problem is not null)
            {
                (problems ??= []).Add(new LabelProblem(label, raw, problem));
            }
        }

        return (policy, problems ?? (IReadOnlyList<LabelProblem>)[]);
    }

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
