namespace AutoHeal.TestUtils;

/// <summary>What a fake keeps for a test to read: added to from any thread, read as a copy in the order added.</summary>
public sealed class Recorded<T>
{
    private readonly Lock _lock = new();
    private readonly List<T> _items = [];

    /// <summary>Everything added so far, in order.</summary>
    public IReadOnlyList<T> Items
    {
        get
        {
            lock (_lock)
            {
                return _items.ToList();
            }
        }
    }

    public void Add(T item)
    {
        lock (_lock)
        {
            _items.Add(item);
        }
    }

    public void AddRange(IEnumerable<T> items)
    {
        lock (_lock)
        {
            _items.AddRange(items);
        }
    }
}
