using System.Globalization;
using System.Runtime.InteropServices;
using AutoHeal.Bench;
using AutoHeal.TestUtils;

// The AutoHeal benchmark: heal latency from the engine's own event stream, and idle cost at 200
// monitored containers. What it measures and how: docs/benchmarks.md.

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (Exception ex) when (ex is ArgumentException or FormatException or OverflowException)
{
    await Console.Error.WriteLineAsync($"{ex.Message}\n{BenchOptions.Usage}");
    return 2;
}

var repo = FindRepoRoot();
var runId = $"ahbench-{Guid.NewGuid().ToString("N")[..8]}";
var results = Path.Combine(repo, "bench", "results");
Directory.CreateDirectory(results);

using var stop = new CancellationTokenSource();
void OnSignal(PosixSignalContext context)
{
    context.Cancel = true; // clean up first, then exit
    if (!stop.IsCancellationRequested)
    {
        Console.Error.WriteLine($"\n{context.Signal}: stopping; removing this run's containers (label {BenchRun.Label}={runId})...");
        stop.Cancel();
    }
}

using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
var ct = stop.Token;

var docker = new DockerCli(runId, BenchRun.Label);
var machine = await Machine.DescribeAsync();
var context = new RunContext
{
    Commit = await Git.DescribeAsync(repo),
    OtherContainersAtStart = await OtherContainersAsync(),
    LoadAtStart = HostLoad.LoadAverage(),
    Engine = Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } h ? h : "unix:///var/run/docker.sock",
};
var build = AutoHealUnderTest.BuildConfiguration();
Console.WriteLine($"AutoHeal bench {runId}: {machine.Summary}; autoheal build {build}; {context.Commit}");
if (context.OtherContainersAtStart > 0)
{
    Console.WriteLine($"warning: {context.OtherContainersAtStart} other container(s) on the engine; other activity on it skews the figures");
}

if (!string.Equals(build, "Release", StringComparison.OrdinalIgnoreCase))
{
    Console.WriteLine("warning: autoheal is not a Release build; run with -c Release for representative figures");
}

// Heal right away, every time: no cooldown, no backoff, no quarantine, no storm breaker (a burst of failures
// is what it holds back) in the way of the measurement.
var policy = new Dictionary<string, string>
{
    ["AutoHeal:Restart:StormThreshold"] = "0",
    ["AutoHeal:Restart:MaxRestarts"] = "1000",
    ["AutoHeal:Restart:BackoffInitialSeconds"] = "0",
    ["AutoHeal:Restart:CooldownSeconds"] = "0",
    ["AutoHeal:Restart:StopTimeoutSeconds"] = "2",
};

var exit = 0;
LatencyResult? latency = null;
IdleResult? idle = null;
string? error = null;
await using (var autoheal = new AutoHealUnderTest(docker, Path.Combine(results, "autoheal.log"), policy))
{
    try
    {
        using (var check = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            var (code, _, err) = await DockerCli.TryRunAsync(["image", "inspect", "--format", "{{.Id}}", DockerCli.Image], check.Token);
            if (code != 0)
            {
                throw new InvalidOperationException($"no test image {DockerCli.Image} on the engine ({err.Trim()}); run scripts/docker-engine first");
            }
        }

        Console.WriteLine($"starting autoheal ({AutoHealUnderTest.ExecutablePath}), opt-in label {autoheal.OptInLabel}");
        await autoheal.StartAsync(ct);
        Console.WriteLine($"autoheal pid {autoheal.Pid} on 127.0.0.1:{autoheal.Port}, data {autoheal.DataDir}");
        await Task.Delay(TimeSpan.FromSeconds(3), ct);
        context.RssAtStartMiB = autoheal.StatusMiB("VmRSS");

        await using (var events = EngineEvents.Start(docker.RunFilter))
        {
            if (options.Rounds > 0 && options.CrashContainers + options.SickContainers > 0)
            {
                latency = await new LatencyPhase(docker, autoheal, options).RunAsync(events, ct);
            }
        }

        if (options.IdleContainers > 0)
        {
            idle = await new IdlePhase(docker, autoheal, options).RunAsync(ct);
        }

        if (autoheal.HasExited)
        {
            error = "autoheal exited during the run";
        }
    }
    catch (OperationCanceledException) when (ct.IsCancellationRequested)
    {
        error = "interrupted";
        exit = 130;
    }
    catch (Exception ex)
    {
        error = ex.Message;
        await Console.Error.WriteLineAsync($"bench failed: {ex}");
        exit = 1;
    }
    try
    {
        Console.WriteLine("stopping autoheal (SIGTERM)");
        await autoheal.StopAsync();
        context.AutoHealExitCode = autoheal.ExitCode;

        // The figures are written before the containers are removed: removing 200 containers takes a while.
        var warnings = autoheal.Lines
            .Where(l => l.Contains(" warn: ", StringComparison.Ordinal) || l.Contains(" fail: ", StringComparison.Ordinal) || l.Contains(" crit: ", StringComparison.Ordinal) || l.StartsWith("stderr: ", StringComparison.Ordinal))
            .ToList();
        var report = Report.Markdown(runId, machine, context, build, options, policy, latency, idle, warnings, error);
        Console.WriteLine();
        Console.WriteLine(report);
        var latest = Path.Combine(results, "latest.md");
        await File.WriteAllTextAsync(latest, report, CancellationToken.None);
        if (latency is not null)
        {
            await File.WriteAllTextAsync(Path.Combine(results, "latency.csv"), Report.Csv(latency), CancellationToken.None);
        }

        Console.WriteLine($"written: {latest} (+ latency.csv, autoheal.log)");
    }
    finally
    {
        Console.WriteLine($"cleanup: removing this run's containers (label {BenchRun.Label}={runId}), one at a time");
        var (removed, left) = await docker.CleanupAsync();
        Console.WriteLine(left switch
        {
            0 => $"cleanup: {removed} container(s) removed",
            < 0 => $"cleanup: {removed} container(s) removed; could not check for more: look with docker ps -a --filter {docker.RunFilter}",
            _ => $"cleanup: {removed} container(s) removed, {left} could not be: remove them with docker rm -f, one at a time (docker ps -aq --filter {docker.RunFilter})",
        });
        if (left != 0 && exit == 0)
        {
            exit = 3;
        }
    }
}

return exit;

static async Task<int> OtherContainersAsync()
{
    var (code, stdout, _) = await DockerCli.TryRunAsync(["ps", "-aq"], CancellationToken.None, TimeSpan.FromSeconds(30));
    return code == 0 ? stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length : -1;
}

static string FindRepoRoot()
{
    foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "AutoHeal.sln")))
            {
                return dir.FullName;
            }
        }
    }

    return Directory.GetCurrentDirectory();
}

/// <summary>What the bench ran on.</summary>
internal sealed record Machine(int Cores, string Cpu, double MemoryGiB, string Docker, string Runtime, string Os)
{
    public string Summary => $"{Cores} cores ({Cpu}), {Format.Num(MemoryGiB, "0")} GiB, Docker {Docker}, {Runtime}, {Os}";

    public static async Task<Machine> DescribeAsync()
    {
        var cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?"
            : "?";
        var mem = File.Exists("/proc/meminfo")
            ? File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal)) is { } m
                ? long.Parse(m["MemTotal:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024.0 / 1024.0
                : 0
            : 0;
        var (code, version, _) = await DockerCli.TryRunAsync(["version", "--format", "{{.Server.Version}}"], CancellationToken.None, TimeSpan.FromSeconds(30));
        return new Machine(Environment.ProcessorCount, cpu, mem, code == 0 ? version.Trim() : "unreachable",
            RuntimeInformation.FrameworkDescription, RuntimeInformation.OSDescription);
    }
}

/// <summary>What else was true of the run.</summary>
internal sealed class RunContext
{
    public required string Commit { get; init; }
    public int OtherContainersAtStart { get; init; }
    public required string LoadAtStart { get; init; }
    public required string Engine { get; init; }
    public int? AutoHealExitCode { get; set; }
    public double? RssAtStartMiB { get; set; }
}

/// <summary>The product code measured: commit, and whether libs/ or services/ had uncommitted changes.</summary>
internal static class Git
{
    public static async Task<string> DescribeAsync(string repo)
    {
        try
        {
            var head = await RunAsync(repo, "rev-parse", "--short", "HEAD");
            var dirty = (await RunAsync(repo, "status", "--porcelain", "--", "libs", "services"))
                .Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
            return dirty == 0 ? $"commit {head}" : $"commit {head} + uncommitted changes in {dirty} file(s) under libs/ or services/";
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return "commit unknown";
        }
    }

    private static async Task<string> RunAsync(string repo, params string[] args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = repo };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = System.Diagnostics.Process.Start(psi) ?? throw new InvalidOperationException("no git");
        var output = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        return p.ExitCode == 0 ? output.Trim() : throw new InvalidOperationException($"git {args[0]} failed");
    }
}

namespace AutoHeal.Bench
{
    /// <summary>What marks the bench's containers.</summary>
    internal static class BenchRun
    {
        /// <summary>The label whose value is the run id.</summary>
        public const string Label = "autoheal.bench.run";
    }
}
