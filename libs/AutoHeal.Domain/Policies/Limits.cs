namespace AutoHeal.Domain.Policies;

/// <summary>
/// The allowed range of every number AutoHeal is given, in one place: the configuration (start-up settings and the
/// API), custom check definitions, and container labels, which anyone who writes a container's labels (or an image's
/// author) controls. Keys are the fields' JSON paths.
/// </summary>
public static class Limits
{
    /// <summary>Field (as in the JSON) → inclusive range.</summary>
    public static readonly IReadOnlyDictionary<string, (double Min, double Max)> Ranges = new Dictionary<string, (double, double)>
    {
        ["monitor.interval_seconds"] = (1, 3600),
        ["restart.cooldown_seconds"] = (0, 86_400),
        ["restart.max_restarts"] = (1, 1000),
        ["restart.max_restarts_window_seconds"] = (1, 604_800),
        ["restart.backoff_initial_seconds"] = (0, 86_400),
        ["restart.backoff_multiplier"] = (1, 10),
        ["restart.backoff_max_seconds"] = (0, 86_400),
        ["restart.backoff_reset_seconds"] = (0, 604_800),
        ["restart.quarantine_probation_seconds"] = (0, 604_800),
        ["restart.verify_timeout_seconds"] = (0.1, 3600),
        ["restart.stop_timeout_seconds"] = (0, 3600),
        ["restart.max_concurrent_restarts"] = (1, 256),
        ["restart.storm_threshold"] = (0, 1000),
        ["restart.storm_window_seconds"] = (1, 3600),
        ["restart.storm_cooldown_seconds"] = (0, 86_400),
        ["healthcheck.interval_seconds"] = (1, 86_400),
        ["healthcheck.timeout_seconds"] = (0.1, 3600),
        ["healthcheck.retries"] = (1, 100),
        ["healthcheck.success_threshold"] = (1, 100),
        ["healthcheck.start_period_seconds"] = (0, 86_400),
        ["healthcheck.http_expected_status"] = (100, 599),
        ["healthcheck.tcp_port"] = (1, 65_535),
    };

    /// <summary>Whether <paramref name="value"/> is within the range of <paramref name="field"/>.</summary>
    public static bool Allows(string field, double value) =>
        !double.IsNaN(value) && Ranges[field] is var (min, max) && value >= min && value <= max;

    /// <summary>"from 1 to 100", or for durations "from 0.1s to 3600s".</summary>
    public static string Describe(string field, bool seconds = false)
    {
        var (min, max) = Ranges[field];
        var unit = seconds ? "s" : "";
        return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"from {min}{unit} to {max}{unit}");
    }
}
