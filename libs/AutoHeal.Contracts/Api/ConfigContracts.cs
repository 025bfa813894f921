namespace AutoHeal.Contracts.Api;

/// <summary>The whole editable configuration: what <c>GET /api/config</c> returns and an export holds.</summary>
public sealed record AutoHealConfig
{
    /// <summary>Which containers, and how often the sweep runs.</summary>
    public MonitorConfig Monitor { get; init; } = new();
    /// <summary>The heal policy.</summary>
    public RestartConfig Restart { get; init; } = new();
    /// <summary>Who hears about what.</summary>
    public NotificationsConfig Notifications { get; init; } = new();
    /// <summary>Scheduled maintenance windows.</summary>
    public MaintenanceConfig Maintenance { get; init; } = new();
    /// <summary>The dead-man's switch AutoHeal calls while it is healthy.</summary>
    public HeartbeatConfig Heartbeat { get; init; } = new();
}

/// <summary>
/// <c>heartbeat</c>: a URL (healthchecks.io, an Uptime Kuma push monitor, ntfy...) that AutoHeal calls every
/// <see cref="IntervalSeconds"/> while its <c>/health</c> is good, so that its silence tells someone it stopped or broke.
/// </summary>
public sealed record HeartbeatConfig
{
    /// <summary>The URL, a secret (masked in reads, exports and logs like webhook URLs); null or empty: no heartbeat.</summary>
    public string? Url { get; init; }
    /// <summary>Seconds between two calls, 1 to 86400.</summary>
    public double IntervalSeconds { get; init; } = 60;
}

/// <summary><c>maintenance</c>: windows during which automatic heals are held back, every time their cron expression fires.</summary>
public sealed record MaintenanceConfig
{
    /// <summary>The windows (at most 50).</summary>
    public IReadOnlyList<MaintenanceWindowConfig> Windows { get; init; } = [];

    /// <summary>Equal when the windows are, one by one.</summary>
    public bool Equals(MaintenanceConfig? other) => other is not null && (Windows ?? []).SequenceEqual(other.Windows ?? []);

    /// <inheritdoc />
    public override int GetHashCode() => Windows?.Count ?? 0;
}

/// <summary>
/// One scheduled window: from each time <see cref="Cron"/> fires (in <see cref="TimeZone"/>) for
/// <see cref="DurationSeconds"/>, automatic heals of the containers whose names match <see cref="Containers"/> (all when
/// empty) are held back, as during maintenance started through the API.
/// </summary>
public sealed record MaintenanceWindowConfig
{
    /// <summary>A cron expression: five fields (minute hour day month weekday), or six with seconds first.</summary>
    public string? Cron { get; init; }
    /// <summary>An IANA time zone (<c>Europe/Berlin</c>); null or empty: the host's.</summary>
    public string? TimeZone { get; init; }
    /// <summary>How long each window lasts, 1 to 604800 seconds.</summary>
    public double DurationSeconds { get; init; } = 3600;
    /// <summary>Container name patterns (<c>*</c>, <c>?</c>); empty for every container (host-wide).</summary>
    public IReadOnlyList<string> Containers { get; init; } = [];
    /// <summary>What it is for, at most 200 characters (shown with the hold).</summary>
    public string? Reason { get; init; }

    /// <summary>Equal when every setting is, the patterns compared one by one.</summary>
    public bool Equals(MaintenanceWindowConfig? other) =>
        other is not null && Cron == other.Cron && TimeZone == other.TimeZone && DurationSeconds.Equals(other.DurationSeconds) && Reason == other.Reason
        && (Containers ?? []).SequenceEqual(other.Containers ?? [], StringComparer.Ordinal);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Cron, TimeZone, DurationSeconds, Reason, Containers?.Count);
}

/// <summary><c>notifications</c>: targets (webhooks, ntfy, Gotify, Telegram, Pushover, email, Apprise, Teams) told about heals, failures, quarantines and the engine.</summary>
public sealed record NotificationsConfig
{
    /// <summary>The targets; each URL's scheme chooses the service.</summary>
    public IReadOnlyList<WebhookConfig> Webhooks { get; init; } = [];
    /// <summary>Repeats of one alert (same target, container and kind) within this many seconds are folded into the next one.</summary>
    public double FoldSeconds { get; init; } = 300;
    /// <summary>Delivery attempts per alert (with backoff 1 s, 2 s, 4 s...).</summary>
    public int MaxAttempts { get; init; } = 4;

    /// <summary>Equal when every setting is, webhooks compared one by one.</summary>
    public bool Equals(NotificationsConfig? other) =>
        other is not null && FoldSeconds == other.FoldSeconds && MaxAttempts == other.MaxAttempts
        && (Webhooks ?? []).SequenceEqual(other.Webhooks ?? []);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(FoldSeconds, MaxAttempts, Webhooks?.Count);
}

/// <summary>One notification target (named <c>webhooks</c> for the configurations written before the other services).</summary>
public sealed record WebhookConfig
{
    /// <summary>The kinds a new target is told about: how each incident ends, and the engine.</summary>
    public static readonly IReadOnlyList<string> DefaultEvents = ["healed", "heal_failed", "quarantined", "released", "engine_down", "engine_up", "maintenance_started", "maintenance_ended", "storm", "storm_ended", "recreated"];

    /// <summary>A name, unique among the targets (used in logs instead of the secret URL).</summary>
    public string Name { get; init; } = "";
    /// <summary>The URL, whose scheme chooses the service (see <see cref="NotificationUrl.Schemes"/>): a secret, masked in exports, reads and logs.</summary>
    public string Url { get; init; } = "";
    /// <summary>For <c>http(s)</c> URLs: <c>generic</c> (AutoHeal's JSON), <c>slack</c> or <c>discord</c>.</summary>
    public string Format { get; init; } = "generic";
    /// <summary>The kinds sent (see <see cref="ConfigLimits.NotifiedKinds"/>); <c>heal_scheduled</c> (a container went down, healing started), <c>started</c> and <c>stopping</c> (AutoHeal's own) are opt-in.</summary>
    public IReadOnlyList<string> Events { get; init; } = DefaultEvents;
    /// <summary>The least severity sent: <c>info</c> (everything listed), <c>warning</c> or <c>critical</c>.</summary>
    public string MinSeverity { get; init; } = "info";
    /// <summary>Put before every title (say, the stack's name); at most 64 characters.</summary>
    public string Prefix { get; init; } = "";
    /// <summary>Whether it is used.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>Equal when every setting is.</summary>
    public bool Equals(WebhookConfig? other) =>
        other is not null && Name == other.Name && Url == other.Url && Format == other.Format && Enabled == other.Enabled
        && MinSeverity == other.MinSeverity && Prefix == other.Prefix
        && (Events ?? []).SequenceEqual(other.Events ?? [], StringComparer.Ordinal);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Name, Url, Format, Enabled, MinSeverity, Prefix);

    // What a record prints (a log line, a debugger, an exception's message): the URL masked, never its secret.
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append(System.Globalization.CultureInfo.InvariantCulture, $"Name = {Name}, Url = {Mask(Url)}, Format = {Format}, Events = [{string.Join(", ", Events ?? [])}], MinSeverity = {MinSeverity}, Prefix = {Prefix}, Enabled = {Enabled}");
        return true;
    }

    /// <summary>The URL with its secret parts hidden: scheme and host stay, credentials, path and query become <c>***</c>.</summary>
    public static string Mask(string url) => NotificationUrl.Mask(url);

    /// <summary>Whether a URL is a masked one (to be replaced by the stored URL of the target with the same name).</summary>
    public static bool IsMasked(string? url) => url is not null && url.EndsWith("/***", StringComparison.Ordinal) || url == "***";

    /// <summary>The severities, least first.</summary>
    public static readonly IReadOnlyList<string> Severities = ["info", "warning", "critical"];

    /// <summary>Whether <paramref name="severity"/> is <paramref name="least"/> or above, in the order of <see cref="Severities"/>.</summary>
    public static bool AtLeast(string severity, string least) =>
        Severities.TakeWhile(s => s != severity).Count() >= Severities.TakeWhile(s => s != least).Count();

    /// <summary>How severe an alert of <paramref name="kind"/> is: <c>critical</c> when healing failed or stopped, <c>warning</c> while it goes on, else <c>info</c>.</summary>
    public static string SeverityOf(string kind) => kind switch
    {
        "quarantined" or "heal_failed" or "engine_down" => "critical",
        "heal_scheduled" or "storm" => "warning",
        _ => "info",
    };
}

/// <summary><c>monitor</c>: which containers AutoHeal looks after.</summary>
public sealed record MonitorConfig
{
    /// <summary>Seconds between reconcile sweeps.</summary>
    public double IntervalSeconds { get; init; } = 30;
    /// <summary>The opt-in label key.</summary>
    public string LabelKey { get; init; } = "autoheal";
    /// <summary>The opt-in label value.</summary>
    public string LabelValue { get; init; } = "true";
    /// <summary>Monitor every container unless excluded.</summary>
    public bool IncludeAll { get; init; }
    /// <summary>Name patterns; when set, only these are monitored.</summary>
    public IReadOnlyList<string> Whitelist { get; init; } = [];
    /// <summary>Name patterns never monitored.</summary>
    public IReadOnlyList<string> Blacklist { get; init; } = [];
    /// <summary>Labels (<c>key</c> or <c>key=value</c>); when set, only containers with one are monitored.</summary>
    public IReadOnlyList<string> LabelWhitelist { get; init; } = [];
    /// <summary>Labels never monitored.</summary>
    public IReadOnlyList<string> LabelBlacklist { get; init; } = [];

    /// <summary>Equal when every setting is, lists compared item by item.</summary>
    public bool Equals(MonitorConfig? other) =>
        other is not null && IntervalSeconds == other.IntervalSeconds && LabelKey == other.LabelKey && LabelValue == other.LabelValue
        && IncludeAll == other.IncludeAll && Same(Whitelist, other.Whitelist) && Same(Blacklist, other.Blacklist)
        && Same(LabelWhitelist, other.LabelWhitelist) && Same(LabelBlacklist, other.LabelBlacklist);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(IntervalSeconds, LabelKey, LabelValue, IncludeAll, Whitelist.Count, Blacklist.Count);

    private static bool Same(IReadOnlyList<string>? a, IReadOnlyList<string>? b) =>
        a is null || b is null ? a is null && b is null : a.SequenceEqual(b, StringComparer.Ordinal);
}

/// <summary><c>restart</c>: the heal policy.</summary>
public sealed record RestartConfig
{
    /// <summary><c>both</c>, <c>on-failure</c> or <c>health</c>.</summary>
    public string Mode { get; init; } = "both";
    /// <summary>Least seconds between two heals of one container.</summary>
    public double CooldownSeconds { get; init; } = 10;
    /// <summary>Heals allowed in the window; one more failure quarantines.</summary>
    public int MaxRestarts { get; init; } = 5;
    /// <summary>The quarantine window.</summary>
    public double MaxRestartsWindowSeconds { get; init; } = 600;
    /// <summary>Wait before the second heal of an incident.</summary>
    public double BackoffInitialSeconds { get; init; } = 10;
    /// <summary>Growth of the wait.</summary>
    public double BackoffMultiplier { get; init; } = 2;
    /// <summary>Cap of the wait.</summary>
    public double BackoffMaxSeconds { get; init; } = 300;
    /// <summary>Healthy running time that ends an incident.</summary>
    public double BackoffResetSeconds { get; init; } = 600;
    /// <summary>
    /// Quarantine ends by itself after this long (an hour by default, so a storm that quarantined many containers
    /// needs no release of each by hand; a container still failing then is quarantined again at its next heals); 0 = only by hand.
    /// </summary>
    public double QuarantineProbationSeconds { get; init; } = 3600;
    /// <summary>How long a restarted container has to come back.</summary>
    public double VerifyTimeoutSeconds { get; init; } = 60;
    /// <summary>Docker's stop timeout on restart.</summary>
    public double StopTimeoutSeconds { get; init; } = 10;
    /// <summary>Restarts in flight at once on one host.</summary>
    public int MaxConcurrentRestarts { get; init; } = 4;
    /// <summary>More distinct containers than this failing on one host within the storm window is a storm; 0 = no storm breaker.</summary>
    public int StormThreshold { get; init; } = 5;
    /// <summary>The storm breaker's window.</summary>
    public double StormWindowSeconds { get; init; } = 60;
    /// <summary>How long automatic heals wait once a storm is seen, before they go one at a time.</summary>
    public double StormCooldownSeconds { get; init; } = 120;
}

/// <summary>The allowed range of every number in the configuration, in one place.</summary>
public static class ConfigLimits
{
    /// <summary>Field (as in the JSON) → inclusive range: the domain's one table (<see cref="Domain.Policies.Limits"/>), which labels obey too.</summary>
    public static IReadOnlyDictionary<string, (double Min, double Max)> Ranges => Domain.Policies.Limits.Ranges;

    /// <summary>The event kinds a webhook can be told about.</summary>
    public static readonly IReadOnlyList<string> NotifiedKinds = [.. WebhookConfig.DefaultEvents, "heal_scheduled", "started", "stopping"];

    /// <summary>The modes, as written in the JSON.</summary>
    public static readonly IReadOnlyList<string> Modes = ["both", "on-failure", "health"];

    /// <summary>
    /// Every problem with a configuration, keyed by the field's JSON path (<c>restart.cooldown_seconds</c>).
    /// Empty when it is valid.
    /// </summary>
    public static Dictionary<string, string[]> Validate(AutoHealConfig config)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        void Check(string field, double value)
        {
            var (min, max) = Ranges[field];
            if (double.IsNaN(value) || value < min || value > max)
            {
                errors[field] = [$"{field} must be between {min} and {max} (was {value})"];
            }
        }

        var m = config.Monitor;
        var r = config.Restart;
        if (m is null || r is null)
        {
            if (m is null) { errors["monitor"] = ["monitor is required"]; }
            if (r is null) { errors["restart"] = ["restart is required"]; }
            return errors;
        }

        Check("monitor.interval_seconds", m.IntervalSeconds);
        if (string.IsNullOrWhiteSpace(m.LabelKey)) { errors["monitor.label_key"] = ["monitor.label_key must not be empty"]; }
        if (string.IsNullOrWhiteSpace(m.LabelValue)) { errors["monitor.label_value"] = ["monitor.label_value must not be empty"]; }
        CheckList("monitor.whitelist", m.Whitelist);
        CheckList("monitor.blacklist", m.Blacklist);
        CheckList("monitor.label_whitelist", m.LabelWhitelist);
        CheckList("monitor.label_blacklist", m.LabelBlacklist);

        if (r.Mode is null || !Modes.Contains(r.Mode))
        {
            errors["restart.mode"] = [$"restart.mode must be one of {string.Join(", ", Modes)} (was '{r.Mode}')"];
        }

        Check("restart.cooldown_seconds", r.CooldownSeconds);
        Check("restart.max_restarts", r.MaxRestarts);
        Check("restart.max_restarts_window_seconds", r.MaxRestartsWindowSeconds);
        Check("restart.backoff_initial_seconds", r.BackoffInitialSeconds);
        Check("restart.backoff_multiplier", r.BackoffMultiplier);
        Check("restart.backoff_max_seconds", r.BackoffMaxSeconds);
        Check("restart.backoff_reset_seconds", r.BackoffResetSeconds);
        Check("restart.quarantine_probation_seconds", r.QuarantineProbationSeconds);
        Check("restart.verify_timeout_seconds", r.VerifyTimeoutSeconds);
        Check("restart.stop_timeout_seconds", r.StopTimeoutSeconds);
        Check("restart.max_concurrent_restarts", r.MaxConcurrentRestarts);
        Check("restart.storm_threshold", r.StormThreshold);
        Check("restart.storm_window_seconds", r.StormWindowSeconds);
        Check("restart.storm_cooldown_seconds", r.StormCooldownSeconds);
        if (!errors.ContainsKey("restart.backoff_max_seconds") && r.BackoffMaxSeconds < r.BackoffInitialSeconds)
        {
            errors["restart.backoff_max_seconds"] = ["restart.backoff_max_seconds must not be below restart.backoff_initial_seconds"];
        }

        ValidateNotifications(config.Notifications, errors);
        ValidateMaintenance(config.Maintenance, errors);
        if (config.Heartbeat is not { } beat)
        {
            errors["heartbeat"] = ["heartbeat must be an object"];
        }
        else
        {
            if (beat.Url is { Length: > 0 } url && WebhookConfig.IsMasked(url))
            {
                errors["heartbeat.url"] = ["heartbeat.url is masked (***) and no stored heartbeat URL matches it: send the whole URL"];
            }
            else if (beat.Url is { Length: > 0 } given
                && (!Uri.TryCreate(given, UriKind.Absolute, out var u) || u.Scheme is not ("http" or "https") || given.Length > 2048))
            {
                errors["heartbeat.url"] = ["heartbeat.url must be an absolute http:// or https:// URL (at most 2048 characters), or empty for none"];
            }

            if (double.IsNaN(beat.IntervalSeconds) || beat.IntervalSeconds < 1 || beat.IntervalSeconds > 86400)
            {
                errors["heartbeat.interval_seconds"] = [$"heartbeat.interval_seconds must be between 1 and 86400 (was {beat.IntervalSeconds})"];
            }
        }

        return errors;

        static void ValidateMaintenance(MaintenanceConfig? m, Dictionary<string, string[]> errors)
        {
            if (m?.Windows is not { } windows)
            {
                errors["maintenance.windows"] = ["maintenance.windows must be a list (use [] for none)"];
                return;
            }

            if (windows.Count > 50)
            {
                errors["maintenance.windows"] = ["maintenance.windows has more than 50 entries"];
                return;
            }

            for (var i = 0; i < windows.Count; i++)
            {
                var at = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"maintenance.windows[{i}]");
                if (windows[i] is not { } w)
                {
                    errors[at] = [$"{at} must be an object"];
                    continue;
                }

                if (MaintenanceWindows.ParseCron(w.Cron) is null)
                {
                    errors[$"{at}.cron"] = [$"{at}.cron must be a cron expression of five fields (minute hour day month weekday) or six (seconds first), was '{w.Cron}'"];
                }

                if (!MaintenanceWindows.TryFindZone(w.TimeZone, out _))
                {
                    errors[$"{at}.time_zone"] = [$"{at}.time_zone must be an IANA time zone such as Europe/Berlin, or empty for the host's (was '{w.TimeZone}')"];
                }

                if (double.IsNaN(w.DurationSeconds) || w.DurationSeconds < 1 || w.DurationSeconds > MaintenanceWindows.MaxDurationSeconds)
                {
                    errors[$"{at}.duration_seconds"] = [$"{at}.duration_seconds must be between 1 and {MaintenanceWindows.MaxDurationSeconds} (was {w.DurationSeconds})"];
                }
                else if (MaintenanceWindows.ShortestGap(w) is { } gap && gap.TotalSeconds < w.DurationSeconds)
                {
                    errors[$"{at}.duration_seconds"] = [$"{at}.duration_seconds ({w.DurationSeconds}) is longer than the {gap.TotalSeconds} s between two of its windows: they would run into each other"];
                }

                if (w.Containers is null || w.Containers.Count > 500 || w.Containers.Any(string.IsNullOrWhiteSpace))
                {
                    errors[$"{at}.containers"] = [$"{at}.containers must be a list of at most 500 name patterns, none empty (use [] for every container)"];
                }

                if (w.Reason is { Length: > 200 })
                {
                    errors[$"{at}.reason"] = [$"{at}.reason must be at most 200 characters"];
                }
            }
        }

        static void ValidateNotifications(NotificationsConfig? n, Dictionary<string, string[]> errors)
        {
            if (n is null)
            {
                errors["notifications"] = ["notifications must be an object"];
                return;
            }

            if (double.IsNaN(n.FoldSeconds) || n.FoldSeconds < 0 || n.FoldSeconds > 86_400)
            {
                errors["notifications.fold_seconds"] = ["notifications.fold_seconds must be between 0 and 86400"];
            }

            if (n.MaxAttempts is < 1 or > 10)
            {
                errors["notifications.max_attempts"] = ["notifications.max_attempts must be between 1 and 10"];
            }

            if (n.Webhooks is null || n.Webhooks.Count > 20)
            {
                errors["notifications.webhooks"] = ["notifications.webhooks must be a list of at most 20"];
                return;
            }

            for (var i = 0; i < n.Webhooks.Count; i++)
            {
                var w = n.Webhooks[i];
                var at = $"notifications.webhooks[{i}]";
                if (w is null) { errors[at] = [$"{at} must be an object"]; continue; }
                if (string.IsNullOrWhiteSpace(w.Name) || w.Name.Length > 64) { errors[$"{at}.name"] = [$"{at}.name must be 1 to 64 characters"]; }
                else if (n.Webhooks.Take(i).Any(o => o?.Name == w.Name)) { errors[$"{at}.name"] = [$"{at}.name '{w.Name}' is used twice"]; }
                if (WebhookConfig.IsMasked(w.Url))
                {
                    errors[$"{at}.url"] = [$"{at}.url is masked and no target named '{w.Name}' with that scheme and host is configured: give the full URL"];
                }
                else if (!NotificationUrl.TryParse(w.Url, out var target, out var urlError))
                {
                    errors[$"{at}.url"] = [$"{at}.url {urlError}"];
                }
                else if (target!.Service == TargetService.Webhook && w.Format is not ("generic" or "slack" or "discord"))
                {
                    errors[$"{at}.format"] = [$"{at}.format must be generic, slack or discord"];
                }

                if (w.MinSeverity is null || !WebhookConfig.Severities.Contains(w.MinSeverity))
                {
                    errors[$"{at}.min_severity"] = [$"{at}.min_severity must be one of {string.Join(", ", WebhookConfig.Severities)}"];
                }

                if (w.Prefix is null || w.Prefix.Length > 64 || w.Prefix.Any(char.IsControl))
                {
                    errors[$"{at}.prefix"] = [$"{at}.prefix must be at most 64 characters on one line"];
                }

                if (w.Events is null || w.Events.Count == 0 || w.Events.Any(e => !NotifiedKinds.Contains(e)))
                {
                    errors[$"{at}.events"] = [$"{at}.events must list some of {string.Join(", ", NotifiedKinds)}"];
                }
            }
        }

        void CheckList(string field, IReadOnlyList<string>? list)
        {
            if (list is null)
            {
                errors[field] = [$"{field} must be a list (use [] for none)"];
            }
            else if (list.Count > 500)
            {
                errors[field] = [$"{field} has more than 500 entries"];
            }
            else if (list.Any(string.IsNullOrWhiteSpace))
            {
                errors[field] = [$"{field} must not contain empty entries"];
            }
        }
    }
}
