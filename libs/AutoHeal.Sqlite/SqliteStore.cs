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
/// or the new state. (On Dapr the API keeps its event log in one too.)
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
    private long _appendsSincePrune;

    private SqliteStore(SqliteConnection connection, int retention)
    {
        _connection = connection;
        _retention = retention;
    }

    /// <summary>The database file's path.</summary>
    public required string Path { get; init; }

    /// <summary>Opens (and creates or migrates) <c>autoheal.db</c> in <paramref name="dataDir"/>.</summary>
    /// <param name="dataDir">The data folder; created if missing.</param>
    /// <param name="retention">How many events the log keeps; the oldest go first.</param>
    /// <param name="cancellationToken">Cancels the opening.</param>
    public static async Task<SqliteStore> OpenAsync(string dataDir, int retention, CancellationToken cancellationToken)
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
            """, cancellationToken);
        return new SqliteStore(connection, retention) { Path = path };
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
            return await cmd.ExecuteScalarAsync(cancellationToken) is string json
                ? JsonSerializer.Deserialize<GuardianState>(json, Json)
                : null;
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
            foreach (var batch in keys is null ? [null] : keys.Chunk(400).Select(b => (ContainerKey[]?)b))
            {
                await using var cmd = _connection.CreateCommand();
                var sql = new StringBuilder("SELECT state FROM guardians");
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
                    list.Add(JsonSerializer.Deserialize<GuardianState>(reader.GetString(0), Json)!);
                }
            }

            return list;
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
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                list.Add(JsonSerializer.Deserialize<AutoHealEvent>(reader.GetString(1), Json)! with { Id = reader.GetInt64(0) });
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
