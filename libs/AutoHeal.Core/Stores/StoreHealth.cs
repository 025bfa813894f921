namespace AutoHeal.Core.Stores;

/// <summary>
/// Whether AutoHeal's own store takes writes, as its last write found: a full disk or an I/O error makes AutoHeal's
/// <c>/health</c> say so (503, with the reason) until a write succeeds again.
/// </summary>
public sealed class StoreHealth(TimeProvider time)
{
    private volatile Reading _current = new(true, null, null);

    /// <summary>As the last write found it.</summary>
    public Reading Current => _current;

    /// <summary>A write failed.</summary>
    public void Failed(Exception error)
    {
        if (_current.Writable || _current.Problem != error.Message)
        {
            _current = new Reading(false, error.Message, time.GetUtcNow());
        }
    }

    /// <summary>A write succeeded.</summary>
    public void Succeeded()
    {
        if (!_current.Writable)
        {
            _current = new Reading(true, null, time.GetUtcNow());
        }
    }

    /// <summary>Whether the store takes writes, why not, and since when (null: since start).</summary>
    public sealed record Reading(bool Writable, string? Problem, DateTimeOffset? Since);
}
