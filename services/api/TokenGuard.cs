using System.Globalization;
using System.Threading.RateLimiting;

namespace AutoHeal.Api;

/// <summary>
/// Checks every <c>/api</c> call's token, and slows down guessing: a client address that sent
/// <see cref="FailuresAllowed"/> wrong (or missing) tokens within <see cref="Window"/> gets 429, with
/// <c>Retry-After</c>, for every call until the window is over, before its token is even looked at. The dashboard of
/// this process is told apart (<see cref="DashboardCaller"/>): its calls count per browser tab.
/// </summary>
public sealed class TokenGuard(ApiToken token, DashboardCaller dashboard) : IDisposable
{
    /// <summary>Wrong tokens a client address may send per window.</summary>
    public const int FailuresAllowed = 10;

    /// <summary>The window of <see cref="FailuresAllowed"/>.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly Lock[] _stripes = [.. Enumerable.Range(0, 64).Select(_ => new Lock())];

    private readonly PartitionedRateLimiter<string> _failures = PartitionedRateLimiter.Create<string, string>(address =>
        RateLimitPartition.GetFixedWindowLimiter(address, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = FailuresAllowed,
            Window = Window,
            QueueLimit = 0,
            AutoReplenishment = true,
        }));

    /// <summary>The answer to a call: null to go on, else the response to send.</summary>
    public IResult? Check(HttpContext context)
    {
        var headers = context.Request.Headers;
        var address = dashboard.SessionOf(headers[DashboardCaller.KeyHeader], headers[DashboardCaller.SessionHeader]) is { } tab
            ? $"dashboard tab {tab}"
            : context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        // One check at a time per address (striped): calls sent at once cannot all pass the count before any is counted.
        lock (_stripes[(uint)StringComparer.Ordinal.GetHashCode(address) % (uint)_stripes.Length])
        {
            if (_failures.GetStatistics(address)?.CurrentAvailablePermits is 0)
            {
                return TooMany(context);
            }

            if (token.Accepts(context.Request))
            {
                return null;
            }

            using var lease = _failures.AttemptAcquire(address);
            if (!lease.IsAcquired)
            {
                return TooMany(context);
            }
        }

        context.Response.Headers.WWWAuthenticate = "Bearer";
        return Results.Problem("Every /api call needs the header Authorization: Bearer <token>.", statusCode: 401, title: "Missing or wrong API token.");
    }

    /// <inheritdoc />
    public void Dispose() => _failures.Dispose();

    private static IResult TooMany(HttpContext context)
    {
        context.Response.Headers.RetryAfter = ((int)Window.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        return Results.Problem(
            $"Too many calls with a wrong API token from this address: try again in {Window.TotalSeconds:0} s.",
            statusCode: StatusCodes.Status429TooManyRequests, title: "Too many wrong tokens.");
    }
}
