using System.Globalization;
using AutoHeal.Domain.Policies;

namespace AutoHeal.Domain.Probes;

/// <summary>The kinds of custom health check.</summary>
public enum ProbeKind
{
    /// <summary>Use the image's own HEALTHCHECK: no probe of AutoHeal's.</summary>
    Docker,
    /// <summary>An HTTP request: the expected status (and body text, if set) means healthy.</summary>
    Http,
    /// <summary>A TCP connect.</summary>
    Tcp,
    /// <summary>A command inside the container; exit code 0 means healthy.</summary>
    Exec,
}

/// <summary>A custom health check, with the semantics Kubernetes probes and Docker HEALTHCHECK users know.</summary>
public sealed record ProbeSpec
{
    /// <summary>What it checks.</summary>
    public ProbeKind Kind { get; init; } = ProbeKind.Docker;
    /// <summary>HTTP: the URL.</summary>
    public string? Url { get; init; }
    /// <summary>HTTP: the method.</summary>
    public string Method { get; init; } = "GET";
    /// <summary>HTTP: the status that means healthy; null means any 2xx or 3xx.</summary>
    public int? ExpectedStatus { get; init; }
    /// <summary>HTTP: text the body must contain.</summary>
    public string? BodyContains { get; init; }
    /// <summary>TCP: the host.</summary>
    public string? Host { get; init; }
    /// <summary>TCP: the port.</summary>
    public int? Port { get; init; }
    /// <summary>Exec: the command, run with /bin/sh -c inside the container.</summary>
    public string? Command { get; init; }
    /// <summary>Time between checks.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Time before one check counts as failed.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>Failures in a row that make the container unhealthy.</summary>
    public int Retries { get; init; } = 3;
    /// <summary>Successes in a row that make it healthy again.</summary>
    public int SuccessThreshold { get; init; } = 1;
    /// <summary>Time after a start during which failures do not count.</summary>
    public TimeSpan StartPeriod { get; init; } = TimeSpan.Zero;
    /// <summary>Where it was defined: <c>api</c> or <c>labels</c>.</summary>
    public string Source { get; init; } = "labels";

    // Messages reach logs, events and webhooks: a URL's user info and query may hold secrets.
    private static string Printable(string? url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var u) ? $"{u.Scheme}://{u.Authority}{u.AbsolutePath}" : url ?? "";

    /// <summary>The description (<see cref="Describe"/>): what log lines and messages show of a check.</summary>
    public override string ToString() => Describe();

    /// <summary>A short description for messages (no user info or query): <c>http GET http://127.0.0.1:8080/ready</c>.</summary>
    public string Describe() => Kind switch
    {
        ProbeKind.Http => $"http {Method} {Printable(Url)}",
        ProbeKind.Tcp => $"tcp {Host}:{Port}",
        ProbeKind.Exec => $"exec '{Command}'",
        _ => "docker HEALTHCHECK",
    };
}

/// <summary>
/// Custom health checks from container labels: <c>autoheal.check.type=http</c>, <c>autoheal.check.url=...</c>,
/// <c>autoheal.check.interval=10s</c>... A bad label is reported and the check left out, never a crash.
/// </summary>
public static class ProbeLabels
{
    /// <summary>The check the labels define (null when none, or when a label is bad), and the problems.</summary>
    public static (ProbeSpec? Spec, IReadOnlyList<LabelProblem> Problems) Parse(IReadOnlyDictionary<string, string> labels)
    {
        if (!labels.TryGetValue("autoheal.check.type", out var type))
        {
            return (null, []);
        }

        var problems = new List<LabelProblem>();
        var spec = new ProbeSpec { Source = "labels" };
        switch (type.Trim().ToLowerInvariant())
        {
            case "http": spec = spec with { Kind = ProbeKind.Http }; break;
            case "tcp": spec = spec with { Kind = ProbeKind.Tcp }; break;
            case "exec": spec = spec with { Kind = ProbeKind.Exec }; break;
            case "docker": spec = spec with { Kind = ProbeKind.Docker }; break;
            default:
                problems.Add(new LabelProblem("autoheal.check.type", type, "must be one of http, tcp, exec, docker"));
                return (null, problems);
        }

        string? Get(string name) => labels.TryGetValue(name, out var v) ? v.Trim() : null;
        void Problem(string name, string problem) => problems.Add(new LabelProblem(name, Get(name) ?? "", problem));

        // The same limits as a check defined through the API (the configuration's one table).
        TimeSpan Duration(string name, string field, TimeSpan fallback)
        {
            if (Get(name) is not { } raw)
            {
                return fallback;
            }

            if (PolicyLabels.TryParseDuration(raw, out var d) && Limits.Allows(field, d.TotalSeconds))
            {
                return d;
            }

            Problem(name, $"must be a duration {Limits.Describe(field, seconds: true)}, such as 10s");
            return fallback;
        }

        int Number(string name, string field, int fallback)
        {
            if (Get(name) is not { } raw)
            {
                return fallback;
            }

            if (int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && Limits.Allows(field, n))
            {
                return n;
            }

            Problem(name, $"must be a whole number {Limits.Describe(field)}");
            return fallback;
        }

        switch (spec.Kind)
        {
            case ProbeKind.Http:
                if (!Uri.TryCreate(Get("autoheal.check.url"), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                {
                    Problem("autoheal.check.url", "must be an absolute http:// or https:// URL");
                }

                spec = spec with
                {
                    Url = Get("autoheal.check.url"),
                    Method = (Get("autoheal.check.method") ?? "GET").ToUpperInvariant(),
                    ExpectedStatus = Get("autoheal.check.status") is null ? null : Number("autoheal.check.status", "healthcheck.http_expected_status", 200),
                    BodyContains = Get("autoheal.check.body"),
                };
                if (spec.Method is not ("GET" or "HEAD"))
                {
                    Problem("autoheal.check.method", "must be GET or HEAD (other methods only in a check defined through the API)");
                }
                break;
            case ProbeKind.Tcp:
                if (string.IsNullOrEmpty(Get("autoheal.check.host")))
                {
                    Problem("autoheal.check.host", "is required for a tcp check");
                }

                spec = spec with { Host = Get("autoheal.check.host"), Port = Number("autoheal.check.port", "healthcheck.tcp_port", 0) };
                if (Get("autoheal.check.port") is null)
                {
                    Problem("autoheal.check.port", "is required for a tcp check");
                }
                break;
            case ProbeKind.Exec:
                if (string.IsNullOrEmpty(Get("autoheal.check.command")))
                {
                    Problem("autoheal.check.command", "is required for an exec check");
                }

                spec = spec with { Command = Get("autoheal.check.command") };
                break;
        }

        spec = spec with
        {
            Interval = Duration("autoheal.check.interval", "healthcheck.interval_seconds", spec.Interval),
            Timeout = Duration("autoheal.check.timeout", "healthcheck.timeout_seconds", spec.Timeout),
            Retries = Number("autoheal.check.retries", "healthcheck.retries", spec.Retries),
            SuccessThreshold = Number("autoheal.check.success_threshold", "healthcheck.success_threshold", spec.SuccessThreshold),
            StartPeriod = Duration("autoheal.check.start_period", "healthcheck.start_period_seconds", spec.StartPeriod),
        };
        if (spec.Timeout > spec.Interval && !labels.ContainsKey("autoheal.check.timeout"))
        {
            spec = spec with { Timeout = spec.Interval }; // the default timeout, for a short interval: at most the interval
        }
        else if (spec.Timeout > spec.Interval && !problems.Any(p => p.Label is "autoheal.check.timeout" or "autoheal.check.interval"))
        {
            Problem("autoheal.check.timeout", "the timeout must not exceed the interval");
        }

        return problems.Count > 0 ? (null, problems) : (spec, problems);
    }
}
