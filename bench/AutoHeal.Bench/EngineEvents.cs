using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace AutoHeal.Bench;

/// <summary>One container event as the engine timestamped it.</summary>
internal sealed record EngineEvent(long TimeNano, string Action, string Id, string Name, string? ExitCode, string? Run)
{
    public DateTimeOffset At => DateTimeOffset.FromUnixTimeMilliseconds(TimeNano / 1_000_000).AddTicks(TimeNano % 1_000_000 / 100);
}

/// <summary>
/// <c>docker events --format '{{json .}}'</c>, read in the bench process. Starts with <c>--since</c> a moment
/// before it was asked to, so nothing between "start reading" and "stream connected" is lost.
/// </summary>
internal sealed class EngineEvents : IAsyncDisposable
{
    private readonly List<EngineEvent> _events = [];
    private readonly Lock _lock = new();
    private readonly Process _process;
    private readonly Task _reader;
    private string? _stderr;

    private EngineEvents(Process process)
    {
        _process = process;
        _reader = Task.Run(ReadAsync);
        _ = Task.Run(async () => _stderr = await process.StandardError.ReadToEndAsync());
    }

    /// <summary>Starts reading container events matching <paramref name="filters"/> (each a <c>--filter</c> value).</summary>
    public static EngineEvents Start(params string[] filters)
    {
        var since = DateTimeOffset.UtcNow.AddSeconds(-1).ToUnixTimeSeconds();
        var psi = new ProcessStartInfo("docker") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "events", "--format", "{{json .}}", "--since", since.ToString(CultureInfo.InvariantCulture), "--filter", "type=container" })
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var f in filters)
        {
            psi.ArgumentList.Add("--filter");
            psi.ArgumentList.Add(f);
        }

        return new EngineEvents(Process.Start(psi) ?? throw new InvalidOperationException("could not start docker events"));
    }

    /// <summary>Everything read so far, in the engine's order.</summary>
    public IReadOnlyList<EngineEvent> Snapshot()
    {
        lock (_lock)
        {
            return [.. _events];
        }
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _events.Count;
            }
        }
    }

    /// <summary>Why the stream ended early, if it did.</summary>
    public string? Failure => _process.HasExited ? $"docker events exited ({_process.ExitCode}): {_stderr?.Trim()}" : null;

    private async Task ReadAsync()
    {
        while (await _process.StandardOutput.ReadLineAsync() is { } line)
        {
            if (Parse(line) is { } e)
            {
                lock (_lock)
                {
                    _events.Add(e);
                }
            }
        }
    }

    internal static EngineEvent? Parse(string line)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            var action = root.TryGetProperty("Action", out var a) ? a.GetString() ?? "" : "";
            var timeNano = root.TryGetProperty("timeNano", out var t) ? t.GetInt64() : 0;
            string id = "", name = "";
            string? exit = null, run = null;
            if (root.TryGetProperty("Actor", out var actor))
            {
                id = actor.TryGetProperty("ID", out var i) ? i.GetString() ?? "" : "";
                if (actor.TryGetProperty("Attributes", out var attrs) && attrs.ValueKind == JsonValueKind.Object)
                {
                    name = attrs.TryGetProperty("name", out var n) ? n.GetString() ?? "" : "";
                    exit = attrs.TryGetProperty("exitCode", out var x) ? x.GetString() : null;
                    run = attrs.TryGetProperty(BenchRun.Label, out var r) ? r.GetString() : null;
                }
            }

            return new EngineEvent(timeNano, action, id, name, exit, run);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            await _process.WaitForExitAsync();
            await _reader;
        }
        catch (InvalidOperationException)
        {
            // already gone
        }

        _process.Dispose();
    }
}
