using System.Text.Json;
using AutoHeal.Contracts.Api;
using AutoHeal.Domain.Containers;
using AutoHeal.Domain.Policies;
using AutoHeal.Domain.Ports;
using AutoHeal.Domain.Selection;

namespace AutoHeal.Api;

/// <summary>
/// The live settings: the configuration and the operators' selections, persisted in the store and
/// swapped atomically, so readers always see one whole configuration and writers never interleave.
/// Once changed through the API, the stored configuration wins over appsettings at the next start.
/// </summary>
public sealed class SettingsService(IAutoHealStore store) : ISettingsSource
{
    internal const string ConfigDocument = "config";
    internal const string SelectionsDocument = "selections";

    // Tries of a write that another process's write got ahead of (distributed mode).
    private const int MaxAttempts = 5;

    private readonly SemaphoreSlim _writer = new(1, 1);

    // The store's versions of the documents in force (distributed mode); guarded by _writer.
    private string? _configVersion;
    private string? _choicesVersion;
    private volatile Snapshot _now = Snapshot.From(new AutoHealConfig(), new Dictionary<string, bool>());

    /// <inheritdoc />
    public event EventHandler? Changed;

    /// <summary>Whether the configuration in force came from the store (changed through the API earlier).</summary>
    public bool FromStore { get; private set; }

    /// <summary>The configuration in force, with its secrets (webhook URLs).</summary>
    public AutoHealConfig Config => _now.Config;

    /// <summary>The configuration as shown and exported: webhook URLs masked.</summary>
    public AutoHealConfig Masked => Mask(_now.Config);

    /// <summary>Hides the webhook URLs' secret parts.</summary>
    public static AutoHealConfig Mask(AutoHealConfig c) => c with
    {
        Notifications = c.Notifications with
        {
            Webhooks = c.Notifications.Webhooks.Select(w => w with { Url = WebhookConfig.Mask(w.Url) }).ToList(),
        },
    };

    /// <summary>A masked URL (from a read or an export sent back) keeps the stored URL of the webhook with the same name.</summary>
    public static AutoHealConfig Unmask(AutoHealConfig incoming, AutoHealConfig current)
    {
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

    /// <summary>The operators' choices, by <c>host/name</c>.</summary>
    public IReadOnlyDictionary<string, bool> Choices => _now.Choices;

    /// <inheritdoc />
    public bool? ChoiceFor(ContainerKey key) => _now.Choices.TryGetValue(key.ToString(), out var on) ? on : null;

    /// <summary>Loads the stored configuration, or starts from <paramref name="initial"/> (appsettings).</summary>
    public async Task InitializeAsync(AutoHealConfig initial, CancellationToken cancellationToken)
    {
        var config = initial;
        var configDoc = await store.ReadDocumentForUpdateAsync(ConfigDocument, cancellationToken);
        if (configDoc.Json is { } json
            && JsonSerializer.Deserialize<AutoHealConfig>(json, AutoHealApiClient.Json) is { } stored
            && ConfigLimits.Validate(stored).Count == 0)
        {
            config = stored;
            FromStore = true;
        }

        var choicesDoc = await store.ReadDocumentForUpdateAsync(SelectionsDocument, cancellationToken);
        var choices = choicesDoc.Json is { } sel
            ? JsonSerializer.Deserialize<Dictionary<string, bool>>(sel, AutoHealApiClient.Json) ?? []
            : [];
        _now = Snapshot.From(config, choices);
        (_configVersion, _choicesVersion) = (configDoc.Version, choicesDoc.Version);
    }

    /// <summary>
    /// Reads the stored configuration and selections again (distributed mode: another process may have
    /// changed them); raises <see cref="Changed"/> if they differ from those in force.
    /// </summary>
    public async Task ReloadAsync(CancellationToken cancellationToken)
    {
        await _writer.WaitAsync(cancellationToken);
        bool changed;
        try
        {
            changed = await ReloadCoreAsync(cancellationToken);
        }
        finally
        {
            _writer.Release();
        }

        if (changed)
        {
            Changed?.Invoke(this, EventArgs.Empty);
        }
    }

    private async Task<bool> ReloadCoreAsync(CancellationToken cancellationToken)
    {
        var configDoc = await store.ReadDocumentForUpdateAsync(ConfigDocument, cancellationToken);
        var accepted = configDoc.Json is { } json
            && JsonSerializer.Deserialize<AutoHealConfig>(json, AutoHealApiClient.Json) is { } stored
            && ConfigLimits.Validate(stored).Count == 0
                ? stored
                : null;
        var config = accepted ?? _now.Config;
        var choicesDoc = await store.ReadDocumentForUpdateAsync(SelectionsDocument, cancellationToken);
        var choices = choicesDoc.Json is { } sel
            ? JsonSerializer.Deserialize<Dictionary<string, bool>>(sel, AutoHealApiClient.Json) ?? []
            : new Dictionary<string, bool>(_now.Choices);

        // The versions of what is now in force: the next write is based on them. A stored configuration
        // this process cannot accept (another version of AutoHeal wrote it) is not in force here: a write
        // based on the older one must conflict rather than overwrite it.
        _choicesVersion = choicesDoc.Version;
        if (accepted is not null || configDoc.Json is null)
        {
            _configVersion = configDoc.Version;
        }
        var same = JsonSerializer.Serialize(config, AutoHealApiClient.Json) == JsonSerializer.Serialize(_now.Config, AutoHealApiClient.Json)
            && choices.Count == _now.Choices.Count && choices.All(kv => _now.Choices.TryGetValue(kv.Key, out var v) && v == kv.Value);
        if (!same)
        {
            _now = Snapshot.From(config, choices);
        }

        return !same;
    }

    /// <summary>
    /// Applies a change to the whole configuration: validated, saved, then put in force, all under one
    /// lock. On any error nothing changes and the errors are returned, keyed by field.
    /// </summary>
    public async Task<(AutoHealConfig Config, Dictionary<string, string[]> Errors)> UpdateAsync(
        Func<AutoHealConfig, AutoHealConfig> change, CancellationToken cancellationToken)
    {
        await _writer.WaitAsync(cancellationToken);
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                var next = change(_now.Config);
                var errors = ConfigLimits.Validate(next);
                if (errors.Count > 0)
                {
                    return (_now.Config, errors);
                }

                try
                {
                    _configVersion = await store.WriteDocumentAsync(ConfigDocument, JsonSerializer.Serialize(next, AutoHealApiClient.Json), _configVersion, cancellationToken);
                    _now = Snapshot.From(next, _now.Choices);
                    break;
                }
                catch (DocumentConflictException) when (attempt < MaxAttempts)
                {
                    await ReloadCoreAsync(cancellationToken); // another process wrote first: apply the change to its version
                }
            }
        }
        finally
        {
            _writer.Release();
        }

        Changed?.Invoke(this, EventArgs.Empty);
        return (_now.Config, []);
    }

    /// <summary>Sets (true/false) or clears (null) the operators' choice for containers.</summary>
    public async Task SelectAsync(IEnumerable<ContainerKey> keys, bool? enabled, CancellationToken cancellationToken)
    {
        await _writer.WaitAsync(cancellationToken);
        try
        {
            var targets = keys.ToList();
            for (var attempt = 1; ; attempt++)
            {
                var choices = new Dictionary<string, bool>(_now.Choices);
                foreach (var key in targets)
                {
                    if (enabled is { } on)
                    {
                        choices[key.ToString()] = on;
                    }
                    else
                    {
                        choices.Remove(key.ToString());
                    }
                }

                try
                {
                    _choicesVersion = await store.WriteDocumentAsync(SelectionsDocument, JsonSerializer.Serialize(choices, AutoHealApiClient.Json), _choicesVersion, cancellationToken);
                    _now = Snapshot.From(_now.Config, choices);
                    break;
                }
                catch (DocumentConflictException) when (attempt < MaxAttempts)
                {
                    await ReloadCoreAsync(cancellationToken);
                }
            }
        }
        finally
        {
            _writer.Release();
        }

        Changed?.Invoke(this, EventArgs.Empty);
    }

    private sealed record Snapshot(AutoHealConfig Config, HealPolicy Policy, SelectionRules Rules, IReadOnlyDictionary<string, bool> Choices)
    {
        public static Snapshot From(AutoHealConfig c, IReadOnlyDictionary<string, bool> choices) =>
            new(c, ConfigMapping.ToPolicy(c.Restart), ConfigMapping.ToRules(c.Monitor), choices);
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
