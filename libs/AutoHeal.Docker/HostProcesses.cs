using System.Diagnostics;
using System.Globalization;

namespace AutoHeal.Docker;

/// <summary>
/// What Linux's <c>/proc</c> tells about a local engine's containers, read only where it can be trusted: the container
/// has a process namespace of its own, and it is not AutoHeal's (so a process id means the same here as to the engine).
/// </summary>
internal static class HostProcesses
{
    private const string Proc = "/proc";

    /// <summary>
    /// The ports on which the processes of the container whose main process is <paramref name="pid"/> listen on
    /// loopback (or on every address), IPv4 and IPv6; null when <c>/proc</c> cannot tell.
    /// </summary>
    public static IReadOnlySet<int>? LoopbackListeners(int pid)
    {
        if (ContainerNamespace(pid) is not { } ns)
        {
            return null;
        }

        try
        {
            var sockets = new HashSet<string>(StringComparer.Ordinal);
            foreach (var process in ProcessesIn(ns))
            {
                foreach (var fd in SafeEntries(Path.Combine(Proc, process, "fd")))
                {
                    if (Link(fd) is { } target && target.StartsWith("socket:[", StringComparison.Ordinal))
                    {
                        sockets.Add(target[8..^1]);
                    }
                }
            }

            var ports = new HashSet<int>();
            foreach (var table in new[] { "tcp", "tcp6" })
            {
                var path = Path.Combine(Proc, pid.ToString(CultureInfo.InvariantCulture), "net", table);
                if (!File.Exists(path))
                {
                    continue;
                }

                foreach (var line in File.ReadLines(path).Skip(1))
                {
                    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
                    var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    if (f.Length < 10 || f[3] != "0A" || !sockets.Contains(f[9]))
                    {
                        continue; // not listening, or not one of the container's
                    }

                    var colon = f[1].LastIndexOf(':');
                    var address = f[1][..colon];
                    if (IsLoopbackOrAny(address) && int.TryParse(f[1][(colon + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var port))
                    {
                        ports.Add(port);
                    }
                }
            }

            return ports;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Ends the process <paramref name="execPid"/> (a command run in a container that overran its time) and what it
    /// started, if it is one of the container's whose main process is <paramref name="containerPid"/>; false if it could not.
    /// </summary>
    public static bool TryKill(int execPid, int containerPid)
    {
        if (execPid <= 0 || ContainerNamespace(containerPid) is not { } ns || Namespace(execPid) != ns)
        {
            return false;
        }

        try
        {
            using var process = Process.GetProcessById(execPid);
            process.Kill(entireProcessTree: true);
            return true;
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            return false; // it ended meanwhile, or is not ours to end
        }
    }

    /// <summary>The container's process namespace, when it has one of its own that is not AutoHeal's.</summary>
    private static string? ContainerNamespace(int pid)
    {
        if (!OperatingSystem.IsLinux() || pid <= 0)
        {
            return null;
        }

        var ns = Namespace(pid);
        var own = Link(Path.Combine(Proc, "self", "ns", "pid"));
        return ns is not null && own is not null && ns != own ? ns : null;
    }

    /// <summary>
    /// Whether this process is in the network namespace of the engine's daemon (<c>dockerd</c>, seen in <c>/proc</c>):
    /// then loopback is the engine host's. Null when no daemon is visible (AutoHeal in a process namespace of its own).
    /// </summary>
    public static bool? SharesEngineNetwork()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        var own = Link(Path.Combine(Proc, "self", "ns", "net"));
        var daemons = SafeEntries(Proc)
            .Select(Path.GetFileName)
            .Where(name => name is { Length: > 0 } && name.All(char.IsAsciiDigit) && Command(name!) == "dockerd")
            .Select(name => Link(Path.Combine(Proc, name!, "ns", "net")))
            .Where(ns => ns is not null)
            .ToList();
        return own is null || daemons.Count == 0 ? null : daemons.Contains(own);
    }

    private static string? Command(string pid)
    {
        try
        {
            return File.ReadAllText(Path.Combine(Proc, pid, "comm")).Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string? Namespace(int pid) => Link(Path.Combine(Proc, pid.ToString(CultureInfo.InvariantCulture), "ns", "pid"));

    private static IEnumerable<string> ProcessesIn(string ns) =>
        SafeEntries(Proc)
            .Select(Path.GetFileName)
            .Where(name => name is { Length: > 0 } && name.All(char.IsAsciiDigit))
            .Where(name => Link(Path.Combine(Proc, name!, "ns", "pid")) == ns)
            .Select(name => name!);

    private static string[] SafeEntries(string dir)
    {
        try
        {
            return Directory.GetFileSystemEntries(dir);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static string? Link(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    // /proc/net/tcp writes IPv4 as 8 hex digits (little-endian), IPv6 as 32: 127.0.0.0/8, ::1, ::ffff:127.x, or all zeros.
    private static bool IsLoopbackOrAny(string hex) => hex.Length switch
    {
        8 => hex == "00000000" || hex.EndsWith("7F", StringComparison.Ordinal),
        32 => hex.All(c => c == '0') || hex == "00000000000000000000000001000000"
            || (hex.StartsWith("0000000000000000FFFF0000", StringComparison.Ordinal) && hex.EndsWith("7F", StringComparison.Ordinal)), // ::ffff:127.x
        _ => false,
    };
}
