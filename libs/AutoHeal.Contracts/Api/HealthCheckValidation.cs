using System.Globalization;
using AutoHeal.Domain.Policies;

namespace AutoHeal.Contracts.Api;

/// <summary>Validation of custom health check definitions.</summary>
public static class HealthCheckValidation
{
    /// <summary>The check types.</summary>
    public static readonly IReadOnlyList<string> Types = ["http", "tcp", "exec", "docker"];

    /// <summary>Every problem, keyed by the field's JSON name; empty when valid.</summary>
    public static Dictionary<string, string[]> Validate(HealthCheckDefinition d)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        void Fail(string field, string message) => errors[field] = [message];
        bool Range(string field, double value)
        {
            if (Limits.Allows($"healthcheck.{field}", value))
            {
                return true;
            }

            var (min, max) = Limits.Ranges[$"healthcheck.{field}"];
            Fail(field, string.Create(CultureInfo.InvariantCulture, $"{field} must be between {min} and {max}"));
            return false;
        }

        if (string.IsNullOrWhiteSpace(d.ContainerId))
        {
            Fail("container_id", "container_id is required (a container name or id)");
        }

        switch (d.CheckType)
        {
            case "http":
                if (!Uri.TryCreate(d.HttpEndpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                {
                    Fail("http_endpoint", "http_endpoint must be an absolute http:// or https:// URL");
                }

                if (d.HttpExpectedStatus is { } s)
                {
                    Range("http_expected_status", s);
                }

                if (d.HttpMethod is not (null or "GET" or "HEAD" or "POST"))
                {
                    Fail("http_method", "http_method must be GET, HEAD or POST");
                }
                break;
            case "tcp":
                if (string.IsNullOrWhiteSpace(d.TcpHost) || d.TcpHost.Length > 253)
                {
                    Fail("tcp_host", "tcp_host is required for a tcp check");
                }

                if (d.TcpPort is not { } port)
                {
                    Fail("tcp_port", "tcp_port must be between 1 and 65535");
                }
                else
                {
                    Range("tcp_port", port);
                }
                break;
            case "exec":
                if (string.IsNullOrWhiteSpace(d.ExecCommand) || d.ExecCommand.Length > 4096)
                {
                    Fail("exec_command", "exec_command is required for an exec check (at most 4096 characters)");
                }
                break;
            case "docker":
                break;
            default:
                Fail("check_type", $"check_type must be one of {string.Join(", ", Types)} (was '{d.CheckType}')");
                break;
        }

        Range("interval_seconds", d.IntervalSeconds);
        if (Range("timeout_seconds", d.TimeoutSeconds) && d.TimeoutSeconds > d.IntervalSeconds)
        {
            Fail("timeout_seconds", "timeout_seconds must not exceed interval_seconds");
        }

        Range("retries", d.Retries);
        Range("success_threshold", d.SuccessThreshold);
        Range("start_period_seconds", d.StartPeriodSeconds);

        return errors;
    }
}
