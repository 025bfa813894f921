using System.Globalization;

namespace AutoHeal.Bench;

/// <summary>
/// Whole-machine CPU use between two readings of /proc/stat, so a figure taken while something else
/// loaded the machine (another test run on the same engine, say) can be told apart.
/// </summary>
internal sealed class HostLoad
{
    private readonly (long Busy, long Total) _start = Read();

    /// <summary>Percent of all cores busy since this was created.</summary>
    public double BusyPercent()
    {
        var now = Read();
        var total = now.Total - _start.Total;
        return total <= 0 ? 0 : (now.Busy - _start.Busy) * 100.0 / total;
    }

    /// <summary>The 1-minute load average.</summary>
    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";

    private static (long Busy, long Total) Read()
    {
        if (!File.Exists("/proc/stat"))
        {
            return (0, 0);
        }

        // cpu  user nice system idle iowait irq softirq steal ...
        var cpu = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        var total = cpu.Take(8).Sum();
        var idle = cpu[3] + cpu[4];
        return (total - idle, total);
    }
}
