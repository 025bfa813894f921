using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text.RegularExpressions;

namespace AutoHeal.Bench;

/// <summary>
/// The real <c>autoheal</c> executable as its own process: on 127.0.0.1, with a data folder of its own,
/// an opt-in label key unique to the bench run, and the heal policy given on its command line.
/// Its log is kept (and copied to a file); each <c>{host}/{name}: {Kind}: ...</c> line is counted.
/// </summary>
internal sealed partial class AutoHealUnderTest : IAsyncDisposable
{
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly ConcurrentDictionary<(string Name, string Kind), int> _counts = new();
    private readonly StreamWriter _log;
    private readonly Lock _logLock = new();
    private Process? _process;

    public AutoHealUnderTest(string runId, string logPath, IReadOnlyDictionary<string, string> settings)
    {
        DataDir = Path.Combine(Path.GetTempPath(), $"{runId}-data");
        LabelKey = $"{runId}.heal";
        Settings = new Dictionary<string, string>
        {
            ["AutoHeal:DataDir"] = DataDir,
            ["AutoHeal:Monitor:LabelKey"] = LabelKey,
        };
        foreach (var (k, v) in settings)
        {
            Settings[k] = v;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(logPath)!);
        _log = new StreamWriter(logPath, append: false) { AutoFlush = true };
    }

    public string DataDir { get; }

    /// <summary>The opt-in label key: <c>{LabelKey}=true</c> makes a container monitored.</summary>
    public string LabelKey { get; }

    public string OptInLabel => $"{LabelKey}=true";

    public Dictionary<string, string> Settings { get; }

    public int Port { get; private set; }

    public int Pid => _process?.Id ?? throw new InvalidOperationException("autoheal is not started");

    public bool HasExited => _process is { HasExited: true };

    /// <summary>autoheal's exit code, once it has exited.</summary>
    public int? ExitCode => _process is { HasExited: true } p ? p.ExitCode : null;

    public IReadOnlyList<string> Lines => [.. _lines];

    public static string ExecutablePath => Path.Combine(AppContext.BaseDirectory, "autoheal.dll");

    /// <summary>The build configuration autoheal.dll was compiled in (Release or Debug).</summary>
    public static string BuildConfiguration()
    {
        try
        {
            var name = AssemblyName.GetAssemblyName(ExecutablePath);
            var asm = Assembly.Load(name);
            return asm.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "unknown";
        }
        catch (Exception ex) when (ex is IOException or BadImageFormatException or FileLoadException)
        {
            return "unknown";
        }
    }

    /// <summary>How many <c>{Kind}</c> lines autoheal logged about container <paramref name="name"/>.</summary>
    public int Count(string name, string kind) => _counts.TryGetValue((name, kind), out var n) ? n : 0;

    /// <summary>Starts autoheal; returns when it answers /health with the engine connected.</summary>
    public async Task StartAsync(CancellationToken ct)
    {
        if (!File.Exists(ExecutablePath))
        {
            throw new FileNotFoundException($"autoheal.dll is not next to the bench ({ExecutablePath}); build with the project reference to services/host");
        }

        Port = FreePort();
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        psi.ArgumentList.Add(ExecutablePath);
        psi.ArgumentList.Add("--urls");
        psi.ArgumentList.Add($"http://127.0.0.1:{Port}");
        foreach (var (k, v) in Settings)
        {
            psi.ArgumentList.Add($"--{k}={v}");
        }

        psi.Environment["DOTNET_ENVIRONMENT"] = "Production";
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        _process = Process.Start(psi) ?? throw new InvalidOperationException("could not start autoheal");
        _process.OutputDataReceived += (_, e) => OnLine(e.Data, "");
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data, "stderr: ");
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var health = new Uri($"http://127.0.0.1:{Port}/health");
        var sw = Stopwatch.StartNew();
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"autoheal exited ({_process.ExitCode}) at start:\n{string.Join('\n', Lines.TakeLast(20))}");
            }

            try
            {
                using var r = await http.GetAsync(health, ct);
                if (r.StatusCode == HttpStatusCode.OK && _lines.Any(l => l.Contains("Connected to the Docker engine", StringComparison.Ordinal)))
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
                // slow answer
            }

            if (sw.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new TimeoutException($"autoheal did not answer /health with the engine connected within 60 s:\n{string.Join('\n', Lines.TakeLast(20))}");
            }

            await Task.Delay(100, ct);
        }
    }

    /// <summary>utime + stime of autoheal, from /proc/&lt;pid&gt;/stat.</summary>
    public TimeSpan CpuTime()
    {
        var stat = File.ReadAllText($"/proc/{Pid}/stat");
        // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / (double)ClockTicksPerSecond);
    }

    /// <summary>A field of /proc/&lt;pid&gt;/status in kB (VmRSS, VmHWM...), in MiB.</summary>
    public double StatusMiB(string field)
    {
        foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                var kb = long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                return kb / 1024.0;
            }
        }

        throw new InvalidOperationException($"/proc/{Pid}/status has no {field}");
    }

    /// <summary>
    /// The managed heap (prometheus-net's <c>dotnet_total_memory_bytes</c>) from autoheal's /metrics, in MiB;
    /// null when autoheal has no /metrics or the metric is missing.
    /// </summary>
    public async Task<double?> ManagedHeapMiBAsync(CancellationToken ct)
    {
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            var text = await http.GetStringAsync(new Uri($"http://127.0.0.1:{Port}/metrics"), ct);
            foreach (var line in text.Split('\n'))
            {
                if (line.StartsWith("dotnet_total_memory_bytes ", StringComparison.Ordinal)
                    && double.TryParse(line["dotnet_total_memory_bytes ".Length..], NumberStyles.Float, CultureInfo.InvariantCulture, out var bytes))
                {
                    return bytes / 1024 / 1024;
                }
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            // no /metrics on this build
        }

        return null;
    }

    /// <summary>Threads of autoheal, from /proc/&lt;pid&gt;/status.</summary>
    public int Threads()
    {
        foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
        {
            if (line.StartsWith("Threads:", StringComparison.Ordinal))
            {
                return int.Parse(line["Threads:".Length..].Trim(), CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    /// <summary>Stops autoheal as docker stop or Ctrl+C would (SIGTERM); kills it if it does not exit within 15 s.</summary>
    public async Task StopAsync()
    {
        if (_process is not { HasExited: false } p)
        {
            return;
        }

        using (var kill = Process.Start("kill", ["-TERM", p.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        catch (InvalidOperationException)
        {
            // never started, or gone
        }

        _process?.Dispose();
        lock (_logLock)
        {
            _log.Dispose();
        }

        try
        {
            if (Directory.Exists(DataDir))
            {
                Directory.Delete(DataDir, recursive: true);
            }
        }
        catch (IOException)
        {
            // a temp folder: not worth failing over
        }
    }

    private void OnLine(string? line, string prefix)
    {
        if (line is null)
        {
            return;
        }

        _lines.Enqueue(prefix + line);
        lock (_logLock)
        {
            _log.WriteLine(prefix + line);
        }

        if (EventLine().Match(line) is { Success: true } m)
        {
            _counts.AddOrUpdate((m.Groups["name"].Value, m.Groups["kind"].Value), 1, (_, n) => n + 1);
        }
    }

    // e.g. "2025-11-27 23:40:01 info: AutoHeal.Healer.LoggingEventSink[0] local/ahb-1234-crash-01: Healed: healed: running 0.0s after the restart"
    [GeneratedRegex(@"\] [^/\s]+/(?<name>[^:\s]+): (?<kind>[A-Za-z]+): ")]
    private static partial Regex EventLine();

    private static long ClockTicksPerSecond { get; } = ReadClockTicks();

    private static long ReadClockTicks()
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo("getconf", "CLK_TCK") { RedirectStandardOutput = true })!;
            var text = p.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit();
            return long.TryParse(text, CultureInfo.InvariantCulture, out var hz) && hz > 0 ? hz : 100;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return 100;
        }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
