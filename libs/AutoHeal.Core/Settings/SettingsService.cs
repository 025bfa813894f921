using AutoHeal.Contracts.Api;
using AutoHeal.Domain.Containers;
using AutoHeal.Domain.Guardians;
using AutoHeal.Domain.Policies;
using AutoHeal.Domain.Selection;

namespace AutoHeal.Core.Settings;

/// <summary>
/// The live settings: the configuration, the operators' selections and their holds on healing (maintenance, snoozes),
/// three shared documents in the store, swapped atomically, so readers always see one whole configuration and writers
/// never interleave. Once changed through the API, the stored configuration wins over appsettings at the next start.
/// </summary>
public sealed class SettingsService : ISettingsSource, IDisposable
{
    internal const string ConfigDocument = "config";
    internal const string SelectionsDocument = "selections";
    internal const string HoldsDocumentName = "holds";

    /// <summary>The longest maintenance or snooze the API accepts, in seconds (7 days).</summary>
    public const int MaxHoldSeconds = 7 * 24 * 3600;

    private readonly SharedDocument<AutoHealConfig> _config;
    private readonly SharedDocument<Dictionary<string, bool>> _choices;
    private readonly SharedDocument<HoldsDocument> _holds;
    private readonly Lock _swap = new();
    private AutoHealConfig _initial = new();
    private volatile Snapshot _now = Snapshot.From(new AutoHealConfig(), new Dictionary<string, bool>(), new HoldsDocument());

    /// <summary>The settings kept in <paramref name="store"/>.</summary>
    public SettingsService(IDocumentStore store)
    {
        _config = new(store, ConfigDocument, AutoHealApiClient.Json, c => DocumentProblems.First(ConfigLimits.Validate(c)));
        _choices = new(store, SelectionsDocument, AutoHealApiClient.Json, DocumentProblems.InSelections);
        _holds = new(store, HoldsDocumentName, AutoHealApiClient.Json, DocumentProblems.InHolds);
    }

    /// <inheritdoc />
    public event EventHandler? Changed;

    /// <summary>Whether the configuration in force came from the store (changed through the API earlier).</summary>
    public bool FromStore { get; private set; }

    /// <summary>The configuration in force, with its secrets (webhook URLs).</summary>
    public AutoHealConfig Config => _now.Config;

    /// <summary>The configuration as shown and exported: webhook URLs masked.</summary>
    public AutoHealConfig Masked => Mask(_now.Config);

    /// <summary>Hides the secret parts of the webhook and heartbeat URLs.</summary>
    public static AutoHealConfig Mask(AutoHealConfig c) => c with
    {
        Notifications = c.Notifications with
        {
            Webhooks = c.Notifications.Webhooks.Select(w => w with { Url = WebhookConfig.Mask(w.Url) }).ToList(),
        },
        Heartbeat = c.Heartbeat.Url is { Length: > 0 } beat ? c.Heartbeat with { Url = WebhookConfig.Mask(beat) } : c.Heartbeat,
    };

    /// <summary>A masked URL (from a read or an export sent back) keeps the stored URL of the target with the same name, scheme and host.</summary>
    public static AutoHealConfig Unmask(AutoHealConfig incoming, AutoHealConfig current)
    {
        // The heartbeat's URL sent back masked (an edited read, an imported export) keeps the stored one.
        if (incoming.Heartbeat is { Url: { } beat } && WebhookConfig.IsMasked(beat) && current.Heartbeat.Url is { Length: > 0 } known
            && WebhookConfig.Mask(known) == beat)
        {
            incoming = incoming with { Heartbeat = incoming.Heartbeat with { Url = known } };
        }

        if (incoming.Notifications?.Webhooks is not { } hooks)
        {
            return incoming;
        }

        return incoming with
        {
            Notifications = incoming.Notifications with
            {
                Webhooks = hooks.Select(w => w is not null && WebhookConfig.IsMasked(w.Url)
                    && current.Notifications.Webhooks.FirstOrDefault(c => c.Name == w.Name) is { } known
                    && WebhookConfig.Mask(known.Url) == w.Url // the same service and host: a masked URL for another one is refused, not guessed
                        ? w with { Url = known.Url }
                        : w!).ToList(),
            },
        };
    }

    /// <inheritdoc />
    public HealPolicy Policy => _now.Policy;

    /// <inheritdoc />
    public SelectionRules Selection => _now.Rules;

    /// <inheritdoc />
    public TimeSpan SweepInterval => TimeSpan.FromSeconds(_now.Config.Monitor.IntervalSeconds);

    /// <inheritdoc />
    public int MaxConcurrentRestarts => _now.Config.Restart.MaxConcurrentRestarts;

    /// <inheritdoc />
    public StormRule Storm => new(
        _now.Config.Restart.StormThreshold, TimeSpan.FromSeconds(_now.Config.Restart.StormWindowSeconds), TimeSpan.FromSeconds(_now.Config.Restart.StormCooldownSeconds));

    /// <summary>The operators' choices, by <c>host/name</c>.</summary>
    public IReadOnlyDictionary<string, bool> Choices => _now.Choices;

    /// <inheritdoc />
    public bool? ChoiceFor(ContainerKey key) => _now.Choices.TryGetValue(key.ToString(), out var on) ? on : null;

    /// <summary>Loads the stored configuration, or starts from <paramref name="initial"/> (appsettings).</summary>
    public async Task InitializeAsync(AutoHealConfig initial, CancellationToken cancellationToken)
    {
        _initial = initial;
        await _config.LoadAsync(cancellationToken);
        await _choices.LoadAsync(cancellationToken);
        await _holds.LoadAsync(cancellationToken);
        FromStore = _config.Value is not null;
        Swap();
    }

    /// <summary>
    /// Reads the stored configuration and selections again (distributed mode: another process may have
    /// changed them); raises <see cref="Changed"/> if they differ from those in force.
    /// </summary>
    public async Task ReloadAsync(CancellationToken cancellationToken)
    {
        var config = await _config.LoadAsync(cancellationToken);
        var choices = await _choices.LoadAsync(cancellationToken);
        var holds = await _holds.LoadAsync(cancellationToken);
        if (config || choices || holds)
        {
            Swap();
            Changed?.Invoke(this, EventArgs.Empty);
        }
    }

    /// <summary>
    /// Applies a change to the whole configuration: validated, saved, then put in force. On any error
    /// nothing changes and the errors are returned, keyed by field.
    /// </summary>
    public async Task<(AutoHealConfig Config, Dictionary<string, string[]> Errors)> UpdateAsync(
        Func<AutoHealConfig, AutoHealConfig> change, CancellationToken cancellationToken)
    {
        Dictionary<string, string[]> errors = [];
        var written = await _config.UpdateAsync(current =>
        {
            var next = change(current ?? _initial);
            errors = ConfigLimits.Validate(next);
            return errors.Count > 0 ? null : next;
        }, cancellationToken);
        if (written is null)
        {
            return (_now.Config, errors);
        }

        Swap();
        Changed?.Invoke(this, EventArgs.Empty);
        return (_now.Config, []);
    }

    /// <summary>Host-wide maintenance as stored (it may have ended by its time already: see <see cref="InMaintenance"/>).</summary>
    public MaintenanceHold? Maintenance => _now.Holds.Maintenance;

    /// <summary>Whether host-wide maintenance started through the API is on at <paramref name="now"/>.</summary>
    public bool InMaintenance(DateTimeOffset now) => _now.Holds.Maintenance is { } m && m.StartedAt <= now && now < m.Until;

    /// <summary>
    /// Host-wide maintenance at <paramref name="now"/>: started through the API, or a scheduled window for every container
    /// (<c>maintenance.windows</c> without container patterns), the one that ends last.
    /// </summary>
    public MaintenanceView MaintenanceAt(DateTimeOffset now)
    {
        var byApi = InMaintenance(now) ? _now.Holds.Maintenance : null;
        var window = MaintenanceWindows.For(_now.Config.Maintenance.Windows, null, now);
        if (window is { } w && (byApi is null || w.End > byApi.Until))
        {
            return new MaintenanceView(true, w.Start, w.End, MaintenanceWindows.Describe(w.Window), Scheduled: true);
        }

        return byApi is { } m ? new MaintenanceView(true, m.StartedAt, m.Until, m.Reason) : new MaintenanceView(false, null, null, null);
    }

    /// <inheritdoc />
    public HoldBack? HoldFor(ContainerKey key, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(key);
        var holds = _now.Holds;
        var maintenance = InMaintenance(now) ? new HoldBack(holds.Maintenance!.Until, $"maintenance ({holds.Maintenance.Reason})") : null;
        var window = MaintenanceWindows.For(_now.Config.Maintenance.Windows, key.Name, now) is { } w
            ? new HoldBack(w.End, $"maintenance ({MaintenanceWindows.Describe(w.Window)})")
            : null;
        var snooze = holds.Snoozes.TryGetValue(key.ToString(), out var s) && s.Until > now ? new HoldBack(s.Until, $"snoozed ({s.Reason})") : null;
        return HoldBack.Longer(HoldBack.Longer(maintenance, window), snooze);
    }

    /// <summary>Starts (or replaces) maintenance with <paramref name="maintenance"/>; snoozes that ended are dropped.</summary>
    public Task SetMaintenanceAsync(MaintenanceHold maintenance, DateTimeOffset now, CancellationToken cancellationToken) =>
        ChangeHoldsAsync(h => h with { Maintenance = maintenance }, now, cancellationToken);

    /// <summary>
    /// Ends <paramref name="expected"/>, unless another maintenance replaced it meanwhile (started again in this process or
    /// another): whether it did.
    /// </summary>
    public async Task<bool> EndMaintenanceAsync(MaintenanceHold expected, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var ended = false;
        await ChangeHoldsAsync(h =>
        {
            ended = h.Maintenance == expected;
            return ended ? h with { Maintenance = null } : h;
        }, now, cancellationToken);
        return ended;
    }

    /// <summary>Snoozes a container until <paramref name="snooze"/>'s end, or ends its snooze (null).</summary>
    public Task SnoozeAsync(ContainerKey key, SnoozeHold? snooze, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        return ChangeHoldsAsync(h =>
        {
            var snoozes = new Dictionary<string, SnoozeHold>(h.Snoozes, StringComparer.Ordinal);
            if (snooze is null)
            {
                snoozes.Remove(key.ToString());
            }
            else
            {
                snoozes[key.ToString()] = snooze;
            }

            return h with { Snoozes = snoozes };
        }, now, cancellationToken);
    }

    /// <summary>The container's snooze set through the API, while it lasts.</summary>
    public SnoozeHold? SnoozeFor(ContainerKey key, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(key);
        return _now.Holds.Snoozes.TryGetValue(key.ToString(), out var s) && s.Until > now ? s : null;
    }

    private async Task ChangeHoldsAsync(Func<HoldsDocument, HoldsDocument> change, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await _holds.UpdateAsync(current =>
        {
            var next = change(current ?? new HoldsDocument());
            next = next with { Snoozes = next.Snoozes.Where(s => s.Value.Until > now).ToDictionary(StringComparer.Ordinal) };
            // Written only as it is read back: a document the readers refuse would be set aside, and every hold with it.
            return DocumentProblems.InHolds(next) is { } problem ? throw new InvalidOperationException($"the holds would not be readable: {problem}") : next;
        }, cancellationToken);
        Swap();
        Changed?.Invoke(this, EventArgs.Empty);
    }

    /// <summary>Sets (true/false) or clears (null) the operators' choice for containers.</summary>
    public async Task SelectAsync(IEnumerable<ContainerKey> keys, bool? enabled, CancellationToken cancellationToken)
    {
        var targets = keys.Select(k => k.ToString()).ToList();
        await _choices.UpdateAsync(current =>
        {
            var choices = new Dictionary<string, bool>(current ?? []);
            foreach (var key in targets)
            {
                if (enabled is { } on)
                {
                    choices[key] = on;
                }
                else
                {
                    choices.Remove(key);
                }
            }

            return choices;
        }, cancellationToken);
        Swap();
        Changed?.Invoke(this, EventArgs.Empty);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _config.Dispose();
        _choices.Dispose();
        _holds.Dispose();
    }

    // Both documents are read inside the lock, so the last swap always holds the latest of each.
    private void Swap()
    {
        lock (_swap)
        {
            _now = Snapshot.From(_config.Value ?? _initial, _choices.Value ?? [], _holds.Value ?? new HoldsDocument());
        }
    }

    private sealed record Snapshot(AutoHealConfig Config, HealPolicy Policy, SelectionRules Rules, IReadOnlyDictionary<string, bool> Choices, HoldsDocument Holds)
    {
        public static Snapshot From(AutoHealConfig c, IReadOnlyDictionary<string, bool> choices, HoldsDocument holds) =>
            new(c, ConfigMapping.ToPolicy(c.Restart), ConfigMapping.ToRules(c.Monitor), choices, holds);
    }
}

/// <summary>From the wire configuration to the domain's policy and rules.</summary>
public static class ConfigMapping
{
    /// <summary>The heal policy of a <c>restart</c> section.</summary>
    public static HealPolicy ToPolicy(RestartConfig r) => new()
    {
        Mode = PolicyLabels.TryParseMode(r.Mode, out var mode) ? mode : HealMode.Both,
        Cooldown = TimeSpan.FromSeconds(r.CooldownSeconds),
        BackoffInitial = TimeSpan.FromSeconds(r.BackoffInitialSeconds),
        BackoffMultiplier = r.BackoffMultiplier,
        BackoffMax = TimeSpan.FromSeconds(r.BackoffMaxSeconds),
        BackoffReset = TimeSpan.FromSeconds(r.BackoffResetSeconds),
        MaxRestarts = r.MaxRestarts,
        MaxRestartsWindow = TimeSpan.FromSeconds(r.MaxRestartsWindowSeconds),
        QuarantineProbation = r.QuarantineProbationSeconds > 0 ? TimeSpan.FromSeconds(r.QuarantineProbationSeconds) : null,
        VerifyTimeout = TimeSpan.FromSeconds(r.VerifyTimeoutSeconds),
        StopTimeout = TimeSpan.FromSeconds(r.StopTimeoutSeconds),
    };

    /// <summary>The selection rules of a <c>monitor</c> section.</summary>
    public static SelectionRules ToRules(MonitorConfig m) => new()
    {
        LabelKey = m.LabelKey,
        LabelValue = m.LabelValue,
        IncludeAll = m.IncludeAll,
        Whitelist = m.Whitelist,
        Blacklist = m.Blacklist,
        LabelWhitelist = m.LabelWhitelist,
        LabelBlacklist = m.LabelBlacklist,
    };
}
