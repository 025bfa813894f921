namespace AutoHeal.Domain.Guardians;

/// <summary>
/// When a host's failures are a storm: more than <see cref="Threshold"/> distinct containers asking for an automatic
/// heal within <see cref="Window"/>. Then the cause is the host, a shared dependency or the engine, not the containers:
/// heals wait <see cref="Cooldown"/>, then go one at a time. A threshold of 0 turns the breaker off.
/// </summary>
public sealed record StormRule(int Threshold, TimeSpan Window, TimeSpan Cooldown)
{
    /// <summary>The defaults: 5 containers in 60 s (a host with tens of containers rarely sees more than one or two fail in a minute), 120 s of quiet.</summary>
    public static readonly StormRule Default = new(5, TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(120));

    /// <summary>Whether the breaker can open at all.</summary>
    public bool Enabled => Threshold > 0;
}

/// <summary>Where a host's storm breaker is.</summary>
public enum StormPhase
{
    /// <summary>No storm: heals go as usual.</summary>
    Calm,
    /// <summary>A storm: automatic heals wait until the cool-down ends.</summary>
    Open,
    /// <summary>After the cool-down: heals go one at a time, until no container has asked for a window.</summary>
    Draining,
}

/// <summary>The breaker's answer to one heal asking to restart: go now (one at a time while draining), or ask again at <see cref="WaitUntil"/>.</summary>
public readonly record struct StormAnswer(DateTimeOffset? WaitUntil)
{
    /// <summary>Whether the heal may go on.</summary>
    public bool Go => WaitUntil is null;
}

/// <summary>A storm began (with the containers caught in it) or ended (with the containers it held back).</summary>
public sealed record StormNews(bool Began, IReadOnlyList<string> Containers, DateTimeOffset CooldownEnds);

/// <summary>
/// A host's storm breaker: pure, fed by the heals that ask for a restart (a guardian decided to heal) and told the
/// time. Not thread-safe: its owner serializes calls. Manual restarts never pass through it: the operator decided.
/// </summary>
public sealed class StormBreaker
{
    // How long a heal is remembered: it is counted by its first ask, however often it asks again (through a watcher it
    // does, while the restart slots are taken).
    private static readonly TimeSpan JobsRemembered = TimeSpan.FromHours(1);
    private readonly Dictionary<string, DateTimeOffset> _asked = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _firstAsk = new(StringComparer.Ordinal);
    private readonly SortedSet<string> _caught = new(StringComparer.Ordinal);
    private DateTimeOffset _until;
    private DateTimeOffset _lastAsk;

    /// <summary>Where it is (as of its last call).</summary>
    public StormPhase Phase { get; private set; }

    /// <summary>When the cool-down of the storm ends (or ended).</summary>
    public DateTimeOffset CooldownEnds => _until;

    /// <summary>
    /// Heal <paramref name="job"/> of <paramref name="container"/> asks to restart at <paramref name="now"/>. The
    /// answer, and the storm's beginning when this ask started one.
    /// </summary>
    public (StormAnswer Answer, StormNews? News) Ask(string container, string job, DateTimeOffset now, StormRule rule)
    {
        if (!rule.Enabled)
        {
            var ended = Phase == StormPhase.Calm ? null : End();
            return (new StormAnswer(null), ended);
        }

        _lastAsk = now;
        switch (Phase)
        {
            case StormPhase.Open when now < _until:
                _caught.Add(container);
                return (new StormAnswer(_until), null);
            case StormPhase.Open or StormPhase.Draining:
                Phase = StormPhase.Draining;
                _caught.Add(container);
                return (new StormAnswer(null), null);
        }

        foreach (var (id, at) in _firstAsk.ToList())
        {
            if (now - at > JobsRemembered)
            {
                _firstAsk.Remove(id);
            }
        }

        if (!_firstAsk.TryGetValue(job, out var first))
        {
            _firstAsk[job] = first = now;
        }

        _asked[container] = first;
        foreach (var (name, at) in _asked.ToList())
        {
            if (now - at > rule.Window)
            {
                _asked.Remove(name);
            }
        }

        if (_asked.Count <= rule.Threshold)
        {
            return (new StormAnswer(null), null);
        }

        Phase = StormPhase.Open;
        _until = now + rule.Cooldown;
        _caught.UnionWith(_asked.Keys);
        _asked.Clear();
        return (new StormAnswer(_until), new StormNews(true, [.. _caught], _until));
    }

    /// <summary>
    /// Looks at the time: a draining breaker closes once no container has asked for a whole window and no heal of
    /// it is still restarting (<paramref name="idle"/>). The storm's end when it closed now. When it is not calm, the
    /// next time worth looking again is <see cref="NextLook"/>.
    /// </summary>
    public StormNews? Tick(DateTimeOffset now, StormRule rule, bool idle)
    {
        if (Phase == StormPhase.Calm)
        {
            return null;
        }

        if (!rule.Enabled)
        {
            return End();
        }

        if (Phase == StormPhase.Open && now >= _until)
        {
            Phase = StormPhase.Draining;
        }

        return Phase == StormPhase.Draining && idle && now - Later(_lastAsk, _until) >= rule.Window ? End() : null;
    }

    /// <summary>When <see cref="Tick"/> may next change something.</summary>
    public DateTimeOffset NextLook(StormRule rule) => Phase == StormPhase.Open ? _until : Later(_lastAsk, _until) + rule.Window;

    private StormNews End()
    {
        var news = new StormNews(false, [.. _caught], _until);
        Phase = StormPhase.Calm;
        _caught.Clear();
        _asked.Clear();
        return news;
    }

    private static DateTimeOffset Later(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
}
