using AutoHeal.Domain.Containers;
using AutoHeal.Domain.Guardians;
using AutoHeal.Domain.Policies;
using AutoHeal.Domain.Ports;
using AutoHeal.Domain.Selection;

namespace AutoHeal.TestUtils.Fakes;

/// <summary>
/// Settings a test sets: the given policy and selection, defaults otherwise. A test may change them
/// while running; every change raises <see cref="Changed"/>, as the live settings do.
/// </summary>
public sealed class FixedSettingsSource(HealPolicy? policy = null, SelectionRules? selection = null) : ISettingsSource
{
    private readonly Dictionary<ContainerKey, bool> _choices = [];
    private HealPolicy _policy = policy ?? HealPolicy.Default;
    private SelectionRules _selection = selection ?? new SelectionRules();
    private TimeSpan _sweepInterval = TimeSpan.FromSeconds(10);
    private int _maxConcurrentRestarts = 4;
    private StormRule _storm = StormRule.Default;
    private HoldBack? _maintenance;

    /// <inheritdoc />
    public event EventHandler? Changed;

    /// <inheritdoc />
    public HealPolicy Policy
    {
        get => _policy;
        set => Set(ref _policy, value);
    }

    /// <inheritdoc />
    public SelectionRules Selection
    {
        get => _selection;
        set => Set(ref _selection, value);
    }

    /// <inheritdoc />
    public TimeSpan SweepInterval
    {
        get => _sweepInterval;
        set => Set(ref _sweepInterval, value);
    }

    /// <inheritdoc />
    public int MaxConcurrentRestarts
    {
        get => _maxConcurrentRestarts;
        set => Set(ref _maxConcurrentRestarts, value);
    }

    /// <inheritdoc />
    public StormRule Storm
    {
        get => _storm;
        set => Set(ref _storm, value);
    }

    /// <inheritdoc />
    public bool? ChoiceFor(ContainerKey key)
    {
        lock (_choices)
        {
            return _choices.TryGetValue(key, out var on) ? on : null;
        }
    }

    /// <summary>Host-wide maintenance, as a test sets it (null: none).</summary>
    public HoldBack? Maintenance
    {
        get => _maintenance;
        set => Set(ref _maintenance, value);
    }

    /// <inheritdoc />
    public HoldBack? HoldFor(ContainerKey key, DateTimeOffset now) => _maintenance is { } m && m.Until > now ? m : null;

    /// <summary>Records an operator's choice for a container (null: follow the rules again).</summary>
    public void Choose(ContainerKey key, bool? monitored)
    {
        lock (_choices)
        {
            if (monitored is { } on)
            {
                _choices[key] = on;
            }
            else
            {
                _choices.Remove(key);
            }
        }

        Changed?.Invoke(this, EventArgs.Empty);
    }

    private void Set<T>(ref T field, T value)
    {
        field = value;
        Changed?.Invoke(this, EventArgs.Empty);
    }
}
