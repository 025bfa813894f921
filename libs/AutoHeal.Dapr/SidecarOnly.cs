using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace AutoHeal.Dapr;

/// <summary>
/// The routes only the Dapr sidecar may call, in every role: its subscriptions and configuration (<c>/dapr/*</c>),
/// the actors (<c>/actors/*</c>) and the watcher's (<c>/watcher/*</c>). Each call must carry the sidecar's
/// <c>dapr-api-token</c> (the <c>APP_API_TOKEN</c> given to daprd and the app alike); anyone else reaching the
/// app's port (a published one, a neighbour container) gets 401 and reaches no handler: no forged heal events, no
/// signals, no actor calls.
/// </summary>
public static class SidecarOnly
{
    private static readonly string[] Prefixes = ["/dapr", "/actors", WatcherRoutes.Prefix];

    /// <summary>Guards the sidecar's routes with <paramref name="appToken"/>; put it before the routes are mapped.</summary>
    public static IApplicationBuilder UseSidecarOnly(this IApplicationBuilder app, string appToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(appToken);
        var expected = Encoding.UTF8.GetBytes(appToken);
        return app.Use(async (context, next) =>
        {
            if (IsSidecarRoute(context.Request.Path) && !Carries(context.Request, expected))
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                await context.Response.WriteAsJsonAsync(new
                {
                    title = "Only the Dapr sidecar may call this route.",
                    status = 401,
                    detail = $"calls to {context.Request.Path} need the {WatcherRoutes.AppTokenHeader} header (APP_API_TOKEN)",
                });
                return;
            }

            await next(context);
        });
    }

    /// <summary>Whether <paramref name="path"/> is one the sidecar calls.</summary>
    public static bool IsSidecarRoute(PathString path) =>
        Prefixes.Any(p => path.StartsWithSegments(p, StringComparison.OrdinalIgnoreCase));

    private static bool Carries(HttpRequest request, byte[] expected) =>
        request.Headers.TryGetValue(WatcherRoutes.AppTokenHeader, out var given)
        && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given.ToString()), expected);
}
