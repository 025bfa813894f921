using System.Diagnostics;

namespace AutoHeal.Dapr.Tests.Fakes;

/// <summary>What one run of <c>autoheal</c> did.</summary>
/// <param name="ExitCode">Its exit code, or null if it was still running at the timeout (then it was killed).</param>
/// <param name="Stdout">Its standard output.</param>
/// <param name="Stderr">Its standard error.</param>
/// <param name="Took">From start to exit.</param>
internal sealed record SurfaceRun(int? ExitCode, string Stdout, string Stderr, TimeSpan Took)
{
    public override string ToString() => $"exit {ExitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none (killed)"} after {Took.TotalSeconds:0.0}s\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}

/// <summary>
/// The real <c>autoheal</c> executable, as a user starts it: the published one named by <c>AUTOHEAL_EXECUTABLE</c>
/// (<c>scripts/test</c> names the image's), else <c>autoheal.dll</c> of the host project's build next to the tests.
/// </summary>
internal static class SurfaceAutoHealBinary
{

    /// <summary>Runs autoheal with <paramref name="args"/> (and <paramref name="environment"/>) and no Dapr sidecar (its ports point at unused loopback ports); kills it after <paramref name="timeout"/>.</summary>
    public static async Task<SurfaceRun> RunAsync(IEnumerable<string> args, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null)
    {
        var (program, prefix) = AutoHealProcess.Command;
        using var data = new TempFolder();
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        foreach (var arg in prefix)
        {
            psi.ArgumentList.Add(arg);
        }

        psi.ArgumentList.Add("--urls");
        psi.ArgumentList.Add($"http://127.0.0.1:{Loopback.FreePort()}");
        psi.ArgumentList.Add($"--AutoHeal:DataDir={data.Path}");
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["DOTNET_ENVIRONMENT"] = "Production";
        foreach (var name in (string[])["DAPR_HTTP_ENDPOINT", "DAPR_GRPC_ENDPOINT", "APP_API_TOKEN", "DAPR_API_TOKEN", "AutoHeal__Roles", "AutoHeal__Transport"])
        {
            psi.Environment.Remove(name);
        }

        // No sidecar: its ports are loopback ports nothing listens on, so every try is refused at once.
        psi.Environment["DAPR_HTTP_PORT"] = Loopback.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture);
        psi.Environment["DAPR_GRPC_PORT"] = Loopback.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture);

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[name] = value;
        }

        var sw = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        int? exit;
        using (var cts = new CancellationTokenSource(timeout))
        {
            try
            {
                await p.WaitForExitAsync(cts.Token);
                exit = p.ExitCode;
            }
            catch (OperationCanceledException)
            {
                p.Kill(entireProcessTree: true);
                await p.WaitForExitAsync();
                exit = null;
            }
        }

        sw.Stop();
        return new SurfaceRun(exit, await stdout, await stderr, sw.Elapsed);
    }

    /// <summary>The repository's root: the first folder up from the tests that holds AutoHeal.sln.</summary>
    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "AutoHeal.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"no AutoHeal.sln above {AppContext.BaseDirectory}");
    }
}
