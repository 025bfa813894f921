using System.Diagnostics;

namespace AutoHeal.Bench;

/// <summary>
/// The real <c>docker</c> CLI. Every container the bench creates carries <see cref="RunLabel"/>=<see cref="RunId"/>,
/// so cleanup removes exactly what this run made and nothing else on the engine.
/// </summary>
internal sealed class DockerCli(string runId)
{
    /// <summary>The label that marks this bench's containers.</summary>
    public const string RunLabel = "autoheal.bench.run";

    /// <summary>The local test image (FROM scratch + static busybox), built by scripts/docker-engine.</summary>
    public static string Image => Environment.GetEnvironmentVariable("AUTOHEAL_TEST_IMAGE") is { Length: > 0 } i ? i : "autoheal-test/busybox:2";

    public string RunId { get; } = runId;

    /// <summary>The <c>--filter</c> value that selects this run's containers.</summary>
    public string RunFilter => $"label={RunLabel}={RunId}";

    /// <summary>Runs docker; returns stdout (trimmed); throws with stderr on a non-zero exit.</summary>
    public static async Task<string> RunAsync(CancellationToken ct, params string[] args)
    {
        var (code, stdout, stderr) = await TryRunAsync(args, ct);
        if (code != 0)
        {
            throw new InvalidOperationException($"docker {string.Join(' ', args)} failed ({code}): {stderr.Trim()}");
        }

        return stdout.Trim();
    }

    /// <summary>Runs docker; returns its exit code and output. Kills the CLI when cancelled or after <paramref name="timeout"/>.</summary>
    public static async Task<(int Code, string Stdout, string Stderr)> TryRunAsync(
        IReadOnlyList<string> args, CancellationToken ct, TimeSpan? timeout = null)
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
        limit.CancelAfter(timeout ?? TimeSpan.FromSeconds(120));
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
            throw new TimeoutException($"docker {string.Join(' ', args)} did not finish within {(timeout ?? TimeSpan.FromSeconds(120)).TotalSeconds:0}s");
        }

        return (p.ExitCode, await stdout, await stderr);
    }

    /// <summary>
    /// <c>docker run -d</c> of the test image with no network, this run's label, the opt-in label and the
    /// given extra arguments and shell script. Returns the container id.
    /// </summary>
    public Task<string> StartAsync(string name, string optInLabel, string script, IEnumerable<string> extra, CancellationToken ct) =>
        RunAsync(ct, [
            "run", "-d", "--name", name, "--network", "none",
            "--label", $"{RunLabel}={RunId}", "--label", optInLabel,
            .. extra, Image, "sh", "-c", script,
        ]);

    /// <summary>Ids of every container of this run, running or not.</summary>
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
    /// Removes every container of this run, one at a time, and returns how many were removed and how
    /// many are left. One at a time on purpose: removing dozens of running containers at once can
    /// deadlock Docker 20.10's libnetwork (see docs/benchmarks.md), after which the engine hangs on
    /// every container operation until dockerd is restarted.
    /// </summary>
    public async Task<(int Removed, int Left)> CleanupAsync()
    {
        var removed = 0;
        var failures = 0;
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

            failures = 0;
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
}
