using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using AutoHeal.Domain.Containers;
using AutoHeal.Domain.Events;
using AutoHeal.Domain.Guardians;
using AutoHeal.Domain.Ports;
using Microsoft.Data.Sqlite;

namespace AutoHeal.Sqlite;

/// <summary>
/// Embedded mode's state in one SQLite file (WAL): guardians, the event log, the shared documents. One
/// connection, one writer at a time: every save is a single transaction, so a crash leaves either the old
/// or the new state. (On Dapr the API keeps its event log in one too.) A row that cannot be read (it does not parse,
/// or says another key than its own) is set aside, into the table <c>set_aside</c>, with a
/// <see cref="EventKind.DataSetAside"/> event, and AutoHeal goes on with the rest.
/// </summary>
public sealed class SqliteStore : IGuardianStore, IEventLog, IDocumentStore, IAsyncDisposable
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    private readonly SqliteConnection _connection;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly int _retention;
    private readonly TimeProvider _time;
    private long _appendsSincePrune;
    private readonly Lock _noticesLock = new();
    private readonly List<AutoHealEvent> _unannounced = [];
    private Action<AutoHealEvent>? _announce;

    private SqliteStore(SqliteConnection connection, int retention, TimeProvider time)
    {
        _connection = connection;
        _retention = retention;
        _time = time;
    }

    /// <summary>The database file's path.</summary>
    public required string Path { get; init; }

    /// <summary>
    /// Hands every <see cref="EventKind.DataSetAside"/> event this store wrote itself to <paramref name="announce"/>
    /// (the log, the webhooks): those written so far (at open, before anyone listened), and each one after.
    /// </summary>
    public void AnnounceSetAside(Action<AutoHealEvent> announce)
    {
        List<AutoHealEvent> earlier;
        lock (_noticesLock)
        {
            _announce = announce;
            earlier = [.. _unannounced];
            _unannounced.Clear();
        }

        earlier.ForEach(announce);
    }

    /// <summary>Opens (and creates or migrates) <c>autoheal.db</c> in <paramref name="dataDir"/>.</summary>
    /// <param name="dataDir">The data folder; created if missing.</param>
    /// <param name="retention">How many events the log keeps; the oldest go first.</param>
    /// <param name="cancellationToken">Cancels the opening.</param>
    /// <param name="time">The clock of the events it writes itself (a row set aside); the system's by default.</param>
    public static async Task<SqliteStore> OpenAsync(string dataDir, int retention, CancellationToken cancellationToken, TimeProvider? time = null)
    {
        Directory.CreateDirectory(dataDir);
        var path = System.IO.Path.GetFullPath(System.IO.Path.Combine(dataDir, "autoheal.db"));
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
        }.ToString());
        await connection.OpenAsync(cancellationToken);
        await Exec(connection, """
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = NORMAL;
            PRAGMA busy_timeout = 5000;
            CREATE TABLE IF NOT EXISTS guardians (
                host TEXT NOT NULL,
                name TEXT NOT NULL,
                state TEXT NOT NULL,
                PRIMARY KEY (host, name)
            );
            CREATE TABLE IF NOT EXISTS events (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                at INTEGER NOT NULL,
                kind TEXT NOT NULL,
                host TEXT,
                name TEXT,
                body TEXT NOT NULL
            );
            CREATE INDEX IF NOT EXISTS events_by_name ON events (name, id);
            CREATE INDEX IF NOT EXISTS events_by_at ON events (at);
            CREATE TABLE IF NOT EXISTS documents (
                name TEXT PRIMARY KEY,
                body TEXT NOT NULL
            );
            CREATE TABLE IF NOT EXISTS set_aside (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                at INTEGER NOT NULL,
                source TEXT NOT NULL,
                key TEXT NOT NULL,
                body TEXT NOT NULL,
                error TEXT NOT NULL
            );
            """, cancellationToken);
        return new SqliteStore(connection, retention, time ?? TimeProvider.System) { Path = path };
    }

    /// <inheritdoc />
    public async Task<GuardianState?> LoadGuardianAsync(ContainerKey key, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await using var cmd = _connection.CreateCommand();
            cmd.CommandText = "SELECT state FROM guardians WHERE host = $host AND name = $name";
            cmd.Parameters.AddWithValue("$host", key.Host);
            cmd.Parameters.AddWithValue("$name", key.Name);
            if (await cmd.ExecuteScalarAsync(cancellationToken) is not string json)
            {
                return null;
            }

            if (ReadGuardian(key.Host, key.Name, json, out var error) is { } state)
            {
                return state;
            }

            await SetGuardianAsideAsync(key.Host, key.Name, json, error!, cancellationToken);
            return null;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<GuardianState>> LoadGuardiansAsync(IReadOnlyCollection<ContainerKey> keys, CancellationToken cancellationToken) =>
        keys.Count == 0 ? Task.FromResult<IReadOnlyList<GuardianState>>([]) : LoadWhereAsync(keys, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<GuardianState>> LoadAllGuardiansAsync(CancellationToken cancellationToken) => LoadWhereAsync(null, cancellationToken);

    // Only the rows asked for: the status call, every metrics scrape and every dashboard refresh read the
    // guardians of the containers present, not every name ever seen.
    private async Task<IReadOnlyList<GuardianState>> LoadWhereAsync(IReadOnlyCollection<ContainerKey>? keys, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var list = new List<GuardianState>();
            var unreadable = new List<(string Host, string Name, string Json, string Error)>();
            foreach (var batch in keys is null ? [null] : keys.Chunk(400).Select(b => (ContainerKey[]?)b))
            {
                await using var cmd = _connection.CreateCommand();
                var sql = new StringBuilder("SELECT host, name, state FROM guardians");
                if (batch is not null)
                {
                    sql.Append(" WHERE (host, name) IN (VALUES ");
                    for (var i = 0; i < batch.Length; i++)
                    {
                        sql.Append(i == 0 ? "" : ", ").Append(CultureInfo.InvariantCulture, $"($h{i}, $n{i})");
                        cmd.Parameters.AddWithValue($"$h{i}", batch[i].Host);
                        cmd.Parameters.AddWithValue($"$n{i}", batch[i].Name);
                    }

                    sql.Append(')');
                }

                cmd.CommandText = sql.Append(" ORDER BY host, name").ToString();
                await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    var (host, name, json) = (reader.GetString(0), reader.GetString(1), reader.GetString(2));
                    if (ReadGuardian(host, name, json, out var error) is { } state)
                    {
                        list.Add(state);
                    }
                    else
                    {
                        unreadable.Add((host, name, json, error!));
                    }
                }
            }

            foreach (var (host, name, json, error) in unreadable)
            {
                await SetGuardianAsideAsync(host, name, json, error, cancellationToken);
            }

            return list;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ContainerKey>> ForgetRemovedAsync(DateTimeOffset removedBefore, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await using var cmd = _connection.CreateCommand();
            cmd.CommandText = """
                DELETE FROM guardians
                WHERE json_extract(state, '$.phase') = 'removed'
                  AND julianday(json_extract(state, '$.removedAt')) < julianday($before)
                RETURNING host, name
                """;
            cmd.Parameters.AddWithValue("$before", removedBefore.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture));
            var forgotten = new List<ContainerKey>();
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                forgotten.Add(new ContainerKey(reader.GetString(0), reader.GetString(1)));
            }

            return forgotten;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<AutoHealEvent>> SaveAsync(
        GuardianState state, IReadOnlyList<AutoHealEvent> events, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await using var tx = (SqliteTransaction)await _connection.BeginTransactionAsync(cancellationToken);
            await using (var cmd = _connection.CreateCommand())
            {
                cmd.Transaction = tx;
                cmd.CommandText = """
                    INSERT INTO guardians (host, name, state) VALUES ($host, $name, $state)
                    ON CONFLICT (host, name) DO UPDATE SET state = excluded.state
                    """;
                cmd.Parameters.AddWithValue("$host", state.Key.Host);
                cmd.Parameters.AddWithValue("$name", state.Key.Name);
                cmd.Parameters.AddWithValue("$state", JsonSerializer.Serialize(state, Json));
                await cmd.ExecuteNonQueryAsync(cancellationToken);
            }

            var saved = await InsertEvents(tx, events, cancellationToken);
            await tx.CommitAsync(cancellationToken);
            return saved;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<AutoHealEvent>> AppendEventsAsync(IReadOnlyList<AutoHealEvent> events, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await using var tx = (SqliteTransaction)await _connection.BeginTransactionAsync(cancellationToken);
            var saved = await InsertEvents(tx, events, cancellationToken);
            await tx.CommitAsync(cancellationToken);
            return saved;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<AutoHealEvent>> ReadEventsAsync(EventQuery query, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await using var cmd = _connection.CreateCommand();
            var sql = new StringBuilder("SELECT id, body FROM events WHERE 1 = 1");
            if (query.BeforeId is { } before)
            {
                sql.Append(" AND id < $before");
                cmd.Parameters.AddWithValue("$before", before);
            }

            if (query.Container is { Length: > 0 } name)
            {
                sql.Append(" AND name = $name");
                cmd.Parameters.AddWithValue("$name", name);
            }

            if (query.Kinds is { Count: > 0 } kinds)
            {
                var names = kinds.Select((k, i) => (Param: $"$k{i}", Value: KindName(k))).ToList();
                sql.Append(" AND kind IN (").Append(string.Join(", ", names.Select(n => n.Param))).Append(')');
                foreach (var (param, value) in names)
                {
                    cmd.Parameters.AddWithValue(param, value);
                }
            }

            if (query.Since is { } since)
            {
                sql.Append(" AND at >= $since");
                cmd.Parameters.AddWithValue("$since", since.ToUnixTimeMilliseconds());
            }

            if (query.Until is { } until)
            {
                sql.Append(" AND at < $until");
                cmd.Parameters.AddWithValue("$until", until.ToUnixTimeMilliseconds());
            }

            sql.Append(" ORDER BY id DESC LIMIT $limit");
            cmd.Parameters.AddWithValue("$limit", Math.Clamp(query.Limit, 1, 1001));
            cmd.CommandText = sql.ToString();
            var list = new List<AutoHealEvent>();
            var unreadable = new List<(long Id, string Json, string Error)>();
            await using (var reader = await cmd.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    var (id, json) = (reader.GetInt64(0), reader.GetString(1));
                    if (ReadEvent(json, out var error) is { } e)
                    {
                        list.Add(e with { Id = id });
                    }
                    else
                    {
                        unreadable.Add((id, json, error!));
                    }
                }
            }

            foreach (var (id, json, error) in unreadable)
            {
                await SetAsideAsync("events", $"event #{id}", json, error, $"the stored event #{id} could not be read ({error})",
                    "DELETE FROM events WHERE id = $id", c => c.Parameters.AddWithValue("$id", id), null, cancellationToken);
            }

            return list;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    /// <remarks>One process owns the file: no versions.</remarks>
    public async Task<VersionedDocument> ReadDocumentAsync(string name, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await using var cmd = _connection.CreateCommand();
            cmd.CommandText = "SELECT body FROM documents WHERE name = $name";
            cmd.Parameters.AddWithValue("$name", name);
            return new VersionedDocument(await cmd.ExecuteScalarAsync(cancellationToken) as string, null);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    /// <remarks>One process owns the file, and its writers serialize their changes themselves: no versions.</remarks>
    public async Task<string?> WriteDocumentAsync(string name, string json, string? expectedVersion, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await using var cmd = _connection.CreateCommand();
            cmd.CommandText = "INSERT INTO documents (name, body) VALUES ($name, $body) ON CONFLICT (name) DO UPDATE SET body = excluded.body";
            cmd.Parameters.AddWithValue("$name", name);
            cmd.Parameters.AddWithValue("$body", json);
            await cmd.ExecuteNonQueryAsync(cancellationToken);
            return null;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public async Task<bool> SetDocumentAsideAsync(string name, string? version, string why, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await using var read = _connection.CreateCommand();
            read.CommandText = "SELECT body FROM documents WHERE name = $name";
            read.Parameters.AddWithValue("$name", name);
            if (await read.ExecuteScalarAsync(cancellationToken) is string json)
            {
                await SetAsideAsync("documents", name, json, why, $"the stored document '{name}' could not be used ({why})",
                    "DELETE FROM documents WHERE name = $name", c => c.Parameters.AddWithValue("$name", name), null, cancellationToken);
            }

            return true; // one process owns this store: what it cannot use, nothing else uses
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Everything set aside so far, oldest first: where it came from, what it said, and why it could not be read.</summary>
    public async Task<IReadOnlyList<(string Source, string Key, string Body, string Error)>> ReadSetAsideAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await using var cmd = _connection.CreateCommand();
            cmd.CommandText = "SELECT source, key, body, error FROM set_aside ORDER BY id";
            var rows = new List<(string, string, string, string)>();
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                rows.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3)));
            }

            return rows;
        }
        finally
        {
            _gate.Release();
        }
    }

    private static GuardianState? ReadGuardian(string host, string name, string json, out string? error)
    {
        error = null;
        try
        {
            var state = JsonSerializer.Deserialize<GuardianState>(json, Json);
            if (state?.Key is not { } key)
            {
                error = "it holds no guardian";
            }
            else if (key.Host != host || key.Name != name)
            {
                error = $"it is the guardian of {key}";
            }
            else
            {
                return state;
            }
        }
        catch (JsonException ex)
        {
            error = ex.Message;
        }

        return null;
    }

    private static AutoHealEvent? ReadEvent(string json, out string? error)
    {
        error = null;
        try
        {
            if (JsonSerializer.Deserialize<AutoHealEvent>(json, Json) is { Message: not null } e && Enum.IsDefined(e.Kind))
            {
                return e;
            }

            error = "it holds no event";
        }
        catch (JsonException ex)
        {
            error = ex.Message;
        }

        return null;
    }

    private Task SetGuardianAsideAsync(string host, string name, string json, string error, CancellationToken cancellationToken) =>
        SetAsideAsync("guardians", $"{host}/{name}", json, error,
            $"the stored guardian of {host}/{name} could not be read ({error}); its guardian starts afresh",
            "DELETE FROM guardians WHERE host = $host AND name = $name",
            c =>
            {
                c.Parameters.AddWithValue("$host", host);
                c.Parameters.AddWithValue("$name", name);
            },
            new ContainerKey(host, name),
            cancellationToken);

    // Moves one unreadable row into set_aside and says so in the event log, in one transaction. (Under the gate.)
    private async Task SetAsideAsync(
        string source, string key, string body, string error, string message, string delete, Action<SqliteCommand> bind, ContainerKey? container,
        CancellationToken cancellationToken)
    {
        await using var tx = (SqliteTransaction)await _connection.BeginTransactionAsync(cancellationToken);
        long id;
        await using (var insert = _connection.CreateCommand())
        {
            insert.Transaction = tx;
            insert.CommandText = "INSERT INTO set_aside (at, source, key, body, error) VALUES ($at, $source, $key, $body, $error) RETURNING id";
            insert.Parameters.AddWithValue("$at", _time.GetUtcNow().ToUnixTimeMilliseconds());
            insert.Parameters.AddWithValue("$source", source);
            insert.Parameters.AddWithValue("$key", key);
            insert.Parameters.AddWithValue("$body", body);
            insert.Parameters.AddWithValue("$error", error);
            id = (long)(await insert.ExecuteScalarAsync(cancellationToken))!;
        }

        await using (var remove = _connection.CreateCommand())
        {
            remove.Transaction = tx;
            remove.CommandText = delete;
            bind(remove);
            await remove.ExecuteNonQueryAsync(cancellationToken);
        }

        var written = await InsertEvents(tx, [new AutoHealEvent
        {
            At = _time.GetUtcNow(),
            Kind = EventKind.DataSetAside,
            Key = container,
            Message = string.Create(CultureInfo.InvariantCulture, $"{message}: set aside as row {id} of the table set_aside in {Path}"),
        }], cancellationToken);
        await tx.CommitAsync(cancellationToken);
        Action<AutoHealEvent>? announce;
        lock (_noticesLock)
        {
            announce = _announce;
            if (announce is null)
            {
                _unannounced.AddRange(written);
            }
        }

        foreach (var e in announce is null ? [] : written)
        {
            announce!(e);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _connection.DisposeAsync();
        _gate.Dispose();
    }

    private async Task<IReadOnlyList<AutoHealEvent>> InsertEvents(
        SqliteTransaction tx, IReadOnlyList<AutoHealEvent> events, CancellationToken cancellationToken)
    {
        if (events.Count == 0)
        {
            return events;
        }

        var saved = new List<AutoHealEvent>(events.Count);
        await using var cmd = _connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "INSERT INTO events (at, kind, host, name, body) VALUES ($at, $kind, $host, $name, $body) RETURNING id";
        var at = cmd.Parameters.Add("$at", SqliteType.Integer);
        var kind = cmd.Parameters.Add("$kind", SqliteType.Text);
        var host = cmd.Parameters.Add("$host", SqliteType.Text);
        var name = cmd.Parameters.Add("$name", SqliteType.Text);
        var body = cmd.Parameters.Add("$body", SqliteType.Text);
        foreach (var e in events)
        {
            at.Value = e.At.ToUnixTimeMilliseconds();
            kind.Value = KindName(e.Kind);
            host.Value = (object?)e.Key?.Host ?? DBNull.Value;
            name.Value = (object?)e.Key?.Name ?? DBNull.Value;
            body.Value = JsonSerializer.Serialize(e, Json);
            var id = Convert.ToInt64(await cmd.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
            saved.Add(e with { Id = id });
        }

        _appendsSincePrune += events.Count;
        if (_appendsSincePrune >= Math.Max(1, _retention / 10))
        {
            _appendsSincePrune = 0;
            await using var prune = _connection.CreateCommand();
            prune.Transaction = tx;
            prune.CommandText = "DELETE FROM events WHERE id <= (SELECT MAX(id) FROM events) - $keep";
            prune.Parameters.AddWithValue("$keep", _retention);
            await prune.ExecuteNonQueryAsync(cancellationToken);
        }

        return saved;
    }

    private static string KindName(EventKind kind) => JsonNamingPolicy.SnakeCaseLower.ConvertName(kind.ToString());

    private static async Task Exec(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }
}
