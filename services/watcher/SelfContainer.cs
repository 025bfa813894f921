using System.Text.RegularExpressions;

namespace AutoHeal.Watcher;

/// <summary>Finds AutoHeal's own container id, when it runs in one, so it never heals itself.</summary>
public static partial class SelfContainer
{
    /// <summary>The id, or null outside a container.</summary>
    public static string? DetectId()
    {
        foreach (var file in new[] { "/proc/self/mountinfo", "/proc/self/cgroup" })
        {
            try
            {
                if (File.Exists(file) && ContainerId().Match(File.ReadAllText(file)) is { Success: true } m)
                {
                    return m.Groups["id"].Value;
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return null;
    }

    [GeneratedRegex(@"(?:/docker/containers/|/docker[-/])(?<id>[0-9a-f]{64})")]
    private static partial Regex ContainerId();
}
