using System.Diagnostics;

namespace AutoHeal.TestUtils;

/// <summary>
/// The real <c>docker</c> CLI, as an operator would use it, for the tests and the benchmark. Every
/// container a run creates carries its run label (<see cref="RunLabel"/>=<see cref="RunId"/>), so cleanup
/// removes only what this run made.
/// </summary>
/// <param name="runId">A unique id for the run; a fresh one when null.</param>
/// <param name="runLabel">The label that marks the run's containers.</param>
public sealed class DockerCli(string? runId = null, string runLabel = "autoheal.test.run")
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(120);

    /// <summary>The local test image (FROM scratch + static busybox), built by scripts/docker-engine.</summary>
    public static string Image => Environment.GetEnvironmentVariable("AUTOHEAL_TEST_IMAGE") is { Length: > 0 } i ? i : "autoheal-test/busybox:2";

    /// <summary>A container command that runs until <see cref="TriggerCrashAsync"/>, then exits with code 9.</summary>
    public const string CrashOnTrigger = "rm -f /tmp/crash; while [ ! -f /tmp/crash ]; do sleep 0.1; done; exit 9";

    /// <summary>A unique id for this run.</summary>
    public string RunId { get; } = runId ?? $"ahtest-{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>The label that marks this run's containers.</summary>
    public string RunLabel { get; } = runLabel;

    /// <summary>The <c>--filter</c> value that selects this run's containers.</summary>
    public string RunFilter => $"label={RunLabel}={RunId}";

    /// <summary>
    /// Makes a <see cref="CrashOnTrigger"/> container crash. The exec may end with 137 when the container
    /// exits before the exec is torn down: that is the crash it asked for, not a failure.
    /// </summary>
    public static async Task TriggerCrashAsync(string name)
    {
        var (code, _, stderr) = await TryRunAsync("exec", name, "touch", "/tmp/crash");
        if (code is not (0 or 137))
        {
            throw new InvalidOperationException($"docker exec {name} touch /tmp/crash failed ({code}): {stderr.Trim()}");
        }
    }

    /// <summary>Runs docker with arguments; returns stdout (trimmed); throws with stderr on failure.</summary>
    public static Task<string> RunAsync(params string[] args) => RunAsync(CancellationToken.None, args);

    /// <inheritdoc cref="RunAsync(string[])"/>
    public static async Task<string> RunAsync(CancellationToken ct, params string[] args)
    {
        var (code, stdout, stderr) = await TryRunAsync(args, ct);
        if (code != 0)
        {
            throw new InvalidOperationException($"docker {string.Join(' ', args)} failed ({code}): {stderr.Trim()}");
        }

        return stdout.Trim();
    }

    /// <summary>Runs docker and returns its exit code and output.</summary>
    public static Task<(int Code, string Stdout, string Stderr)> TryRunAsync(params string[] args) => TryRunAsync(args, CancellationToken.None);

    /// <summary>Runs docker and returns its exit code and output; kills the CLI when cancelled or after <paramref name="timeout"/> (2 minutes).</summary>
    public static async Task<(int Code, string Stdout, string Stderr)> TryRunAsync(IReadOnlyList<string> args, CancellationToken ct, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo("docker") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start docker");
        var stdout = p.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = p.StandardError.ReadToEndAsync(CancellationToken.None);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout ?? DefaultTimeout);
        try
        {
            await p.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            try
            {
                p.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // exited meanwhile
            }

            ct.ThrowIfCancellationRequested();
            throw new TimeoutException($"docker {string.Join(' ', args)} did not finish within {(timeout ?? DefaultTimeout).TotalSeconds:0}s");
        }

        return (p.ExitCode, await stdout, await stderr);
    }

    /// <summary>A container name unique to this run.</summary>
    public string Name(string suffix) => $"{RunId}-{suffix}";

    /// <summary>
    /// <c>docker run -d</c> of the test image with no network (unless <paramref name="extra"/> names one: host
    /// networking for servers bound to 127.0.0.1), a stop timeout of 1 s (unless it names one), the run's
    /// label, the given extra arguments (labels, health check) and shell script. Returns the container id.
    /// </summary>
    public Task<string> StartAsync(string name, string script, params string[] extra) => StartAsync(name, script, extra, CancellationToken.None);

    /// <inheritdoc cref="StartAsync(string, string, string[])"/>
    public Task<string> StartAsync(string name, string script, IReadOnlyCollection<string> extra, CancellationToken ct) =>
        RunAsync(ct, [
            "run", "-d", "--name", name,
            .. extra.Contains("--network") ? Array.Empty<string>() : ["--network", "none"],
            .. extra.Contains("--stop-timeout") ? Array.Empty<string>() : ["--stop-timeout", "1"],
            "--label", $"{RunLabel}={RunId}", .. extra, Image, "sh", "-c", script,
        ]);

    /// <summary>A field of <c>docker inspect</c>, by Go template.</summary>
    public static Task<string> InspectAsync(string name, string format) => RunAsync("inspect", "--format", format, name);

    /// <summary>The container's state: running, exited, paused...</summary>
    public static Task<string> StateAsync(string name) => InspectAsync(name, "{{.State.Status}}");

    /// <summary>When the container's current run started (changes with every restart).</summary>
    public static Task<string> StartedAtAsync(string name) => InspectAsync(name, "{{.State.StartedAt}}");

    /// <summary>Ids of every container of this run, running or not, that also match <paramref name="filters"/>.</summary>
    public async Task<string[]> ListAsync(CancellationToken ct, params string[] filters)
    {
        var args = new List<string> { "ps", "-aq", "--no-trunc", "--filter", RunFilter };
        foreach (var f in filters)
        {
            args.Add("--filter");
            args.Add(f);
        }

        return (await RunAsync(ct, [.. args])).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    /// <summary>
    /// Removes every container of this run, one at a time, and returns how many were removed and how many
    /// are left (-1: could not tell). One at a time on purpose: removing dozens of running containers at once
    /// can deadlock Docker 20.10's libnetwork (see docs/benchmarks.md), after which the engine hangs on every
    /// container operation until dockerd is restarted.
    /// </summary>
    public async Task<(int Removed, int Left)> CleanupAsync()
    {
        var removed = 0;
        for (var pass = 0; pass < 2; pass++)
        {
            string[] ids;
            try
            {
                ids = await ListAsync(CancellationToken.None);
            }
            catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
            {
                await Console.Error.WriteLineAsync($"cleanup: could not list containers: {ex.Message}");
                return (removed, -1);
            }

            if (ids.Length == 0)
            {
                return (removed, 0);
            }

            var failures = 0;
            foreach (var id in ids)
            {
                if (await RemoveAsync(id, CancellationToken.None))
                {
                    removed++;
                }
                else if (++failures >= 3)
                {
                    await Console.Error.WriteLineAsync("cleanup: three removals failed; the engine may be stuck, giving up");
                    return (removed, ids.Length - removed);
                }
            }

            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        try
        {
            return (removed, (await ListAsync(CancellationToken.None)).Length);
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
            return (removed, -1);
        }
    }

    /// <summary>
    /// Removes the container <paramref name="name"/> when disposed, for a test that removes its container itself
    /// (<c>await using var removal = DockerCli.RemoveAtEnd(name);</c>) before the run's cleanup would.
    /// </summary>
    public static IAsyncDisposable RemoveAtEnd(string name) => new Removal(name);

    /// <summary><c>docker rm -f</c> of one container; false (with the reason on stderr) when it fails or hangs.</summary>
    public static async Task<bool> RemoveAsync(string id, CancellationToken ct)
    {
        try
        {
            var (code, _, err) = await TryRunAsync(["rm", "-f", id], ct, TimeSpan.FromSeconds(30));
            if (code != 0 && !err.Contains("No such container", StringComparison.Ordinal))
            {
                await Console.Error.WriteLineAsync($"cleanup: docker rm -f {id[..Math.Min(12, id.Length)]} failed: {err.Trim()}");
                return false;
            }

            return true;
        }
        catch (TimeoutException ex)
        {
            await Console.Error.WriteLineAsync($"cleanup: {ex.Message}");
            return false;
        }
    }

    private sealed class Removal(string name) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await TryRunAsync("rm", "-f", name);
    }
}
