using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using AutoHeal.TestUtils;
using Microsoft.Data.Sqlite;

namespace AutoHeal.Bench;

/// <summary>
/// The real <c>autoheal</c> executable as its own process, started as the tests start it
/// (<see cref="AutoHealProcess"/>, on 127.0.0.1, a data folder of its own, an opt-in label key unique to the
/// bench run), with the product's own timings and the policy given; measured from <c>/proc</c> and its
/// <c>/metrics</c>. Its log is kept (and copied to a file); each <c>{host}/{name}: {Kind}: ...</c> line is counted.
/// </summary>
internal sealed partial class AutoHealUnderTest : IAsyncDisposable
{
    private readonly ConcurrentDictionary<(string Name, string Kind), int> _counts = new();
    private readonly StreamWriter _log;
    private readonly Lock _logLock = new();
    private readonly AutoHealProcess _process;

    public AutoHealUnderTest(DockerCli docker, string logPath, IReadOnlyDictionary<string, string> settings)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(logPath)!);
        _log = new StreamWriter(logPath, append: false) { AutoFlush = true };
        var all = new Dictionary<string, string>(settings) { ["AutoHeal:Monitor:LabelKey"] = $"{docker.RunId}.heal" };
        _process = new AutoHealProcess(docker, all, Path.Combine(Path.GetTempPath(), $"{docker.RunId}-data"), fastPolicy: false, onLine: OnLine)
        {
            DeleteDataOnDispose = true,
            DebugLog = false, // the product's default level, Information
        };
    }

    public string DataDir => _process.DataDir;

    /// <summary>Its SQLite store, opened read-only while it runs: every row of <paramref name="sql"/>, read by <paramref name="row"/>.</summary>
    public IReadOnlyList<T> Query<T>(string sql, Func<SqliteDataReader, T> row)
    {
        var db = Path.Combine(DataDir, "autoheal.db");
        using var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = db, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        using var r = cmd.ExecuteReader();
        var rows = new List<T>();
        while (r.Read())
        {
            rows.Add(row(r));
        }

        return rows;
    }

    /// <summary>The opt-in label: <c>{LabelKey}=true</c> makes a container monitored.</summary>
    public string OptInLabel => $"{_process.LabelKey}=true";

    public int Port => _process.Port;

    public int Pid => _process.Pid;

    public bool HasExited => _process.HasExited;

    /// <summary>autoheal's exit code, once it has exited.</summary>
    public int? ExitCode => _process.ExitCode;

    public IReadOnlyList<string> Lines => _process.Lines;

    public static string ExecutablePath => AutoHealProcess.ExecutablePath;

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
        await _process.StartAsync().WaitAsync(ct);
        if (_process.HasExited)
        {
            throw new InvalidOperationException($"autoheal exited ({_process.ExitCode}) at start:\n{string.Join('\n', Lines.TakeLast(20))}");
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
        try
        {
            await _process.StopAsync();
        }
        catch (OperationCanceledException)
        {
            await _process.KillAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        lock (_logLock)
        {
            _log.Dispose();
        }
    }

    private void OnLine(string line)
    {
        lock (_logLock)
        {
            _log.WriteLine(line);
        }

        if (EventLine().Match(line) is { Success: true } m)
        {
            _counts.AddOrUpdate((m.Groups["name"].Value, m.Groups["kind"].Value), 1, (_, n) => n + 1);
        }
    }

    // e.g. "2026-12-01 11:14:22 info: AutoHeal.Core.Events.LoggingEventSink[802467009] local/ahb-1234-crash-01: Healed: healed: running again 0.4s after the failure was seen (attempt 1)"
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
}
