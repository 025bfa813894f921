using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace AutoHeal.Integration.Tests;

/// <summary>
/// What a new user does first, as the README says it: <c>dotnet run</c>, the quick start's own shell lines, a deploy
/// script that talks about a container the moment it is created, <c>curl -d</c> without a content type, the help.
/// </summary>
public sealed partial class FirstTenMinutesTests(EngineFixture engine) : WithOwnAutoHeal(engine)
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Help_and_version_print_and_start_nothing()
    {
        using var folder = new TempFolder();
        Directory.CreateDirectory(folder.Path);

        var (helpCode, help) = await RunAutohealAsync(folder.Path, "--help");
        var (versionCode, version) = await RunAutohealAsync(folder.Path, "--version");

        Assert.Equal((0, 0), (helpCode, versionCode));
        Assert.Contains("Usage: autoheal", help, StringComparison.Ordinal);
        Assert.Contains("--roles all", help, StringComparison.Ordinal);
        Assert.Contains("AutoHeal:Restart:CooldownSeconds", help, StringComparison.Ordinal);
        Assert.Contains("api-token", help, StringComparison.Ordinal);
        Assert.Matches(@"^autoheal \d+\.\d+\.\d+\s*$", version);
        Assert.False(Directory.Exists(Path.Combine(folder.Path, "data"))); // no token generated, no store opened
    }

    [Fact]
    public async Task The_health_command_the_image_runs_as_its_health_check_tells_healthy_from_unhealthy_by_its_exit_code()
    {
        using var folder = new TempFolder();
        Directory.CreateDirectory(folder.Path);
        await using var sick = new AutoHealProcess(Docker, new Dictionary<string, string> { ["AutoHeal:Docker:Endpoint"] = $"unix:///tmp/{Docker.RunId}-no-engine-health.sock" });
        await sick.StartAsync(waitForEngine: false);

        var (code, output) = await RunAutohealAsync(folder.Path, "health", new Uri(Autoheal.BaseAddress, "/health").ToString());
        var (sickCode, sickOutput) = await RunAutohealAsync(folder.Path, "health", new Uri(sick.BaseAddress, "/health").ToString());
        var (goneCode, _) = await RunAutohealAsync(folder.Path, "health", $"http://127.0.0.1:{Loopback.FreePort()}/health");

        Assert.Equal(0, code);
        Assert.StartsWith("200 ", output, StringComparison.Ordinal);
        Assert.Contains("\"status\":\"ok\"", output, StringComparison.Ordinal);
        Assert.Equal(1, sickCode);
        Assert.StartsWith("503 ", sickOutput, StringComparison.Ordinal);
        Assert.Contains("\"docker_reachable\":false", sickOutput, StringComparison.Ordinal);
        Assert.Equal(1, goneCode); // nothing listens there
    }

    [Fact]
    public async Task The_quick_start_works_word_for_word_from_the_folder_autoheal_was_started_in()
    {
        using var folder = new TempFolder();
        Directory.CreateDirectory(folder.Path);
        var port = Loopback.FreePort();
        var lines = new ConcurrentQueue<string>();
        // The README's first command, from another folder than the project's: its data must land here.
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        using var run = Start(folder.Path, lines, "dotnet", "run", "--no-build", "-c", configuration, "--project", Path.Combine(RepoRoot(), "services", "host"),
            "--", "--urls", $"http://127.0.0.1:{port}", "--AutoHeal:Monitor:LabelKey", $"{Docker.RunId}-quick");
        try
        {
            await Eventually.HoldsAsync(() => Task.FromResult(lines.Any(l => l.Contains("API token: in", StringComparison.Ordinal))), TimeSpan.FromSeconds(60), "the start banner");

            var data = Path.Combine(folder.Path, "data");
            Assert.True(File.Exists(Path.Combine(data, "api-token")), $"no token in {data}; lines: {string.Join(" | ", lines)}");
            Assert.Contains(lines, l => l.Contains($"Dashboard: http://127.0.0.1:{port}/", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.Contains($"API docs: http://127.0.0.1:{port}/docs", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.Contains($"Data folder: {data}", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.Contains("TOKEN=$(cat data/api-token)", StringComparison.Ordinal));
            Assert.DoesNotContain(lines, l => l.Contains("Microsoft.Hosting.Lifetime", StringComparison.Ordinal) || l.Contains("Content root path", StringComparison.Ordinal));

            // The README's own lines after it, as written (only the port is this test's).
            var script = QuickStartLines().Replace("localhost:8080", $"127.0.0.1:{port}", StringComparison.Ordinal);
            var (code, output) = await RunToEndAsync(folder.Path, "sh", "-c", script);
            Assert.Equal(0, code);
            using var containers = JsonDocument.Parse(output); // the container list, not a 401 problem
            Assert.Equal(JsonValueKind.Array, containers.RootElement.ValueKind);
        }
        finally
        {
            StopTree(run);
        }
    }

    [Fact]
    public async Task A_container_created_a_moment_ago_is_found_at_once_and_a_check_defined_before_its_container_applies_when_it_appears()
    {
        var web = Docker.Name("fresh-web");
        await Docker.StartAsync(web, "exec sleep 1000", Autoheal.OptIn);

        // At once: no wait for the event stream.
        var detail = await Api.GetContainerAsync(web);
        var check = await Api.CreateHealthCheckAsync(new HealthCheckDefinition { ContainerId = web, CheckType = "exec", ExecCommand = "true", IntervalSeconds = 60 });

        Assert.Equal((web, true), (detail.Container.Name, detail.Container.Monitored));
        Assert.Null(check.Note);

        // A check for a container the deploy has not created yet: kept, and said so.
        var later = Docker.Name("fresh-later");
        var waiting = await Api.CreateHealthCheckAsync(new HealthCheckDefinition
        {
            ContainerId = later,
            CheckType = "exec",
            ExecCommand = "echo not ready; exit 1",
            IntervalSeconds = 1,
            TimeoutSeconds = 1,
            Retries = 1,
        });
        Assert.Equal($"no container '{later}' yet: the check applies when one of that name appears", waiting.Note);
        Assert.Equal(waiting.Note, (await Api.ListHealthChecksAsync()).Single(c => c.ContainerId == later).Note);

        await Docker.StartAsync(later, "exec sleep 1000", Autoheal.OptIn);

        var scheduled = await Eventually.ValueAsync(async () => (await Api.GetEventsAsync(container: later, kind: "heal_scheduled")).Items is [var first, ..] ? first : null, Soon, "the check's failure to be healed");
        Assert.Contains("exited 1: not ready", scheduled.Message, StringComparison.Ordinal);
        Assert.Null((await Api.ListHealthChecksAsync()).Single(c => c.ContainerId == later).Note);
        var refused = await Assert.ThrowsAsync<Refit.ValidationApiException>(() => Api.CreateHealthCheckAsync(new HealthCheckDefinition { ContainerId = "not a name!", CheckType = "docker" }));
        Assert.Contains("not a name a container could take", Assert.Single(refused.Content!.Errors["container_id"]), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_sent_as_curl_d_sends_it_is_read_as_json_and_another_content_type_is_refused()
    {
        var web = Docker.Name("curl-web");
        await Docker.StartAsync(web, "exec sleep 1000");
        var select = $"{Autoheal.BaseAddress}api/containers/select";
        var body = $$"""{"containers": ["{{web}}"], "enabled": true}""";

        var (_, asCurlSends) = await RunToEndAsync(Path.GetTempPath(), "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
            "-H", $"Authorization: Bearer {Autoheal.Token}", "-d", body, select);
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, select) { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)) }; // no content type at all
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Autoheal.Token);
        var withNone = await http.SendAsync(request);
        var (_, asXml) = await RunToEndAsync(Path.GetTempPath(), "curl", "-s", "-w", "\n%{http_code}",
            "-H", $"Authorization: Bearer {Autoheal.Token}", "-H", "Content-Type: text/xml", "-d", body.Replace("true", "false", StringComparison.Ordinal), select);

        Assert.Equal("200", asCurlSends);
        Assert.Equal(HttpStatusCode.OK, withNone.StatusCode);
        Assert.EndsWith("\n415", asXml, StringComparison.Ordinal); // Unsupported Media Type...
        Assert.Contains("\"status\":415", asXml, StringComparison.Ordinal);
        Assert.True((await Api.GetContainerAsync(web)).Container.Monitored); // ...and its "enabled": false not applied
    }

    [Fact]
    public async Task A_containers_history_pages_on_and_the_event_kinds_come_from_the_api()
    {
        var web = Docker.Name("paged");
        await Docker.StartAsync(web, DockerCli.CrashOnTrigger, Autoheal.OptIn);
        await Eventually.HoldsAsync(async () => (await Api.ListContainersAsync()).Any(c => c.Name == web && c.Monitored), Soon, "listed");
        await DockerCli.TriggerCrashAsync(web);
        await Eventually.HoldsAsync(async () => (await Api.GetEventsAsync(container: web, kind: "healed")).Items.Count == 1, Soon, "the heal");
        var all = (await Api.GetEventsAsync(container: web)).Items.Select(e => e.Id).ToList();

        var paged = new List<long>();
        long? before = null;
        var pages = 0;
        do
        {
            var page = await Api.GetContainerAsync(web, before, limit: 2);
            Assert.InRange(page.History.Count, 1, 2);
            paged.AddRange(page.History.Select(e => e.Id));
            before = page.HistoryNextBefore;
            pages++;
        }
        while (before is not null && pages < 10);

        Assert.True(all.Count >= 3, $"{all.Count} events"); // heal_scheduled, restarting, healed
        Assert.Equal(all, paged);
        Assert.Equal((all.Count + 1) / 2, pages);
        var healed = (await Api.GetEventsAsync(container: web, kind: "healed")).Items.Single();
        Assert.Matches(@"^healed: running again \d+\.\ds after the failure was seen \(attempt 1\)$", healed.Message);

        var kinds = await Api.GetEventKindsAsync();
        Assert.Equal(Enum.GetValues<EventKind>().Select(k => JsonNamingPolicy.SnakeCaseLower.ConvertName(k.ToString())), kinds.Select(k => k.Kind));
        Assert.All(kinds, k => Assert.False(string.IsNullOrWhiteSpace(k.Description)));
    }

    /// <summary>The shell lines of the README's quick start that follow <c>dotnet run</c>: the token, and the first call.</summary>
    private static string QuickStartLines()
    {
        var readme = File.ReadAllText(Path.Combine(RepoRoot(), "README.md"));
        var block = ShellBlock().Matches(readme).Select(m => m.Groups[1].Value).First(b => b.Contains("TOKEN=$(cat data/api-token)", StringComparison.Ordinal));
        return block;
    }

    [GeneratedRegex("```sh\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex ShellBlock();

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "AutoHeal.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("the repository root is not above the test binaries");
    }

    private static Process Start(string folder, ConcurrentQueue<string> lines, string file, params string[] args) =>
        Start(folder, lines, stderr: true, file, args);

    private static Process Start(string folder, ConcurrentQueue<string> lines, bool stderr, string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        var process = new Process { StartInfo = psi };
        process.OutputDataReceived += (_, e) => Keep(lines, e.Data);
        process.ErrorDataReceived += (_, e) => Keep(stderr ? lines : [], e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static void Keep(ConcurrentQueue<string> lines, string? line)
    {
        if (line is not null)
        {
            lines.Enqueue(line);
        }
    }

    /// <summary>Runs a command to its end; its exit code and standard output (standard error, a progress meter say, is left out).</summary>
    private static Task<(int Code, string Output)> RunAutohealAsync(string folder, params string[] args) =>
        RunToEndAsync(folder, AutoHealProcess.Command.Program, [.. AutoHealProcess.Command.Prefix, .. args]);

    private static async Task<(int Code, string Output)> RunToEndAsync(string folder, string file, params string[] args)
    {
        var lines = new ConcurrentQueue<string>();
        using var process = Start(folder, lines, stderr: false, file, args);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        process.WaitForExit(); // the output's last lines
        return (process.ExitCode, string.Join("\n", lines));
    }

    // `dotnet run` starts autoheal as its child: end both.
    private static void StopTree(Process process)
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
    }
}
