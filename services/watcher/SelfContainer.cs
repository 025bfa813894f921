using System.Text.RegularExpressions;

namespace AutoHeal.Watcher;

/// <summary>Finds AutoHeal's own container id, when it runs in one, so it never heals itself.</summary>
public static partial class SelfContainer
{
    /// <summary>The id, or null outside a container.</summary>
    public static string? DetectId()
    {
        // On a host, /proc/self/mountinfo can show other containers' mounts (shareable IPC): only
        // inside a container is an id found there our own.
        if (!File.Exists("/.dockerenv"))
        {
            return null;
        }

        foreach (var file in new[] { "/proc/self/mountinfo", "/proc/self/cgroup" })
        {
            try
            {
                if (File.Exists(file) && FromProcText(File.ReadAllText(file)) is { } id)
                {
                    return id;
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

    /// <summary>The container id in the text of /proc/self/mountinfo or /proc/self/cgroup, or null.</summary>
    public static string? FromProcText(string text) =>
        ContainerId().Match(text) is { Success: true } m ? m.Groups["id"].Value : null;

    [GeneratedRegex(@"(?:/docker/containers/|/docker[-/])(?<id>[0-9a-f]{64})")]
    private static partial Regex ContainerId();
}
