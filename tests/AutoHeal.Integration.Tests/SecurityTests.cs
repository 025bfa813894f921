using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.Data.Sqlite;
using Refit;

namespace AutoHeal.Integration.Tests;

/// <summary>
/// What a container (its labels, its output: anyone who runs it, or its image's author) cannot turn against AutoHeal or
/// another container, and what AutoHeal does when its own disk, data or callers misbehave; on the real engine, with
/// the real autoheal, every request on loopback.
/// </summary>
public sealed class SecurityTests(EngineFixture engine) : WithOwnAutoHeal(engine)
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(30);

    private Task<IReadOnlyList<EventView>> EventsAsync(string name, string kind) =>
        Api.GetEventsAsync(container: name, kind: kind).ContinueWith(t => (IReadOnlyList<EventView>)t.Result.Items, TaskScheduler.Default);

    private async Task<EventView> LabelInvalidAsync(string name) =>
        await Eventually.ValueAsync(async () => (await EventsAsync(name, "label_invalid")) is [var first, ..] ? first : null, Soon, $"a label_invalid event of {name}");

    [Fact]
    public async Task A_label_cannot_aim_a_check_anywhere_but_at_its_own_container()
    {
        using var listener = new WebhookReceiver(); // on 127.0.0.1, and not the container's
        var post = Docker.Name("sec-post");
        var away = Docker.Name("sec-away");
        var tcp = Docker.Name("sec-tcp");
        string[] Http(string url, params string[] more) => [.. Autoheal.OptIn, "--network", "host", "--label", "autoheal.check.type=http", "--label", $"autoheal.check.url={url}", .. more];
        await Docker.StartAsync(post, "exec sleep 1000", Http(listener.Url("containers/other/kill"), "--label", "autoheal.check.method=POST"));
        await Docker.StartAsync(away, "exec sleep 1000", Http(listener.Url("probe")));
        await Docker.StartAsync(tcp, "exec sleep 1000",
            [.. Autoheal.OptIn, "--network", "host", "--label", "autoheal.check.type=tcp", "--label", "autoheal.check.host=127.0.0.1",
             "--label", $"autoheal.check.port={listener.Port}"]);

        Assert.Contains("autoheal.check.method=POST ignored, so no custom health check runs: must be GET or HEAD", (await LabelInvalidAsync(post)).Message);
        Assert.Contains($"autoheal.check.url={listener.Url("probe")} ignored", (await LabelInvalidAsync(away)).Message);
        Assert.Contains($"port {listener.Port} on loopback is not one the container listens on", (await LabelInvalidAsync(away)).Message);
        Assert.Contains("autoheal.check.host=127.0.0.1 ignored", (await LabelInvalidAsync(tcp)).Message);
        // Each was refused before anything was sent (a check sends its first request as soon as it starts).
        await Eventually.StaysTrueAsync(() => listener.Requests.Count == 0, "no request to the listener", TimeSpan.FromSeconds(2));
        Assert.DoesNotContain(Autoheal.Lines, l => l.Contains("custom health check http", StringComparison.Ordinal) && l.Contains("started", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_endless_response_body_is_read_only_to_its_cap_and_the_check_fails()
    {
        var port = Loopback.FreePort();
        var name = Docker.Name("sec-stream");
        // An HTTP server that answers 200 and then zeros, without end, to every client.
        await Docker.StartAsync(name, $"while true; do {{ printf 'HTTP/1.0 200 OK\\r\\n\\r\\n'; cat /dev/zero; }} | nc -l -p {port}; done",
            [.. Autoheal.OptIn, "--network", "host", "--label", "autoheal.check.type=http", "--label", $"autoheal.check.url=http://127.0.0.1:{port}/",
             "--label", "autoheal.check.body=ok", "--label", "autoheal.check.timeout=5s", "--label", "autoheal.check.interval=10s",
             "--label", "autoheal.check.retries=1", "--label", "autoheal.mode=on-failure"]);
        var before = RssMiB(Autoheal.Pid);

        var skipped = await Eventually.ValueAsync(async () => (await EventsAsync(name, "skipped")) is [var first, ..] ? first : null, Soon, "the failed check to be told (and not healed: mode on-failure)");

        Assert.Contains($"http GET http://127.0.0.1:{port}/ answered 200 without 'ok' in the first 64 KiB of its body", skipped.Message);
        Assert.True(RssMiB(Autoheal.Pid) < before + 64, $"autoheal grew from {before} MiB to {RssMiB(Autoheal.Pid)} MiB reading the body");
    }

    [Fact]
    public async Task A_container_that_will_not_stop_holds_no_restart_slot_past_the_global_stop_timeout()
    {
        await RestartWithAsync(new Dictionary<string, string> { ["AutoHeal:Restart:MaxConcurrentRestarts"] = "1" });
        var stubborn = Docker.Name("sec-stubborn");
        var crash = Docker.Name("sec-next");
        // Ignores SIGTERM, and asks through its label for an hour to stop (the global stop timeout is 1 s).
        await Docker.StartAsync(stubborn, "trap '' TERM; touch /tmp/ok; while true; do sleep 0.2; done",
            [.. Autoheal.OptIn, "--label", "autoheal.stop.timeout=1h", "--stop-timeout", "3600",
             "--health-cmd", "test -f /tmp/ok", "--health-interval", "1s", "--health-retries", "1"]);
        await Docker.StartAsync(crash, DockerCli.CrashOnTrigger, Autoheal.OptIn);
        await Eventually.HoldsAsync(async () => await DockerCli.InspectAsync(stubborn, "{{.State.Health.Status}}") == "healthy", Soon, "healthy");

        try
        {
            await DockerCli.RunAsync("exec", stubborn, "rm", "/tmp/ok");
            await Autoheal.WaitForLogAboutAsync(stubborn, "Restarting:", Soon); // it holds the only slot, and Docker waits for it to stop
            var clock = Stopwatch.StartNew();
            await DockerCli.TriggerCrashAsync(crash);

            await Eventually.HoldsAsync(async () => (await EventsAsync(crash, "healed")).Count == 1, TimeSpan.FromSeconds(90), "the other container's heal");
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(1), $"healed after {clock.Elapsed.TotalSeconds:0}s");
            Assert.Empty(await EventsAsync(stubborn, "healed")); // still being stopped, by Docker's hour
        }
        finally
        {
            // Docker would wait out its hour on its own shutdown too (the engine-restart test's).
            await DockerCli.RunAsync("rm", "-f", stubborn);
        }
    }

    [Fact]
    public async Task A_container_of_autoheals_own_compose_stack_is_never_healed_even_with_include_all()
    {
        await RestartWithAsync(new Dictionary<string, string> { ["AutoHeal:Monitor:IncludeAll"] = "true" });
        var sidecar = Docker.Name("sec-self-dapr");
        await Docker.StartAsync(sidecar, DockerCli.CrashOnTrigger, "--label", "autoheal.self=true");

        var listed = await Eventually.ValueAsync(async () => (await Api.ListContainersAsync()).FirstOrDefault(c => c.Name == sidecar), Soon, "listed");
        Assert.Equal((false, "one of AutoHeal's own containers (label autoheal.self=true)"), (listed.Monitored, listed.MonitoredReason));
        await Api.SelectAsync(new SelectRequest([sidecar], true)); // not even an operator's choice
        Assert.False((await Api.GetContainerAsync(sidecar)).Container.Monitored);

        await DockerCli.TriggerCrashAsync(sidecar);
        await Eventually.HoldsAsync(async () => (await Api.GetContainerAsync(sidecar)).Container.Status == "exited", Soon, "AutoHeal to see it exited");
        Assert.Empty(await EventsAsync(sidecar, "heal_scheduled"));
    }

    [Fact]
    public async Task An_exec_check_from_the_api_never_runs_in_a_privileged_container_without_its_consent()
    {
        var privileged = Docker.Name("sec-priv");
        var consenting = Docker.Name("sec-consent");
        var refusing = Docker.Name("sec-refuse");
        var plain = Docker.Name("sec-plain");
        string[] socket = ["-v", "/var/run/docker.sock:/var/run/docker.sock:ro"]; // the Docker socket: root on the host
        await Docker.StartAsync(privileged, "exec sleep 1000", [.. Autoheal.OptIn, .. socket]);
        await Docker.StartAsync(consenting, "exec sleep 1000", [.. Autoheal.OptIn, .. socket, "--label", "autoheal.check.api_exec=true"]);
        await Docker.StartAsync(refusing, "exec sleep 1000", [.. Autoheal.OptIn, "--label", "autoheal.check.api_exec=false"]);
        await Docker.StartAsync(plain, "exec sleep 1000", [.. Autoheal.OptIn, "--mount", "type=tmpfs,destination=/data"]); // its own storage is not the host's
        var hostEtc = Docker.Name("sec-etc");
        await Docker.StartAsync(hostEtc, "exec sleep 1000", [.. Autoheal.OptIn, "-v", "/etc:/host-etc:ro"]); // the host's /etc/shadow, read-only
        await Eventually.HoldsAsync(async () => (await Api.ListContainersAsync()).Count(c => c.Name.StartsWith($"{Docker.RunId}-sec-", StringComparison.Ordinal)) >= 5, Soon, "listed");
        Task<HealthCheckDefinition> DefineAsync(string name) => Api.CreateHealthCheckAsync(new HealthCheckDefinition
        {
            ContainerId = name,
            CheckType = "exec",
            ExecCommand = "cat /etc/shadow",
            IntervalSeconds = 60,
            TimeoutSeconds = 1,
        });

        var refusedPrivileged = await Assert.ThrowsAsync<ValidationApiException>(() => DefineAsync(privileged));
        var refusedByLabel = await Assert.ThrowsAsync<ValidationApiException>(() => DefineAsync(refusing));
        var refusedHostMount = await Assert.ThrowsAsync<ValidationApiException>(() => DefineAsync(hostEtc));

        Assert.Contains("it is privileged", Assert.Single(refusedPrivileged.Content!.Errors["exec_command"]));
        Assert.Contains("autoheal.check.api_exec=false refuses", Assert.Single(refusedByLabel.Content!.Errors["exec_command"]));
        Assert.Contains("it is privileged", Assert.Single(refusedHostMount.Content!.Errors["exec_command"]));
        Assert.Equal(consenting, (await DefineAsync(consenting)).ContainerId);
        Assert.Equal(plain, (await DefineAsync(plain)).ContainerId);
        Assert.Equal([consenting, plain], (await Api.ListHealthChecksAsync()).Select(c => c.ContainerId).Order());
    }

    [SkippableFact]
    public async Task A_crash_seen_while_the_disk_is_full_is_healed_once_it_can_be_saved_and_health_says_why_meanwhile()
    {
        using var disk = SmallDisk.TryMount(out var why);
        Skip.If(disk is null, $"needs a small tmpfs of its own to fill: {why}");
        await using var autoheal = new AutoHealProcess(Docker, dataDir: disk.Path);
        await autoheal.StartAsync();
        var name = Docker.Name("sec-full");
        await Docker.StartAsync(name, DockerCli.CrashOnTrigger, autoheal.OptIn);
        await Eventually.HoldsAsync(async () => (await autoheal.Api.ListContainersAsync()).Any(c => c.Name == name && c.Monitored), Soon, "listed");

        disk.Fill();
        await DockerCli.TriggerCrashAsync(name);
        await Eventually.HoldsAsync(async () => await DockerCli.StateAsync(name) == "exited", Soon, "the crash"); // it exits a moment after the trigger

        await autoheal.WaitForLogAboutAsync(name, "could not save what its guardian decided", Soon);
        using var http = new HttpClient();
        var health = await http.GetAsync(new Uri(autoheal.BaseAddress, "/health"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Contains("\"store_writable\":false", await health.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        // Nothing done that could not be recorded: still down, or restarted only once its restart was saved (a retried
        // save can get through when SQLite reuses room in its write-ahead log).
        var state = await DockerCli.StateAsync(name);
        var recorded = (await autoheal.Api.GetEventsAsync(container: name, kind: "restarting")).Items.Count;
        Assert.True(state == "exited" || recorded == 1, $"{name} is {state} with {recorded} restart(s) recorded");

        disk.Free();

        await Eventually.HoldsAsync(async () => (await autoheal.Api.GetEventsAsync(container: name, kind: "healed")).Items.Count == 1, Soon, "the heal, once saved");
        Assert.Equal("running", await DockerCli.StateAsync(name));
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri(autoheal.BaseAddress, "/health"))).StatusCode);
    }

    [Fact]
    public async Task An_unreadable_guardian_or_configuration_is_set_aside_and_autoheal_starts_with_the_rest()
    {
        using var folder = new TempFolder();
        await using (var store = await Sqlite.SqliteStore.OpenAsync(folder.Path, 1000, CancellationToken.None))
        {
            await store.SaveAsync(GuardianState.New(new ContainerKey("local", "kept")), [], CancellationToken.None);
        }

        await using (var db = new SqliteConnection($"Data Source={Path.Combine(folder.Path, "autoheal.db")};Pooling=False"))
        {
            await db.OpenAsync();
            await using var cmd = db.CreateCommand();
            cmd.CommandText = """
                INSERT INTO guardians (host, name, state) VALUES ('local', 'ghost', '{"key": {"host": "local", "na');
                INSERT INTO documents (name, body) VALUES ('config', '{"restart": {"max_restarts": "many"}}');
                """;
            await cmd.ExecuteNonQueryAsync();
        }

        await using var autoheal = new AutoHealProcess(Docker, dataDir: folder.Path);
        await autoheal.StartAsync();

        var setAside = (await autoheal.Api.GetEventsAsync(kind: "data_set_aside")).Items;
        Assert.Contains(setAside, e => e.Message.StartsWith("the stored document 'config' could not be used", StringComparison.Ordinal));
        Assert.Contains(setAside, e => e.Message.StartsWith("the stored guardian of local/ghost could not be read", StringComparison.Ordinal) && e.Container == "ghost");
        Assert.Contains(autoheal.Lines, l => l.Contains("data_set_aside", StringComparison.OrdinalIgnoreCase) || l.Contains("DataSetAside", StringComparison.Ordinal));
        Assert.Equal(5, (await autoheal.Api.GetConfigAsync()).Restart.MaxRestarts); // the configuration AutoHeal was started with
        await autoheal.StopAsync();
        await using var reopened = await Sqlite.SqliteStore.OpenAsync(folder.Path, 1000, CancellationToken.None);
        var kept = await reopened.ReadSetAsideAsync(CancellationToken.None);
        Assert.Contains(kept, r => r is { Source: "guardians", Key: "local/ghost" } && r.Body.StartsWith("{\"key\"", StringComparison.Ordinal));
        Assert.Contains(kept, r => r is { Source: "documents", Key: "config" } && r.Body.Contains("many", StringComparison.Ordinal));
        Assert.NotNull(await reopened.LoadGuardianAsync(new ContainerKey("local", "kept"), CancellationToken.None));
    }

    [Fact]
    public async Task The_token_file_reads_with_cat_an_old_one_with_a_byte_order_mark_is_rewritten_and_an_empty_one_replaced()
    {
        using var folder = new TempFolder();
        var data = Path.Combine(folder.Path, "data");
        var file = Path.Combine(data, "api-token");
        Directory.CreateDirectory(data);
        await File.WriteAllTextAsync(file, "an-old-token-from-an-older-version\n", new UTF8Encoding(encoderShouldEmitUTF8Identifier: true));

        await using (var first = Tokenless(data))
        {
            await first.StartAsync();
            Assert.Contains(first.Lines, l => l.Contains("without a byte-order mark (the token is unchanged)", StringComparison.Ordinal));
            Assert.Equal("an-old-token-from-an-older-version\n"u8.ToArray(), await File.ReadAllBytesAsync(file));
            // The README's own line, from the folder that holds data/.
            Assert.Equal("200", await CurlStatusAsync(folder.Path, first.BaseAddress));
            await first.StopAsync();
        }

        await File.WriteAllTextAsync(file, "  \n");
        await using var second = Tokenless(data);
        await second.StartAsync();

        var generated = Assert.Single(second.Lines, l => l.Contains("Generated the API token", StringComparison.Ordinal));
        var token = (await File.ReadAllTextAsync(file)).Trim();
        Assert.EndsWith(token, generated);
        Assert.NotEqual(0xEF, (await File.ReadAllBytesAsync(file))[0]);
        Assert.Equal("200", await CurlStatusAsync(folder.Path, second.BaseAddress));
    }

    [Fact]
    public async Task Wrong_tokens_are_slowed_down_per_client_address_even_a_right_one_waits_out_the_minute()
    {
        using var http = new HttpClient { BaseAddress = Autoheal.BaseAddress };
        async Task<HttpResponseMessage> CallAsync(string token)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/status");
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            return await http.SendAsync(request);
        }

        for (var i = 1; i <= 10; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await CallAsync($"guess-{i}")).StatusCode);
        }

        var eleventh = await CallAsync("guess-11");
        var right = await CallAsync(Autoheal.Token);

        Assert.Equal(HttpStatusCode.TooManyRequests, eleventh.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(60), eleventh.Headers.RetryAfter?.Delta);
        Assert.Equal(HttpStatusCode.TooManyRequests, right.StatusCode); // a guess that happens to be right is not even looked at
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri(Autoheal.BaseAddress, "/health"))).StatusCode);
    }

    [Fact]
    public async Task An_exec_check_past_its_timeout_is_ended_and_one_that_closes_its_output_is_judged_by_how_it_ends()
    {
        var hung = Docker.Name("sec-hung");
        var closing = Docker.Name("sec-closes");
        await Docker.StartAsync(hung, "exec sleep 1000",
            [.. Autoheal.OptIn, "--label", "autoheal.check.type=exec", "--label", "autoheal.check.command=sleep 107",
             "--label", "autoheal.check.timeout=1s", "--label", "autoheal.check.interval=5s", "--label", "autoheal.check.retries=100"]);
        await Docker.StartAsync(closing, "exec sleep 1000",
            [.. Autoheal.OptIn, "--label", "autoheal.check.type=exec", "--label", "autoheal.check.command=exec >&- 2>&-; sleep 1; exit 3",
             "--label", "autoheal.check.timeout=4s", "--label", "autoheal.check.interval=5s", "--label", "autoheal.check.retries=100"]);

        await Autoheal.WaitForLogAsync($"{hung}: health check failed (1/100): exec 'sleep 107' did not answer within 1s", Soon);
        await Autoheal.WaitForLogAsync($"{closing}: health check failed (1/100): exec 'exec >&- 2>&-; sleep 1; exit 3' exited 3", Soon);

        await Eventually.HoldsAsync(async () => !(await DockerCli.RunAsync("exec", hung, "ps")).Contains("sleep 107", StringComparison.Ordinal),
            TimeSpan.FromSeconds(5), "the timed-out command to be ended");
        Assert.DoesNotContain(Autoheal.LinesFor(closing), l => l.Contains("custom health check passing", StringComparison.Ordinal));
    }

    private AutoHealProcess Tokenless(string dataDir)
    {
        var autoheal = new AutoHealProcess(Docker, dataDir: dataDir);
        autoheal.Settings.Remove("AutoHeal:Api:Token");
        return autoheal;
    }

    private static async Task<string> CurlStatusAsync(string folder, Uri api)
    {
        var psi = new ProcessStartInfo("sh") { WorkingDirectory = folder, RedirectStandardOutput = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add($"TOKEN=$(cat data/api-token); curl -s -o /dev/null -w '%{{http_code}}' -H \"Authorization: Bearer $TOKEN\" {api}api/status");
        using var sh = Process.Start(psi)!;
        var output = await sh.StandardOutput.ReadToEndAsync();
        await sh.WaitForExitAsync();
        return output.Trim();
    }

    private static int RssMiB(int pid) =>
        int.Parse(File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1],
            CultureInfo.InvariantCulture) / 1024;

    /// <summary>A 16 MiB tmpfs of the test's own (root only), to fill and free.</summary>
    private sealed class SmallDisk : IDisposable
    {
        private SmallDisk(string path) => Path = path;

        public string Path { get; }

        public static SmallDisk? TryMount(out string? why)
        {
            var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"autoheal-full-{Guid.NewGuid():N}");
            Directory.CreateDirectory(path);
            using var mount = Process.Start(new ProcessStartInfo("mount", ["-t", "tmpfs", "-o", "size=16m", "tmpfs", path]) { RedirectStandardError = true })!;
            var error = mount.StandardError.ReadToEnd();
            mount.WaitForExit();
            why = mount.ExitCode == 0 ? null : $"mount -t tmpfs failed ({error.Trim()})";
            return why is null ? new SmallDisk(path) : null;
        }

        /// <summary>
        /// Writes until the disk is full, and keeps it full until <see cref="Free"/>: a failed write may free
        /// a few pages again (SQLite drops its journal), which a filler in the background takes at once.
        /// </summary>
        public void Fill()
        {
            TopUp(System.IO.Path.Combine(Path, "filler"));
            _topping = Task.Run(async () =>
            {
                for (var n = 0; !_stop.IsCancellationRequested; n++)
                {
                    TopUp(System.IO.Path.Combine(Path, $"filler-{n % 64}"));
                    await Task.Delay(10);
                }
            });
        }

        public void Free()
        {
            _stop.Cancel();
            _topping?.Wait();
            foreach (var f in Directory.GetFiles(Path, "filler*"))
            {
                File.Delete(f);
            }
        }

        private readonly CancellationTokenSource _stop = new();
        private Task? _topping;

        private static void TopUp(string file)
        {
            using var f = new FileStream(file, FileMode.Append, FileAccess.Write, FileShare.None, bufferSize: 0); // unbuffered: nothing left to flush on dispose
            foreach (var size in new[] { 64 * 1024, 4096, 512 })
            {
                var block = new byte[size];
                try
                {
                    while (true)
                    {
                        f.Write(block);
                    }
                }
                catch (IOException)
                {
                    // full at this block size: try a smaller one
                }
            }
        }

        public void Dispose()
        {
            if (!_stop.IsCancellationRequested)
            {
                Free();
            }

            _stop.Dispose();
            using var umount = Process.Start(new ProcessStartInfo("umount", ["-l", Path]))!;
            umount.WaitForExit();
            try
            {
                Directory.Delete(Path, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
