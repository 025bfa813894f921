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
/// <para>
/// The watcher's routes, which restart containers, need more: its sidecar adds the token to whatever it forwards, and
/// a watcher on another Docker host takes invocations on its internal gRPC port (50002) from the network, so a
/// stranger reaching that port would get the token added for them. A call to <c>/watcher</c> must also carry
/// <see cref="WatcherRoutes.CallerHeader"/>, a proof derived from the token (<see cref="CallerProof"/>) that the healer
/// and the API send (<see cref="DaprWatchers"/>); the token itself never travels between hosts. The proof is one fixed
/// value, a bearer secret like the others: whoever can read the traffic between hosts can replay it.
/// </para>
/// </summary>
public static class SidecarOnly
{
    private static readonly string[] Prefixes = ["/dapr", "/actors", WatcherRoutes.Prefix];

    /// <summary>Guards the sidecar's routes with <paramref name="appToken"/>; put it before the routes are mapped.</summary>
    public static IApplicationBuilder UseSidecarOnly(this IApplicationBuilder app, string appToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(appToken);
        var expected = Encoding.UTF8.GetBytes(appToken);
        var proof = Encoding.UTF8.GetBytes(CallerProof(appToken));
        return app.Use(async (context, next) =>
        {
            var path = context.Request.Path;
            if (IsSidecarRoute(path) && !Carries(context.Request, WatcherRoutes.AppTokenHeader, expected))
            {
                await RefuseAsync(context, "Only the Dapr sidecar may call this route.", $"calls to {path} need the {WatcherRoutes.AppTokenHeader} header (APP_API_TOKEN)");
                return;
            }

            if (path.StartsWithSegments(WatcherRoutes.Prefix, StringComparison.OrdinalIgnoreCase) && !Carries(context.Request, WatcherRoutes.CallerHeader, proof))
            {
                await RefuseAsync(context, "Only AutoHeal's healer and API may call the watcher.",
                    $"calls to {path} need the {WatcherRoutes.CallerHeader} header that the healer and the API derive from APP_API_TOKEN");
                return;
            }

            await next(context);
        });
    }

    /// <summary>
    /// What a caller of a watcher's routes sends in <see cref="WatcherRoutes.CallerHeader"/>: an HMAC-SHA256 of a fixed
    /// label keyed with the app API token, so that it proves the caller holds the token without carrying it.
    /// </summary>
    public static string CallerProof(string appToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(appToken);
        return Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(appToken), "autoheal-watcher-caller"u8));
    }

    private static async Task RefuseAsync(HttpContext context, string title, string detail)
    {
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        await context.Response.WriteAsJsonAsync(new { title, status = 401, detail });
    }

    /// <summary>Whether <paramref name="path"/> is one the sidecar calls.</summary>
    public static bool IsSidecarRoute(PathString path) =>
        Prefixes.Any(p => path.StartsWithSegments(p, StringComparison.OrdinalIgnoreCase));

    private static bool Carries(HttpRequest request, string header, byte[] expected) =>
        request.Headers.TryGetValue(header, out var given)
        && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given.ToString()), expected);
}
