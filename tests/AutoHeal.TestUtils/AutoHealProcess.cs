using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using AutoHeal.Contracts.Api;

namespace AutoHeal.TestUtils;

/// <summary>
/// The real <c>autoheal</c> executable (autoheal.dll next to the caller), started as a user would, on
/// loopback, with a data folder of its own and, for the tests, policy timings shortened by configuration.
/// It only monitors containers carrying its own opt-in label key, so other containers on the engine are
/// never touched. The tests, the dashboard's tests and the benchmark all start it this way.
/// </summary>
public sealed class AutoHealProcess : IAsyncDisposable
{
    private static readonly ConcurrentBag<Process> Started = new();
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly Action<string>? _onLine;
    private Process? _process;

    /// <summary>Kills every autoheal this test run started and left running (a test that failed half-way).</summary>
    public static void KillLeftovers()
    {
        foreach (var p in Started)
        {
            try
            {
                if (!p.HasExited)
                {
                    p.Kill(entireProcessTree: true);
                }
            }
            catch (InvalidOperationException)
            {
            }
        }
    }

    /// <param name="docker">The run whose containers it may see.</param>
    /// <param name="settings">Settings on its command line, over the defaults below.</param>
    /// <param name="dataDir">Its data folder; a fresh one under the temp path otherwise.</param>
    /// <param name="fastPolicy">Whether the tests' short timings and a fixed API token are its defaults (the benchmark runs the product's).</param>
    /// <param name="onLine">Called with every line it writes (stdout, and stderr prefixed <c>stderr: </c>).</param>
    public AutoHealProcess(
        DockerCli docker, IReadOnlyDictionary<string, string>? settings = null, string? dataDir = null, bool fastPolicy = true, Action<string>? onLine = null)
    {
        Docker = docker;
        _onLine = onLine;
        DataDir = dataDir ?? Path.Combine(Path.GetTempPath(), $"{docker.RunId}-{Guid.NewGuid().ToString("N")[..6]}");
        Settings = new Dictionary<string, string>
        {
            ["AutoHeal:DataDir"] = DataDir,
            // One opt-in key per data folder: unique to the test that made it (containers left by earlier
            // tests of the run are not adopted), the same when a test starts autoheal again on that folder.
            ["AutoHeal:Monitor:LabelKey"] = $"{Path.GetFileName(DataDir.TrimEnd('/'))}.heal",
        };
        if (fastPolicy)
        {
            Settings["AutoHeal:Monitor:IntervalSeconds"] = "1";
            Settings["AutoHeal:Restart:CooldownSeconds"] = "0.5";
            Settings["AutoHeal:Restart:BackoffInitialSeconds"] = "1";
            Settings["AutoHeal:Restart:BackoffMaxSeconds"] = "4";
            Settings["AutoHeal:Restart:VerifyTimeoutSeconds"] = "10";
            Settings["AutoHeal:Restart:StopTimeoutSeconds"] = "1";
            Settings["AutoHeal:Api:Token"] = $"test-token-{Guid.NewGuid():N}";
        }

        foreach (var (k, v) in settings ?? new Dictionary<string, string>())
        {
            Settings[k] = v;
        }
    }

    public DockerCli Docker { get; }

    public string DataDir { get; }

    /// <summary>The opt-in label key: <c>--label {LabelKey}=true</c> makes a container monitored.</summary>
    public string LabelKey => Settings["AutoHeal:Monitor:LabelKey"];

    /// <summary>Whether <see cref="DisposeAsync"/> deletes the data folder.</summary>
    public bool DeleteDataOnDispose { get; init; }

    /// <summary>Whether AutoHeal's own categories log at Debug (the tests wait for some of those lines); Information, the default, otherwise.</summary>
    public bool DebugLog { get; init; } = true;

    public Dictionary<string, string> Settings { get; }

    /// <summary>Environment variables it starts with, over the test host's (<c>SSL_CERT_FILE</c> for a test's own CA, say).</summary>
    public Dictionary<string, string> Environment { get; } = new(StringComparer.Ordinal);

    public int Port { get; private set; }

    public Uri BaseAddress => new($"http://127.0.0.1:{Port}");

    /// <summary>The API token: configured, or the one autoheal generated into its data folder.</summary>
    public string Token => Settings.TryGetValue("AutoHeal:Api:Token", out var t) ? t : File.ReadAllText(Path.Combine(DataDir, "api-token")).Trim();

    /// <summary>The Refit client for this autoheal, with its token.</summary>
    public IAutoHealApi Api => AutoHealApiClient.Create(BaseAddress, Token);

    /// <summary>A raw HTTP client of its API with its token, for bodies the Refit client would not send.</summary>
    public HttpClient AuthorizedHttp()
    {
        var http = new HttpClient { BaseAddress = BaseAddress };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Token);
        return http;
    }

    public IReadOnlyList<string> Lines => _lines.ToArray();

    public int? ExitCode => _process is { HasExited: true } p ? p.ExitCode : null;

    /// <summary>Whether it has exited.</summary>
    public bool HasExited => _process is { HasExited: true };

    /// <summary>Its process id.</summary>
    public int Pid => _process?.Id ?? throw new InvalidOperationException("autoheal is not started");

    /// <summary>The <c>--label</c> argument that opts a container in.</summary>
    public string[] OptIn => ["--label", $"{LabelKey}=true"];

    /// <summary>
    /// The published <c>autoheal</c> executable named by <c>AUTOHEAL_EXECUTABLE</c> (<c>scripts/test</c> names the
    /// one <c>scripts/image</c> publishes into the image: self-contained, ReadyToRun, trimmed), or else
    /// <c>autoheal.dll</c> next to the caller, run by <c>dotnet</c>.
    /// </summary>
    public static string ExecutablePath =>
        System.Environment.GetEnvironmentVariable("AUTOHEAL_EXECUTABLE") is { Length: > 0 } published
            ? Path.GetFullPath(published)
            : Path.Combine(AppContext.BaseDirectory, "autoheal.dll");

    /// <summary>How to start it: the program, then the arguments before autoheal's own.</summary>
    public static (string Program, string[] Prefix) Command =>
        ExecutablePath.EndsWith(".dll", StringComparison.Ordinal) ? ("dotnet", [ExecutablePath]) : (ExecutablePath, []);

    /// <summary>Starts autoheal; returns when it answers /health (or has exited).</summary>
    public async Task StartAsync(bool waitForEngine = true, int? port = null)
    {
        if (!File.Exists(ExecutablePath))
        {
            throw new FileNotFoundException($"{ExecutablePath} does not exist: reference services/host to have autoheal.dll built next to the tests, or set AUTOHEAL_EXECUTABLE to a published autoheal", ExecutablePath);
        }

        Port = port ?? Loopback.FreePort();
        var (program, prefix) = Command;
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
        psi.ArgumentList.Add($"http://127.0.0.1:{Port}");
        foreach (var (k, v) in Settings)
        {
            psi.ArgumentList.Add($"--{k}={v}");
        }

        psi.Environment["DOTNET_ENVIRONMENT"] = "Production";
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        if (DebugLog)
        {
            psi.Environment["Logging__LogLevel__AutoHeal"] = "Debug";
        }

        foreach (var (k, v) in Environment)
        {
            psi.Environment[k] = v;
        }

        _process = Process.Start(psi)!;
        Started.Add(_process);
        _process.OutputDataReceived += (_, e) => OnLine(e.Data, "");
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data, "stderr: ");
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        try
        {
            await WaitUntilUpAsync(waitForEngine);
        }
        catch
        {
            await KillAsync(); // a start that failed must not leave autoheal running
            throw;
        }
    }

    private async Task WaitUntilUpAsync(bool waitForEngine)
    {
        var process = _process!;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        await Eventually.HoldsAsync(async () =>
        {
            if (process.HasExited)
            {
                return true;
            }

            try
            {
                var r = await http.GetAsync(new Uri(BaseAddress, "/health"));
                return !waitForEngine || r.StatusCode == HttpStatusCode.OK;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(30), "autoheal to answer /health");
        if (waitForEngine && !process.HasExited)
        {
            await WaitForLogAsync("Connected to the Docker engine", TimeSpan.FromSeconds(30));
        }
    }

    /// <summary>The text of one of its pages that needs no token (<c>/metrics</c>, <c>/health</c>).</summary>
    public Task<string> GetTextAsync(string path) => Http.GetStringAsync(new Uri(BaseAddress, path));

    /// <summary>Waits for a log line containing <paramref name="text"/>, from line <paramref name="from"/> on.</summary>
    public Task WaitForLogAsync(string text, TimeSpan timeout, int from = 0) =>
        Eventually.HoldsAsync(() => Task.FromResult(Lines.Skip(from).Any(l => l.Contains(text, StringComparison.Ordinal))), timeout,
            () => $"a log line with '{text}'. Log so far:\n{string.Join('\n', Lines.TakeLast(40))}");

    /// <summary>Waits for a log line about container <paramref name="container"/> containing <paramref name="text"/>, from line <paramref name="from"/> on.</summary>
    public Task WaitForLogAboutAsync(string container, string text, TimeSpan timeout, int from = 0) =>
        Eventually.HoldsAsync(() => Task.FromResult(Lines.Skip(from).Any(l => l.Contains($"/{container}: {text}", StringComparison.Ordinal))), timeout,
            () => $"a log line '/{container}: {text}'. Log so far:\n{string.Join('\n', Lines.TakeLast(40))}");

    /// <summary>The index of the first log line about <paramref name="container"/> containing <paramref name="text"/>, or -1.</summary>
    public int LineAbout(string container, string text) =>
        Lines.ToList().FindIndex(l => l.Contains($"/{container}: {text}", StringComparison.Ordinal));

    /// <summary>Log lines about one container, by name.</summary>
    public IEnumerable<string> LinesFor(string container) => Lines.Where(l => l.Contains($"/{container}:", StringComparison.Ordinal));

    /// <summary>
    /// Another autoheal on this one's data folder with its settings (opt-in key and token too), not started: what
    /// starting autoheal again after this one ended finds.
    /// </summary>
    public AutoHealProcess OnSameData() => new(Docker, Settings, DataDir, onLine: _onLine);

    /// <summary>Kills autoheal at once (SIGKILL), as a crash or an OOM kill would.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync();
        }
    }

    /// <summary>Stops autoheal as docker stop or Ctrl+C would (SIGTERM); throws if it is still running 15 s later.</summary>
    public async Task StopAsync()
    {
        if (_process is { HasExited: false } p)
        {
            using var kill = Process.Start("kill", ["-TERM", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await kill.WaitForExitAsync();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await p.WaitForExitAsync(cts.Token);
        }
    }

    public async Task WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process!.WaitForExitAsync(cts.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
        if (DeleteDataOnDispose)
        {
            try
            {
                Directory.Delete(DataDir, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // under the temp path: not worth failing over
            }
        }
    }

    private void OnLine(string? line, string prefix)
    {
        if (line is not null)
        {
            _lines.Enqueue(prefix + line);
            _onLine?.Invoke(prefix + line);
        }
    }
}
