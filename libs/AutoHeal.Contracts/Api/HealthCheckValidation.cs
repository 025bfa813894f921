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

                if (d.HttpExpectedStatus is { } s && (s < 100 || s > 599))
                {
                    Fail("http_expected_status", "http_expected_status must be between 100 and 599");
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

                if (d.TcpPort is not (>= 1 and <= 65535))
                {
                    Fail("tcp_port", "tcp_port must be between 1 and 65535");
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

        if (double.IsNaN(d.IntervalSeconds) || d.IntervalSeconds < 1 || d.IntervalSeconds > 86_400)
        {
            Fail("interval_seconds", "interval_seconds must be between 1 and 86400");
        }

        if (double.IsNaN(d.TimeoutSeconds) || d.TimeoutSeconds < 0.1 || d.TimeoutSeconds > 3600)
        {
            Fail("timeout_seconds", "timeout_seconds must be between 0.1 and 3600");
        }
        else if (d.TimeoutSeconds > d.IntervalSeconds)
        {
            Fail("timeout_seconds", "timeout_seconds must not exceed interval_seconds");
        }

        if (d.Retries is < 1 or > 100)
        {
            Fail("retries", "retries must be between 1 and 100");
        }

        if (d.SuccessThreshold is < 1 or > 100)
        {
            Fail("success_threshold", "success_threshold must be between 1 and 100");
        }

        if (double.IsNaN(d.StartPeriodSeconds) || d.StartPeriodSeconds < 0 || d.StartPeriodSeconds > 86_400)
        {
            Fail("start_period_seconds", "start_period_seconds must be between 0 and 86400");
        }

        return errors;
    }
}
