using System.Diagnostics;
using System.Text.RegularExpressions;

namespace AutoHeal.Dapr.Tests.Fakes;

/// <summary>
/// Just enough of YAML for the deployment files (no YAML package is referenced): compose services with
/// their <c>&lt;&lt;: *anchor</c> merges expanded, block and flow lists, scalars; Dapr component names,
/// types and metadata items. And Debian's <c>docker-compose</c>, when installed.
/// </summary>
internal static partial class SurfaceCompose
{
    /// <summary>Every service of a compose file: its lines with anchors merged, indented from 0 (its keys).</summary>
    public static IReadOnlyDictionary<string, string[]> Services(string composeText)
    {
        var lines = composeText.Replace("\r", "", StringComparison.Ordinal).Split('\n')
            .Where(l => l.Trim().Length > 0 && !l.TrimStart().StartsWith('#'))
            .Select(StripComment)
            .ToList();

        // Top-level blocks, anchored ones by anchor name (x-daprd: &daprd).
        var anchors = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var blocks = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        List<string>? current = null;
        foreach (var line in lines)
        {
            if (Indent(line) == 0)
            {
                var m = TopLevel().Match(line);
                current = [];
                blocks[m.Groups["key"].Value] = current;
                if (m.Groups["anchor"].Success)
                {
                    anchors[m.Groups["anchor"].Value] = current;
                }

                continue;
            }

            current?.Add(line[2..]); // children of a top-level key sit at indent 2
        }

        var services = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (!blocks.TryGetValue("services", out var serviceLines))
        {
            return services;
        }

        string? name = null;
        var body = new List<string>();
        foreach (var line in serviceLines.Append("end-of-services:"))
        {
            if (Indent(line) == 0)
            {
                if (name is not null)
                {
                    services[name] = Expand(body, anchors).ToArray();
                }

                name = line.TrimEnd().TrimEnd(':');
                body = [];
                continue;
            }

            body.Add(line[2..]);
        }

        return services;
    }

    /// <summary>The items of a list under <paramref name="key"/> (a top-level key of the block): block (<c>- x</c>) or flow (<c>[x, y]</c>) style, unquoted.</summary>
    public static IReadOnlyList<string> List(IReadOnlyList<string> block, string key)
    {
        for (var i = 0; i < block.Count; i++)
        {
            var m = KeyValue().Match(block[i]);
            if (!m.Success || Indent(block[i]) != 0 || m.Groups["key"].Value != key)
            {
                continue;
            }

            var inline = m.Groups["value"].Value.Trim();
            if (inline.StartsWith('['))
            {
                return inline.Trim('[', ']').Split(',').Select(s => Unquote(s.Trim())).Where(s => s.Length > 0).ToList();
            }

            return block.Skip(i + 1).TakeWhile(l => Indent(l) > 0 || l.StartsWith("- ", StringComparison.Ordinal))
                .Select(l => l.Trim()).Where(l => l.StartsWith("- ", StringComparison.Ordinal)).Select(l => Unquote(l[2..].Trim())).ToList();
        }

        return [];
    }

    /// <summary>The entries of a mapping under <paramref name="key"/> (a top-level key of the block, e.g. <c>environment</c>), values unquoted; empty when absent.</summary>
    public static IReadOnlyDictionary<string, string> Map(IReadOnlyList<string> block, string key)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < block.Count; i++)
        {
            var m = KeyValue().Match(block[i]);
            if (!m.Success || Indent(block[i]) != 0 || m.Groups["key"].Value != key)
            {
                continue;
            }

            var children = block.Skip(i + 1).TakeWhile(l => Indent(l) > 0).ToList();
            var childIndent = children.Count == 0 ? 0 : children.Min(Indent);
            foreach (var child in children.Where(l => Indent(l) == childIndent).Select(l => KeyValue().Match(l)).Where(c => c.Success))
            {
                map[child.Groups["key"].Value] = Unquote(child.Groups["value"].Value.Trim());
            }

            break;
        }

        return map;
    }

    /// <summary>A top-level scalar of the block, unquoted, or null.</summary>
    public static string? Scalar(IReadOnlyList<string> block, string key) =>
        block.Where(l => Indent(l) == 0).Select(l => KeyValue().Match(l)).FirstOrDefault(m => m.Success && m.Groups["key"].Value == key) is { } m
            ? Unquote(m.Groups["value"].Value.Trim())
            : null;

    /// <summary>A Dapr resource's <c>metadata.name</c>, <c>kind</c> and <c>spec.type</c>.</summary>
    public static (string? Kind, string? Name, string? Type) Resource(string yaml) =>
        (Match(ResourceKind(), yaml), Match(ResourceName(), yaml), Match(ResourceType(), yaml));

    /// <summary>A component's <c>spec.metadata</c> items with a value (name → value, unquoted).</summary>
    public static IReadOnlyDictionary<string, string> ComponentMetadata(string yaml) =>
        MetadataItem().Matches(StripComments(yaml)).ToDictionary(m => m.Groups["name"].Value, m => Unquote(m.Groups["value"].Value.Trim()), StringComparer.Ordinal);

    /// <summary>The names directly under <paramref name="path"/> (e.g. <c>targets</c>, <c>actors</c>) of a nested block, by indentation.</summary>
    public static IReadOnlyList<string> Keys(string yaml, params string[] path)
    {
        var lines = StripComments(yaml).Split('\n').Where(l => l.Trim().Length > 0).ToList();
        var from = 0;
        var indent = -1;
        foreach (var key in path)
        {
            var i = lines.FindIndex(from, l => Indent(l) > indent && l.Trim() == key + ":");
            if (i < 0)
            {
                return [];
            }

            indent = Indent(lines[i]);
            from = i + 1;
        }

        var children = lines.Skip(from).TakeWhile(l => Indent(l) > indent).ToList();
        if (children.Count == 0)
        {
            return [];
        }

        var childIndent = children.Min(Indent);
        return children.Where(l => Indent(l) == childIndent).Select(l => l.Trim().Split(':')[0].Trim()).ToList();
    }

    /// <summary>Runs <c>docker-compose</c> in <paramref name="folder"/> with extra environment; null when it is not installed.</summary>
    public static async Task<(int Code, string Stdout, string Stderr)?> DockerComposeAsync(string folder, IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        if (Which("docker-compose") is not { } exe)
        {
            return null;
        }

        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = folder };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var (k, v) in environment)
        {
            if (v is null)
            {
                psi.Environment.Remove(k);
            }
            else
            {
                psi.Environment[k] = v;
            }
        }

        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            await p.WaitForExitAsync(cts.Token);
        }

        return (p.ExitCode, await stdout, await stderr);
    }

    /// <summary>The full path of an executable on PATH, or null.</summary>
    public static string? Which(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);

    private static IEnumerable<string> Expand(List<string> body, Dictionary<string, List<string>> anchors)
    {
        foreach (var line in body)
        {
            var merge = Merge().Match(line);
            if (merge.Success && anchors.TryGetValue(merge.Groups["anchor"].Value, out var anchored))
            {
                var pad = new string(' ', Indent(line));
                foreach (var inner in Expand(anchored, anchors))
                {
                    yield return pad + inner;
                }
            }
            else
            {
                yield return line;
            }
        }
    }

    private static string StripComments(string yaml) =>
        string.Join('\n', yaml.Replace("\r", "", StringComparison.Ordinal).Split('\n').Where(l => !l.TrimStart().StartsWith('#')).Select(StripComment));

    // A " #" outside quotes starts a comment.
    private static string StripComment(string line)
    {
        var quote = '\0';
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quote != '\0')
            {
                quote = c == quote ? '\0' : quote;
            }
            else if (c is '"' or '\'')
            {
                quote = c;
            }
            else if (c == '#' && i > 0 && line[i - 1] == ' ')
            {
                return line[..i].TrimEnd();
            }
        }

        return line.TrimEnd();
    }

    private static int Indent(string line) => line.Length - line.TrimStart(' ').Length;

    private static string Unquote(string s) => s.Length >= 2 && (s[0] == '"' && s[^1] == '"' || s[0] == '\'' && s[^1] == '\'') ? s[1..^1] : s;

    private static string? Match(Regex regex, string text) => regex.Match(StripComments(text)) is { Success: true } m ? Unquote(m.Groups[1].Value.Trim()) : null;

    [GeneratedRegex(@"^(?<key>[^:\s]+):\s*(&(?<anchor>\S+))?")]
    private static partial Regex TopLevel();

    [GeneratedRegex(@"^\s*(?<key>[^:\s]+):(\s+(?<value>.*))?$")]
    private static partial Regex KeyValue();

    [GeneratedRegex(@"^\s*<<:\s*\*(?<anchor>\S+)\s*$")]
    private static partial Regex Merge();

    [GeneratedRegex(@"^kind:\s*(\S+)", RegexOptions.Multiline)]
    private static partial Regex ResourceKind();

    [GeneratedRegex(@"^metadata:\s*\n\s+name:\s*(\S+)", RegexOptions.Multiline)]
    private static partial Regex ResourceName();

    [GeneratedRegex(@"^spec:\s*\n\s+type:\s*(\S+)", RegexOptions.Multiline)]
    private static partial Regex ResourceType();

    [GeneratedRegex(@"-\s+name:\s*(?<name>\S+)\s*\n\s+value:[ \t]*(?<value>[^\n]*)")]
    private static partial Regex MetadataItem();
}
