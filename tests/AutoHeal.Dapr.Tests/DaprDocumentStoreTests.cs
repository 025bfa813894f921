using Microsoft.Extensions.Logging;
using AutoHeal.Contracts.Api;
using AutoHeal.Core.Probes;
using AutoHeal.Core.Settings;

namespace AutoHeal.Dapr.Tests;

/// <summary>
/// Shared documents in the Dapr state store, written with ETags. One <see cref="InMemoryDaprClient"/>
/// is the state store; each <see cref="DaprDocumentStore"/> (and the <see cref="SettingsService"/> or
/// <see cref="HealthCheckStore"/> over it) is one AutoHeal process using it.
/// </summary>
public sealed class DaprDocumentStoreTests
{
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly InMemoryDaprClient _state = new(DaprWire.Json);

    [Fact]
    public async Task A_document_written_by_one_process_is_read_whole_by_another()
    {
        var writer = new DaprDocumentStore(_state);
        var reader = new DaprDocumentStore(_state);
        const string json = """{"monitor":{"label_key":"team.heal","whitelist":["web","db"]},"note":"ünïcödé \" and \\ kept"}""";

        Assert.Null((await reader.ReadDocumentAsync("config", None)).Json);
        var v1 = await writer.WriteDocumentAsync("config", json, null, None);
        var v2 = await writer.WriteDocumentAsync("config", json.Replace("web", "www", StringComparison.Ordinal), v1, None); // based on its own last write: no conflict
        await writer.WriteDocumentAsync("config", json, v2, None);

        Assert.NotNull(v1);
        Assert.NotEqual(v1, v2);
        Assert.Equal(json, (await reader.ReadDocumentAsync("config", None)).Json);
        Assert.Equal(json, (await writer.ReadDocumentAsync("config", None)).Json);
        Assert.Null((await reader.ReadDocumentAsync("selections", None)).Json);
        Assert.NotNull(_state.Raw(DaprNames.StateStore, DaprNames.DocumentKey("config"))); // under the documented key, in the named store
    }

    [Fact]
    public async Task A_write_from_a_process_that_did_not_see_the_last_change_is_refused_and_the_change_stays()
    {
        await new DaprDocumentStore(_state).WriteDocumentAsync("config", """{"v":0}""", null, None);
        var a = new DaprDocumentStore(_state);
        var b = new DaprDocumentStore(_state);
        var seenByA = await a.ReadDocumentAsync("config", None);
        var seenByB = await b.ReadDocumentAsync("config", None);

        await a.WriteDocumentAsync("config", """{"v":"a"}""", seenByA.Version, None);
        var conflict = await Assert.ThrowsAsync<DocumentConflictException>(() => b.WriteDocumentAsync("config", """{"v":"b"}""", seenByB.Version, None));

        Assert.Equal("config", conflict.Document);
        Assert.Contains("another AutoHeal process", conflict.Message, StringComparison.Ordinal);
        Assert.Equal("""{"v":"a"}""", (await new DaprDocumentStore(_state).ReadDocumentAsync("config", None)).Json);

        // Having read the change, the second process may write.
        var again = await b.ReadDocumentAsync("config", None);
        Assert.Equal("""{"v":"a"}""", again.Json);
        await b.WriteDocumentAsync("config", """{"v":"b"}""", again.Version, None);
        Assert.Equal("""{"v":"b"}""", (await a.ReadDocumentAsync("config", None)).Json);
    }

    [Fact]
    public async Task Changes_to_the_configuration_made_at_once_in_two_processes_are_both_kept()
    {
        await SeedAsync();
        var (a, aChanged) = await ProcessAsync();
        var (b, bChanged) = await ProcessAsync();

        var (_, errorsA) = await a.UpdateAsync(c => c with { Restart = c.Restart with { CooldownSeconds = 42 } }, None);
        var (configB, errorsB) = await b.UpdateAsync(c => c with { Monitor = c.Monitor with { LabelKey = "team.heal" } }, None); // b never saw a's change

        Assert.Empty(errorsA);
        Assert.Empty(errorsB);
        Assert.Equal(1, _state.Refused); // b's first try was refused, then re-applied to a's version
        var stored = StoredConfig();
        Assert.Equal((42d, "team.heal"), (stored.Restart.CooldownSeconds, stored.Monitor.LabelKey));
        Assert.Equal((42d, "team.heal"), (configB.Restart.CooldownSeconds, configB.Monitor.LabelKey));
        Assert.Equal(TimeSpan.FromSeconds(42), b.Policy.Cooldown);
        Assert.Equal("team.heal", b.Selection.LabelKey);
        Assert.Equal((1, 1), (aChanged(), bChanged()));

        // a learns of b's change at its next reload (the refresher does it every few seconds), once.
        await a.ReloadAsync(None);
        Assert.Equal("team.heal", a.Selection.LabelKey);
        Assert.Equal(TimeSpan.FromSeconds(42), a.Policy.Cooldown);
        Assert.Equal(2, aChanged());
        await a.ReloadAsync(None);
        await b.ReloadAsync(None);
        Assert.Equal((2, 1), (aChanged(), bChanged()));
    }

    [Fact]
    public async Task A_change_made_in_one_process_reaches_another_at_its_reload_which_raises_Changed_once()
    {
        await SeedAsync();
        var (a, _) = await ProcessAsync();
        var (b, bChanged) = await ProcessAsync();

        await a.UpdateAsync(c => c with { Restart = c.Restart with { CooldownSeconds = 7 } }, None);
        await b.ReloadAsync(None);

        Assert.Equal(TimeSpan.FromSeconds(7), b.Policy.Cooldown);
        Assert.Equal(1, bChanged());

        await b.ReloadAsync(None); // nothing changed since
        await b.ReloadAsync(None);
        Assert.Equal(1, bChanged());

        await a.SelectAsync([new ContainerKey("local", "web")], false, None);
        await b.ReloadAsync(None);
        Assert.False(b.ChoiceFor(new ContainerKey("local", "web")));
        Assert.Equal(2, bChanged());
    }

    [Fact]
    public async Task Containers_chosen_at_once_in_two_processes_keep_both_choices()
    {
        await SeedAsync();
        var (a, _) = await ProcessAsync();
        var (b, _) = await ProcessAsync();

        await a.SelectAsync([new ContainerKey("local", "web")], true, None);
        await b.SelectAsync([new ContainerKey("web2", "db"), new ContainerKey("web2", "cache")], false, None); // b never saw a's choice

        Assert.Equal(1, _state.Refused);
        var stored = JsonSerializer.Deserialize<Dictionary<string, bool>>(StoredDocument("selections"), AutoHealApiClient.Json)!;
        Assert.Equal(
            new Dictionary<string, bool> { ["seed/old"] = true, ["local/web"] = true, ["web2/db"] = false, ["web2/cache"] = false }.OrderBy(kv => kv.Key),
            stored.OrderBy(kv => kv.Key));
        Assert.True(b.ChoiceFor(new ContainerKey("local", "web")));
        Assert.False(b.ChoiceFor(new ContainerKey("web2", "db")));
    }

    [Fact]
    public async Task Changes_made_at_once_in_two_fresh_processes_are_both_kept()
    {
        var (a, _) = await ProcessAsync(); // no configuration stored yet: both start from appsettings
        var (b, _) = await ProcessAsync();

        await a.UpdateAsync(c => c with { Restart = c.Restart with { CooldownSeconds = 42 } }, None);
        var (_, errors) = await b.UpdateAsync(c => c with { Monitor = c.Monitor with { LabelKey = "team.heal" } }, None);

        Assert.Empty(errors);
        var stored = StoredConfig();
        Assert.Equal((42d, "team.heal"), (stored.Restart.CooldownSeconds, stored.Monitor.LabelKey));
    }

    [Fact]
    public async Task A_change_made_by_another_process_right_after_this_ones_is_not_overwritten_by_this_ones_next_change()
    {
        await SeedAsync();
        var (a, _) = await ProcessAsync();
        var (b, _) = await ProcessAsync();

        // b's change lands between a's write and a's read of the new ETag.
        _state.AfterNextWrite = async _ =>
        {
            await b.ReloadAsync(None);
            await b.UpdateAsync(c => c with { Monitor = c.Monitor with { LabelKey = "team.heal" } }, None);
        };
        await a.UpdateAsync(c => c with { Restart = c.Restart with { CooldownSeconds = 42 } }, None);
        await a.UpdateAsync(c => c with { Restart = c.Restart with { MaxRestarts = 9 } }, None);

        var stored = StoredConfig();
        Assert.Equal((42d, 9, "team.heal"), (stored.Restart.CooldownSeconds, stored.Restart.MaxRestarts, stored.Monitor.LabelKey));
    }

    [Fact]
    public async Task A_stored_configuration_this_process_cannot_accept_is_never_overwritten_by_its_older_one()
    {
        await SeedAsync();
        var (a, _) = await ProcessAsync();
        // Another AutoHeal (a newer version, say) stores a configuration this one rejects.
        var other = new DaprDocumentStore(_state);
        var current = await other.ReadDocumentAsync("config", None);
        var foreign = current.Json!.Replace("\"cooldown_seconds\":15", "\"cooldown_seconds\":-1", StringComparison.Ordinal);
        Assert.NotEqual(current.Json, foreign);
        await other.WriteDocumentAsync("config", foreign, current.Version, None);

        await a.ReloadAsync(None);
        var refused = await Assert.ThrowsAsync<DocumentConflictException>(
            () => a.UpdateAsync(c => c with { Restart = c.Restart with { MaxRestarts = 9 } }, None));

        Assert.Equal("config", refused.Document);
        Assert.Equal(foreign, StoredDocument("config")); // left as the other process wrote it
        Assert.Equal(15, a.Config.Restart.CooldownSeconds); // and this one keeps what it can run
    }

    [Fact]
    public async Task Checks_defined_at_once_in_two_processes_are_both_kept_though_one_listed_them_before_the_other_wrote()
    {
        using var a = new HealthCheckStore(new DaprDocumentStore(_state), TimeProvider.System);
        using var b = new HealthCheckStore(new DaprDocumentStore(_state), TimeProvider.System);
        Assert.Empty(await a.ListAsync(None)); // a reads first (the dashboard, say)...

        await b.SaveAsync(Check("db"), "db", None); // ...then b writes...
        Assert.Empty(await a.ListAsync(None)); // ...and a has not reloaded yet: it still shows what it read

        await a.SaveAsync(Check("web"), "web", None); // a's change is based on the old read: refused, then re-applied

        Assert.Equal(1, _state.Refused);
        var stored = JsonSerializer.Deserialize<List<HealthCheckDefinition>>(StoredDocument("healthchecks"), AutoHealApiClient.Json)!;
        Assert.Equal(["db", "web"], stored.Select(c => c.ContainerId).Order());
        Assert.Equal(["db", "web"], (await a.ListAsync(None)).Select(c => c.ContainerId).Order());
        await b.ReloadAsync(None); // what the shared-documents refresher does every few seconds
        Assert.Equal(["db", "web"], (await b.ListAsync(None)).Select(c => c.ContainerId).Order());
        Assert.True(await b.DeleteAsync(stored.Single(c => c.ContainerId == "web").Id!, None));
        Assert.Equal(["db"], JsonSerializer.Deserialize<List<HealthCheckDefinition>>(StoredDocument("healthchecks"), AutoHealApiClient.Json)!.Select(c => c.ContainerId));
    }

    [Theory]
    [InlineData("""[{"container_id":"web","check_type":"exec","exec_command":"kill 1","interval_seconds":0,"timeout_seconds":5,"retries":3}]""", "healthchecks[0].interval_seconds")]
    [InlineData("""[{"container_id":"web","check_type":"tcp","tcp_host":"127.0.0.1","tcp_port":80},{"container_id":"web","check_type":"exec","exec_command":"true"}]""", "healthchecks[1].container_id")]
    [InlineData("""[{"container_id":"../web","check_type":"tcp","tcp_host":"127.0.0.1","tcp_port":80}]""", "healthchecks[0].container_id")]
    [InlineData("""[null]""", "healthchecks[0]")]
    public async Task Check_definitions_read_back_from_the_store_are_checked_as_the_api_checks_them_and_refused_ones_change_nothing(string written, string field)
    {
        // Whoever can write the state store (a local user of a Redis without a password, say) writes the definitions.
        using var running = new HealthCheckStore(new DaprDocumentStore(_state), TimeProvider.System);
        await running.SaveAsync(Check("db"), "db", None);
        var other = new DaprDocumentStore(_state);
        await other.WriteDocumentAsync("healthchecks", written, (await other.ReadDocumentAsync("healthchecks", None)).Version, None);

        await running.ReloadAsync(None);
        var log = new LinesLogger();
        using var starting = new HealthCheckStore(new DaprDocumentStore(_state, log), TimeProvider.System);

        Assert.Equal(["db"], (await running.ByContainerNameAsync(None)).Keys); // the process running keeps what it had
        Assert.Empty(await starting.ByContainerNameAsync(None)); // one starting runs none of them...
        Assert.Contains(log.Lines, l => l.Contains($"({field}", StringComparison.Ordinal)); // ...and says which field it refused
        Assert.Equal(written, StoredDocument("healthchecks")); // left for the operator to see
    }

    [Fact]
    public async Task Selections_read_back_from_the_store_must_name_containers()
    {
        await SeedAsync();
        var other = new DaprDocumentStore(_state);
        var current = await other.ReadDocumentAsync("selections", None);
        await other.WriteDocumentAsync("selections", """{"seed/old":true,"no host at all":false}""", current.Version, None);
        var log = new LinesLogger();

        using var starting = new SettingsService(new DaprDocumentStore(_state, log));
        await starting.InitializeAsync(new AutoHealConfig(), None);

        Assert.Contains(log.Lines, l => l.Contains("(selections['no host at all']", StringComparison.Ordinal));
        Assert.Null(starting.ChoiceFor(new ContainerKey("seed", "old"))); // none of the choices in force: the labels decide
    }

    [Fact]
    public async Task Maintenance_and_a_snooze_set_in_the_apis_process_hold_the_healers_heals_back_after_its_reload()
    {
        var (api, _) = await ProcessAsync();
        var (healer, changed) = await ProcessAsync();
        var now = new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
        var web = new ContainerKey("local", "web");
        var db = new ContainerKey("local", "db");

        await api.SetMaintenanceAsync(new MaintenanceHold(now, now.AddMinutes(30), "db upgrade"), now, None);
        await api.SnoozeAsync(db, new SnoozeHold(now.AddHours(2), "deploy"), now, None);
        Assert.Null(healer.HoldFor(web, now)); // not read yet
        await healer.ReloadAsync(None); // what the shared-documents refresher does every few seconds

        Assert.Equal(new HoldBack(now.AddMinutes(30), "maintenance (db upgrade)"), healer.HoldFor(web, now));
        Assert.Equal(new HoldBack(now.AddHours(2), "snoozed (deploy)"), healer.HoldFor(db, now)); // the later-ending hold
        Assert.Null(healer.HoldFor(web, now.AddMinutes(30))); // over at its time
        Assert.Equal(1, changed());
        Assert.True(await api.EndMaintenanceAsync(api.Maintenance!, now, None));
        await healer.ReloadAsync(None);
        Assert.Null(healer.HoldFor(web, now));
    }

    /// <summary>The lines logged, formatted.</summary>
    private sealed class LinesLogger : ILogger
    {
        private readonly Recorded<string> _lines = new();

        public IReadOnlyList<string> Lines => _lines.Items;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            _lines.Add(formatter(state, exception));
    }

    private static HealthCheckDefinition Check(string container) => new()
    {
        ContainerId = container,
        CheckType = "tcp",
        TcpHost = "127.0.0.1",
        TcpPort = 5432,
    };

    /// <summary>The documents as an earlier API process left them: a configuration and one choice.</summary>
    private async Task SeedAsync()
    {
        var (first, _) = await ProcessAsync();
        await first.UpdateAsync(c => c with { Restart = c.Restart with { CooldownSeconds = 15 } }, None);
        await first.SelectAsync([new ContainerKey("seed", "old")], true, None);
        Assert.Equal(0, _state.Refused);
    }

    /// <summary>An AutoHeal process starting on the shared state store; the count of its Changed events.</summary>
    private async Task<(SettingsService Settings, Func<int> Changed)> ProcessAsync()
    {
        var settings = new SettingsService(new DaprDocumentStore(_state));
        await settings.InitializeAsync(new AutoHealConfig(), None);
        var changed = 0;
        settings.Changed += (_, _) => Interlocked.Increment(ref changed);
        return (settings, () => Volatile.Read(ref changed));
    }

    private string StoredDocument(string name) =>
        JsonSerializer.Deserialize<string>(_state.Raw(DaprNames.StateStore, DaprNames.DocumentKey(name)) ?? throw new InvalidOperationException($"no {name} stored"), DaprWire.Json)!;

    private AutoHealConfig StoredConfig() => JsonSerializer.Deserialize<AutoHealConfig>(StoredDocument("config"), AutoHealApiClient.Json)!;

    [Fact]
    public async Task A_document_that_is_not_json_is_set_aside_next_to_its_key_and_a_changed_one_is_left()
    {
        var store = new DaprDocumentStore(_state);
        await store.WriteDocumentAsync("config", """{"restart": "nonsen""", null, None); // cut short
        var read = await store.ReadDocumentAsync("config", None);

        Assert.True(await store.SetDocumentAsideAsync("config", read.Version, "it does not parse", None));

        Assert.Null((await store.ReadDocumentAsync("config", None)).Json);
        Assert.Equal("""{"restart": "nonsen""", (await new DaprDocumentStore(_state).ReadDocumentAsync($"config{DaprDocumentStore.SetAsideSuffix}.{read.Version}", None)).Json);

        await store.WriteDocumentAsync("config", """{"v":2""", null, None);
        Assert.True(await store.SetDocumentAsideAsync("config", read.Version, "read before the new write", None)); // a version since replaced
        Assert.Equal("""{"v":2""", (await store.ReadDocumentAsync("config", None)).Json);
    }

    [Fact]
    public async Task A_document_that_is_json_but_not_this_versions_stays_in_force_for_the_rest_of_the_cluster()
    {
        var store = new DaprDocumentStore(_state);
        await store.WriteDocumentAsync("config", """{"restart": {"cooldown_seconds": -1}}""", null, None);
        var read = await store.ReadDocumentAsync("config", None);

        Assert.False(await store.SetDocumentAsideAsync("config", read.Version, "its values are out of bounds", None));

        Assert.Equal("""{"restart": {"cooldown_seconds": -1}}""", (await store.ReadDocumentAsync("config", None)).Json);
    }

    [Fact]
    public async Task A_process_starting_next_to_a_newer_configuration_runs_with_its_own_and_never_overwrites_it()
    {
        var foreign = """{"restart": {"cooldown_seconds": -1}}"""; // valid JSON this version refuses (a newer one's meaning, say)
        await new DaprDocumentStore(_state).WriteDocumentAsync("config", foreign, null, None);
        using var starting = new SettingsService(new DaprDocumentStore(_state));
        await starting.InitializeAsync(new AutoHealConfig { Restart = new RestartConfig { MaxRestarts = 7 } }, None);

        Assert.False(starting.FromStore);
        Assert.Equal(7, starting.Config.Restart.MaxRestarts); // its start-up configuration
        await Assert.ThrowsAsync<DocumentConflictException>(() => starting.UpdateAsync(c => c with { Restart = c.Restart with { MaxRestarts = 9 } }, None));
        Assert.Equal(foreign, StoredDocument("config"));
    }
}
