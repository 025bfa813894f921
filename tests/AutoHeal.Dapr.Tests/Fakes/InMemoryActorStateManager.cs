using Dapr.Actors.Runtime;

namespace AutoHeal.Dapr.Tests.Fakes;

/// <summary>
/// An <see cref="IActorStateManager"/> with the semantics of Dapr's own: reads and writes go to a per-activation
/// cache, and only <see cref="SaveStateAsync"/> writes the changes to the state store. The store here is
/// <see cref="Persisted"/>, which holds each value as the JSON the actor's serializer makes of it (as the sidecar
/// would): tests assert on it, so a change the actor forgets to save, or a value that does not survive JSON, shows.
/// </summary>
internal sealed class InMemoryActorStateManager(JsonSerializerOptions json) : IActorStateManager
{
    private enum Change { None, Add, Update, Remove }

    private sealed record Entry(object? Value, Type Type, Change Change);

    private readonly Dictionary<string, Entry> _cache = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _persisted = new(StringComparer.Ordinal);

    /// <summary>The state store: each saved value as JSON, by state name.</summary>
    public IReadOnlyDictionary<string, string> Persisted => _persisted;

    /// <summary>How many times the actor saved.</summary>
    public int Saves { get; private set; }

    /// <summary>A saved value, read back from its JSON; default when there is none.</summary>
    public T? Read<T>(string name) =>
        _persisted.TryGetValue(name, out var text) ? JsonSerializer.Deserialize<T>(text, json) : default;

    /// <summary>Puts a value in the state store, as a previous activation would have saved it.</summary>
    public void Seed<T>(string name, T value) => _persisted[name] = JsonSerializer.Serialize(value, json);

    public Task AddStateAsync<T>(string stateName, T value, CancellationToken cancellationToken = default) =>
        AddStateAsync(stateName, value, TimeSpan.Zero, cancellationToken);

    public async Task AddStateAsync<T>(string stateName, T value, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        if (!await TryAddStateAsync(stateName, value, ttl, cancellationToken))
        {
            throw new InvalidOperationException($"an actor state named '{stateName}' exists already");
        }
    }

    public async Task<T> GetStateAsync<T>(string stateName, CancellationToken cancellationToken = default)
    {
        var found = await TryGetStateAsync<T>(stateName, cancellationToken);
        return found.HasValue ? found.Value : throw new KeyNotFoundException($"no actor state named '{stateName}'");
    }

    public Task SetStateAsync<T>(string stateName, T value, CancellationToken cancellationToken = default) =>
        SetStateAsync(stateName, value, TimeSpan.Zero, cancellationToken);

    public Task SetStateAsync<T>(string stateName, T value, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        var change = _cache.TryGetValue(stateName, out var cached)
            ? cached.Change == Change.Add ? Change.Add : Change.Update
            : _persisted.ContainsKey(stateName) ? Change.Update : Change.Add;
        _cache[stateName] = new Entry(value, typeof(T), change);
        return Task.CompletedTask;
    }

    public async Task RemoveStateAsync(string stateName, CancellationToken cancellationToken = default)
    {
        if (!await TryRemoveStateAsync(stateName, cancellationToken))
        {
            throw new KeyNotFoundException($"no actor state named '{stateName}'");
        }
    }

    public Task<bool> TryAddStateAsync<T>(string stateName, T value, CancellationToken cancellationToken = default) =>
        TryAddStateAsync(stateName, value, TimeSpan.Zero, cancellationToken);

    public async Task<bool> TryAddStateAsync<T>(string stateName, T value, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        if (await ContainsStateAsync(stateName, cancellationToken))
        {
            return false;
        }

        await SetStateAsync(stateName, value, ttl, cancellationToken);
        return true;
    }

    public Task<ConditionalValue<T>> TryGetStateAsync<T>(string stateName, CancellationToken cancellationToken = default)
    {
        if (_cache.TryGetValue(stateName, out var cached))
        {
            return Task.FromResult(cached.Change == Change.Remove ? default : new ConditionalValue<T>(true, (T)cached.Value!));
        }

        if (_persisted.TryGetValue(stateName, out var text))
        {
            var value = JsonSerializer.Deserialize<T>(text, json)!;
            _cache[stateName] = new Entry(value, typeof(T), Change.None);
            return Task.FromResult(new ConditionalValue<T>(true, value));
        }

        return Task.FromResult(default(ConditionalValue<T>));
    }

    public async Task<bool> TryRemoveStateAsync(string stateName, CancellationToken cancellationToken = default)
    {
        if (!await ContainsStateAsync(stateName, cancellationToken))
        {
            return false;
        }

        if (_cache.TryGetValue(stateName, out var cached) && cached.Change == Change.Add)
        {
            _cache.Remove(stateName);
        }
        else
        {
            _cache[stateName] = new Entry(null, typeof(object), Change.Remove);
        }

        return true;
    }

    public Task<bool> ContainsStateAsync(string stateName, CancellationToken cancellationToken = default) =>
        Task.FromResult(_cache.TryGetValue(stateName, out var cached) ? cached.Change != Change.Remove : _persisted.ContainsKey(stateName));

    public Task<T> GetOrAddStateAsync<T>(string stateName, T value, CancellationToken cancellationToken = default) =>
        GetOrAddStateAsync(stateName, value, TimeSpan.Zero, cancellationToken);

    public async Task<T> GetOrAddStateAsync<T>(string stateName, T value, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        var found = await TryGetStateAsync<T>(stateName, cancellationToken);
        if (found.HasValue)
        {
            return found.Value;
        }

        await SetStateAsync(stateName, value, ttl, cancellationToken);
        return value;
    }

    public Task<T> AddOrUpdateStateAsync<T>(string stateName, T addValue, Func<string, T, T> updateValueFactory, CancellationToken cancellationToken = default) =>
        AddOrUpdateStateAsync(stateName, addValue, updateValueFactory, TimeSpan.Zero, cancellationToken);

    public async Task<T> AddOrUpdateStateAsync<T>(string stateName, T addValue, Func<string, T, T> updateValueFactory, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        var found = await TryGetStateAsync<T>(stateName, cancellationToken);
        var value = found.HasValue ? updateValueFactory(stateName, found.Value) : addValue;
        await SetStateAsync(stateName, value, ttl, cancellationToken);
        return value;
    }

    public Task ClearCacheAsync(CancellationToken cancellationToken = default)
    {
        _cache.Clear();
        return Task.CompletedTask;
    }

    public Task SaveStateAsync(CancellationToken cancellationToken = default)
    {
        foreach (var (name, entry) in _cache.ToList())
        {
            switch (entry.Change)
            {
                case Change.Add or Change.Update:
                    _persisted[name] = JsonSerializer.Serialize(entry.Value, entry.Type, json);
                    _cache[name] = entry with { Change = Change.None };
                    break;
                case Change.Remove:
                    _persisted.Remove(name);
                    _cache.Remove(name);
                    break;
            }
        }

        Saves++;
        return Task.CompletedTask;
    }

    public Task UnloadStateAsync(string stateName, UnloadStateOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (_cache.TryGetValue(stateName, out var cached) && cached.Change != Change.None && options?.AllowUnloadingWhenStateModified != true)
        {
            throw new InvalidOperationException($"the actor state '{stateName}' has unsaved changes");
        }

        _cache.Remove(stateName);
        return Task.CompletedTask;
    }
}
