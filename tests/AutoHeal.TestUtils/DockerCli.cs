using System.Diagnostics;

namespace AutoHeal.TestUtils;

/// <summary>
/// The real <c>docker</c> CLI, as an operator would use it. Every container a test run creates carries
/// the run's label, so cleanup removes only what this run made.
/// </summary>
public sealed class DockerCli
{
    /// <summary>The local test image (FROM scratch + static busybox), built by scripts/docker-engine.</summary>
    public static string Image => Environment.GetEnvironmentVariable("AUTOHEAL_TEST_IMAGE") is { Length: > 0 } i ? i : "autoheal-test/busybox:2";

    /// <summary>A unique id for this test run.</summary>
    public string RunId { get; } = $"ahtest-{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>A container command that runs until <see cref="TriggerCrashAsync"/>, then exits with code 9.</summary>
    public const string CrashOnTrigger = "rm -f /tmp/crash; while [ ! -f /tmp/crash ]; do sleep 0.1; done; exit 9";

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

    /// <summary>Runs docker with arguments; returns stdout; throws with stderr on failure.</summary>
    public static async Task<string> RunAsync(params string[] args)
    {
        var (code, stdout, stderr) = await TryRunAsync(args);
        if (code != 0)
        {
            throw new InvalidOperationException($"docker {string.Join(' ', args)} failed ({code}): {stderr.Trim()}");
        }

        return stdout.Trim();
    }

    /// <summary>Runs docker and returns its exit code and output.</summary>
    public static async Task<(int Code, string Stdout, string Stderr)> TryRunAsync(params string[] args)
    {
        var psi = new ProcessStartInfo("docker") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await stdout, await stderr);
    }

    /// <summary>A container name unique to this run.</summary>
    public string Name(string suffix) => $"{RunId}-{suffix}";

    /// <summary>
    /// <c>docker run -d</c> of the test image with no network (unless <paramref name="extra"/> names one: host networking for
    /// servers bound to 127.0.0.1), the run's label and the given extra
    /// arguments (labels, health check) and shell script. Returns the container id.
    /// </summary>
    public Task<string> StartAsync(string name, string script, params string[] extra) =>
        RunAsync([
            "run", "-d", "--name", name, .. extra.Contains("--network") ? Array.Empty<string>() : ["--network", "none"],
            "--label", $"autoheal.test.run={RunId}", "--stop-timeout", "1", .. extra, Image, "sh", "-c", script,
        ]);

    /// <summary>A field of <c>docker inspect</c>, by Go template.</summary>
    public static Task<string> InspectAsync(string name, string format) => RunAsync("inspect", "--format", format, name);

    /// <summary>The container's state: running, exited, paused...</summary>
    public static Task<string> StateAsync(string name) => InspectAsync(name, "{{.State.Status}}");

    /// <summary>When the container's current run started (changes with every restart).</summary>
    public static Task<string> StartedAtAsync(string name) => InspectAsync(name, "{{.State.StartedAt}}");

    /// <summary>Removes every container this run created.</summary>
    public async Task CleanupAsync()
    {
        var ids = await RunAsync("ps", "-aq", "--filter", $"label=autoheal.test.run={RunId}");
        foreach (var id in ids.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            await TryRunAsync("rm", "-f", id);
        }
    }
}

/// <summary>Polling for tests that watch real things happen (never used by product code).</summary>
public static class Eventually
{
    /// <summary>Polls until <paramref name="condition"/> holds; fails with <paramref name="what"/> after <paramref name="timeout"/>.</summary>
    public static async Task HoldsAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var sw = Stopwatch.StartNew();
        Exception? last = null;
        while (sw.Elapsed < timeout)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                last = ex; // not there yet (a 404, a container not created yet): keep polling
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0}s waiting for: {what}{(last is null ? "" : $" (last error: {last.Message})")}");
    }
}
