using AutoHeal.Domain.Containers;
using AutoHeal.Domain.Policies;

namespace AutoHeal.Core.Containers;

/// <summary>
/// What this host's engine refuses of what AutoHeal does (a socket proxy with a narrow profile, an authorization plugin),
/// as last asked: at the watcher's every connect and every <see cref="AskEvery"/> after. The log, <c>GET /api/status</c> and
/// the dashboard say it; without restart, guardians of this host's containers hold every heal back (notify-only) instead
/// of failing at each one. Known where the watcher of <paramref name="host"/> runs (embedded mode, a watcher's process).
/// </summary>
public sealed class EngineAccess(HostIdentity host, TimeProvider time)
{
    /// <summary>How long an answer stands before the engine is asked again (a proxy's profile may change).</summary>
    public static readonly TimeSpan AskEvery = TimeSpan.FromMinutes(5);

    private volatile Reading _now = new([], null);
    private volatile bool _answered;

    /// <summary>What the engine refused when last asked; empty before the first answer and while it allows everything.</summary>
    public IReadOnlyList<EngineRefusal> Refused => _now.Refused;

    /// <summary>When it was last asked; null before that.</summary>
    public DateTimeOffset? AskedAt => _now.At;

    /// <summary>Whether it is time to ask again (never asked, or an answer older than <see cref="AskEvery"/>; every connect asks anyway).</summary>
    public bool Due => _now.At is not { } at || time.GetUtcNow() - at >= AskEvery;

    /// <summary>Keeps a new answer; true when it differs from the one before (to be told).</summary>
    public bool Update(IReadOnlyList<EngineRefusal> refused)
    {
        var changed = !_answered || !_now.Refused.SequenceEqual(refused);
        _now = new Reading(refused, time.GetUtcNow());
        _answered = true;
        return changed;
    }

    /// <summary>The hold of notify-only for a container of this host while its engine refuses restarts (until the next time it is asked); null otherwise.</summary>
    public HoldBack? Hold(ContainerKey key, DateTimeOffset now) =>
        key is not null && key.Host == host.Name && _now is { At: { } at } reading && reading.Refused.Any(r => r.Action == "restart")
            ? new HoldBack(at + AskEvery > now ? at + AskEvery : now + AskEvery, "restart refused by the engine (notify-only)")
            : null;

    private sealed record Reading(IReadOnlyList<EngineRefusal> Refused, DateTimeOffset? At);
}
