using System.Globalization;
using System.Net.Mail;

namespace AutoHeal.Contracts.Api;

/// <summary>The services a notification target's URL scheme chooses.</summary>
public enum TargetService
{
    /// <summary><c>http(s)://</c>: a webhook in the target's <c>format</c> (generic, slack or discord).</summary>
    Webhook,
    /// <summary><c>ntfy://</c> (http) or <c>ntfys://</c> (https): an ntfy server's topic.</summary>
    Ntfy,
    /// <summary><c>gotify://</c> or <c>gotifys://</c>: a Gotify server, with an application token.</summary>
    Gotify,
    /// <summary><c>tgram://bot_token/chat_id</c>: a Telegram bot's chat.</summary>
    Telegram,
    /// <summary><c>pover://user_key@app_token</c>: Pushover.</summary>
    Pushover,
    /// <summary><c>mailto://</c> (STARTTLS, port 587) or <c>mailtos://</c> (TLS, port 465): email over SMTP.</summary>
    Email,
    /// <summary><c>apprise://</c> or <c>apprises://</c>: an Apprise API server's stored configuration (a key).</summary>
    Apprise,
    /// <summary><c>msteams://host/path?query</c>: a Microsoft Teams workflow webhook (sent over https).</summary>
    Teams,
}

/// <summary>How an email target talks TLS.</summary>
public enum SmtpSecurity
{
    /// <summary>STARTTLS, required.</summary>
    StartTls,
    /// <summary>TLS from the first byte (port 465).</summary>
    Tls,
    /// <summary>No TLS: only for a relay on loopback or a trusted network.</summary>
    None,
}

/// <summary>
/// A notification target's URL, read: which service, where, and with which credentials. The URL is a secret
/// (tokens, passwords, topic names): <see cref="Mask"/> is what reads, exports and logs show.
/// </summary>
public sealed record NotificationUrl
{
    /// <summary>The schemes, each with an example, as the README and the validation messages give them.</summary>
    public static readonly IReadOnlyList<(string Scheme, string Example)> Schemes =
    [
        ("http(s)", "https://hooks.slack.com/services/T000/B000/XXXX (format: generic, slack or discord)"),
        ("ntfy, ntfys", "ntfys://user:password@ntfy.example.com/autoheal (or ?token=tk_...)"),
        ("gotify, gotifys", "gotifys://gotify.example.com/AbCdEf123456"),
        ("tgram", "tgram://123456789:AAbbCCdd/-1001234567890"),
        ("pover", "pover://user_key@app_token"),
        ("mailto, mailtos", "mailto://user:password@smtp.example.com:587?to=ops@example.com&from=autoheal@example.com"),
        ("apprise, apprises", "apprises://apprise.example.com/my-config-key"),
        ("msteams", "msteams://default0123.ab.environment.api.powerplatform.com:443/powerautomate/automations/direct/workflows/0a1b/triggers/manual/paths/invoke?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=XYZ"),
    ];

    /// <summary>The service.</summary>
    public required TargetService Service { get; init; }
    /// <summary>Where HTTP targets are posted (webhooks, ntfy, Gotify, Apprise, Teams); null for the others.</summary>
    public Uri? Endpoint { get; init; }
    /// <summary>A user name (ntfy basic auth, SMTP).</summary>
    public string? User { get; init; }
    /// <summary>A password (ntfy basic auth, SMTP).</summary>
    public string? Password { get; init; }
    /// <summary>A token: ntfy access token, Gotify application token, Telegram bot token, Pushover application token.</summary>
    public string? Token { get; init; }
    /// <summary>Who gets it: ntfy topic, Telegram chat id, Pushover user key.</summary>
    public string? Recipient { get; init; }
    /// <summary>Apprise tags (which of the stored services are told).</summary>
    public string? Tags { get; init; }
    /// <summary>SMTP host.</summary>
    public string? Host { get; init; }
    /// <summary>SMTP port.</summary>
    public int Port { get; init; }
    /// <summary>SMTP transport security.</summary>
    public SmtpSecurity Security { get; init; }
    /// <summary>SMTP sender.</summary>
    public string? From { get; init; }
    /// <summary>SMTP recipients.</summary>
    public IReadOnlyList<string> To { get; init; } = [];

    /// <summary>The URL with its secret parts hidden: scheme and host stay (no user or password), the rest becomes <c>***</c>.</summary>
    public static string Mask(string url)
    {
        // Only a URL that reads as a target shows its host: in one that does not, where the host is cannot be trusted.
        var sep = url.IndexOf("://", StringComparison.Ordinal);
        if (sep <= 0 || !TryParse(url, out _, out _))
        {
            return "***";
        }

        var scheme = url[..sep].ToLowerInvariant();
        if (scheme is "tgram" or "pover")
        {
            return $"{scheme}://***"; // their "host" is a token
        }

        // The authority ends where TryParse ends it (the first '/' or '?'); the host is what follows its last '@'.
        var rest = url[(sep + 3)..];
        var end = rest.IndexOfAny(['/', '?']);
        var authority = end < 0 ? rest : rest[..end];
        var at = authority.LastIndexOf('@');
        var host = at < 0 ? authority : authority[(at + 1)..];
        return host.Length == 0 || host.IndexOfAny(['*', '#', '%', '\\']) >= 0 ? "***" : $"{scheme}://{host}/***";
    }

    /// <summary>Reads <paramref name="url"/>; on failure, <paramref name="error"/> says what is wrong, in words that end a sentence starting with the field's name.</summary>
    public static bool TryParse(string? url, out NotificationUrl? target, out string? error)
    {
        target = null;
        error = null;
        var sep = url?.IndexOf("://", StringComparison.Ordinal) ?? -1;
        if (url is null || sep <= 0 || url.Length > 2048 || url.Any(char.IsControl) || url.IndexOfAny([' ', '#']) >= 0)
        {
            error = $"must be a URL (scheme://...) without spaces or '#' (write a '#' in a password as %23), one of: {string.Join(", ", Schemes.Select(s => s.Scheme + "://"))}";
            return false;
        }

        var scheme = url[..sep].ToLowerInvariant();
        var rest = url[(sep + 3)..];
        var queryAt = rest.IndexOf('?', StringComparison.Ordinal);
        var query = queryAt < 0 ? "" : rest[(queryAt + 1)..];
        var pathAt = rest.IndexOf('/', StringComparison.Ordinal);
        if (pathAt < 0 || (queryAt >= 0 && queryAt < pathAt))
        {
            pathAt = queryAt < 0 ? rest.Length : queryAt;
        }

        var authority = rest[..pathAt];
        var path = rest[pathAt..(queryAt < 0 ? rest.Length : queryAt)];
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString).ToArray();
        var parameters = Query(query);
        var at = authority.LastIndexOf('@');
        var userInfo = at < 0 ? null : authority[..at];
        var hostPort = at < 0 ? authority : authority[(at + 1)..];
        var (user, password) = userInfo is null ? (null, null)
            : userInfo.IndexOf(':', StringComparison.Ordinal) is var colon and >= 0
                ? (Uri.UnescapeDataString(userInfo[..colon]), Uri.UnescapeDataString(userInfo[(colon + 1)..]))
                : (Uri.UnescapeDataString(userInfo), (string?)null);

        switch (scheme)
        {
            case "http" or "https":
                if (!Uri.TryCreate(url, UriKind.Absolute, out var web) || web.Host.Length == 0)
                {
                    error = "must be an absolute http:// or https:// URL";
                    return false;
                }

                target = new NotificationUrl { Service = TargetService.Webhook, Endpoint = web };
                return true;

            case "ntfy" or "ntfys":
                if (!IsHost(hostPort) || segments.Length != 1 || !IsWord(segments[0], 64) || segments[0].Contains('.', StringComparison.Ordinal)
                    || (parameters.GetValueOrDefault("token") is { } ntfyToken && !(ntfyToken.StartsWith("tk_", StringComparison.Ordinal) && IsWord(ntfyToken, 128) && !ntfyToken.Contains('.', StringComparison.Ordinal))))
                {
                    error = "must be ntfy://[user:password@]host[:port]/topic (ntfys:// for https; ?token=tk_... for an access token); a topic is 1 to 64 letters, digits, '-' or '_'";
                    return false;
                }

                target = new NotificationUrl
                {
                    Service = TargetService.Ntfy,
                    Endpoint = new Uri(Web(scheme, hostPort)),
                    User = user,
                    Password = password,
                    Token = parameters.GetValueOrDefault("token"),
                    Recipient = segments[0],
                };
                return true;

            case "gotify" or "gotifys":
                if (!IsHost(hostPort) || segments.Length == 0 || !IsWord(segments[^1], 128))
                {
                    error = "must be gotify://host[:port][/path]/app_token (gotifys:// for https)";
                    return false;
                }

                target = new NotificationUrl
                {
                    Service = TargetService.Gotify,
                    Endpoint = new Uri($"{Web(scheme, hostPort)}{SubPath(segments)}message"),
                    Token = segments[^1],
                };
                return true;

            case "tgram":
                // tgram://123456789:AAbb-CC_dd/-1001234567890: the bot token holds a ':', so it is no host:port.
                if (!IsBotToken(authority) || segments.Length != 1 || !IsChat(segments[0]))
                {
                    error = "must be tgram://bot_token/chat_id (the bot token from @BotFather, 123456789:AAbb...; a chat id such as -1001234567890 or @channel)";
                    return false;
                }

                target = new NotificationUrl { Service = TargetService.Telegram, Token = authority, Recipient = segments[0] };
                return true;

            case "pover":
                if (user is null || password is not null || !IsWord(user, 64) || !IsWord(hostPort, 64) || segments.Length != 0)
                {
                    error = "must be pover://user_key@app_token (your Pushover user key, then the application's API token)";
                    return false;
                }

                target = new NotificationUrl { Service = TargetService.Pushover, Recipient = user, Token = hostPort };
                return true;

            case "mailto" or "mailtos":
                return TryEmail(scheme, hostPort, user, password, segments, parameters, out target, out error);

            case "apprise" or "apprises":
                if (!IsHost(hostPort) || segments.Length == 0 || !IsWord(segments[^1], 128))
                {
                    error = "must be apprise://host[:port][/path]/config_key (apprises:// for https; ?tags=a,b to pick stored services)";
                    return false;
                }

                target = new NotificationUrl
                {
                    Service = TargetService.Apprise,
                    Endpoint = new Uri($"{Web(scheme, hostPort)}{SubPath(segments)}notify/{Uri.EscapeDataString(segments[^1])}"),
                    Tags = parameters.GetValueOrDefault("tags"),
                };
                return true;

            case "msteams":
                if (!IsHost(hostPort) || segments.Length == 0
                    || !Uri.TryCreate($"https://{hostPort}{path}{(query.Length > 0 ? "?" + query : "")}", UriKind.Absolute, out var teams))
                {
                    error = "must be msteams://host/path?query: the Teams workflow's webhook URL with https:// replaced by msteams://";
                    return false;
                }

                target = new NotificationUrl { Service = TargetService.Teams, Endpoint = teams };
                return true;

            default:
                error = $"has an unknown scheme '{scheme}': use one of {string.Join(", ", Schemes.Select(s => s.Scheme))}";
                return false;
        }
    }

    private static bool TryEmail(string scheme, string hostPort, string? user, string? password, string[] segments,
        Dictionary<string, string> parameters, out NotificationUrl? target, out string? error)
    {
        target = null;
        error = null;
        const string Form = "must be mailto://[user:password@]smtp.host[:port]?to=a@example.com[,b@example.com]&from=autoheal@example.com (mailtos:// or port 465 for TLS, else STARTTLS; &secure=none only for a relay on a trusted network)";
        var to = parameters.GetValueOrDefault("to")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
        if (!IsHost(hostPort) || segments.Length != 0 || to.Length == 0 || to.Length > 20)
        {
            error = Form;
            return false;
        }

        var bad = to.Append(parameters.GetValueOrDefault("from") ?? "autoheal@localhost").FirstOrDefault(a => !MailAddress.TryCreate(a, out var parsed) || parsed.Address != a); // a bare address, no display name
        if (bad is not null)
        {
            error = $"has '{bad}', which is not an email address; it {Form}";
            return false;
        }

        var uri = new Uri($"http://{hostPort}/");
        var colon = hostPort.LastIndexOf(':');
        var port = colon > hostPort.LastIndexOf(']') && int.TryParse(hostPort[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var given)
            ? given
            : scheme == "mailtos" ? 465 : 587;
        SmtpSecurity security;
        switch (parameters.GetValueOrDefault("secure"))
        {
            case null: security = scheme == "mailtos" || port == 465 ? SmtpSecurity.Tls : SmtpSecurity.StartTls; break;
            case "tls" or "ssl": security = SmtpSecurity.Tls; break;
            case "starttls": security = SmtpSecurity.StartTls; break;
            case "none": security = SmtpSecurity.None; break;
            default:
                error = "has secure= other than tls, starttls or none";
                return false;
        }

        if (security == SmtpSecurity.None && user is not null && !uri.IsLoopback)
        {
            error = "has secure=none with a login: the password would cross the network in clear text; use STARTTLS or TLS (or no login for a relay)";
            return false;
        }

        target = new NotificationUrl
        {
            Service = TargetService.Email,
            Host = uri.Host.Trim('[', ']'),
            Port = port,
            Security = security,
            User = user,
            Password = password,
            // Without from=: the login when it is an address (what most providers insist on), else autoheal@ the server.
            From = parameters.GetValueOrDefault("from")
                ?? (user is not null && MailAddress.TryCreate(user, out var login) && login.Address == user ? user
                    : $"autoheal@{(uri.HostNameType == UriHostNameType.Dns ? uri.IdnHost : "localhost")}"),
            To = to,
        };
        return true;
    }

    // The segments before the last (a server installed under a path), each escaped, with a '/' after each.
    private static string SubPath(string[] segments) => string.Concat(segments[..^1].Select(s => Uri.EscapeDataString(s) + "/"));

    private static Dictionary<string, string> Query(string query)
    {
        var parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]);
            parameters[key] = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..]); // '+' is itself (ops+alerts@example.com)
        }

        return parameters;
    }

    // host, host:port, [v6]:port; nothing else (no '*' left by a mask, no user, path or query characters).
    private static bool IsHost(string hostPort) =>
        hostPort.Length > 0 && hostPort.IndexOfAny(['*', '/', '?', '#', '@', '%', '\\']) < 0
            && Uri.TryCreate($"http://{hostPort}/", UriKind.Absolute, out var u) && u.Host.Length > 0;

    // ntfys, gotifys, apprises: https; ntfy, gotify, apprise: http.
    private static string Web(string scheme, string hostPort) => $"{(scheme.EndsWith('s') ? "https" : "http")}://{hostPort}/";

    private static bool IsWord(string s, int max) =>
        s.Length is > 0 and var n && n <= max && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    private static bool IsBotToken(string s)
    {
        var colon = s.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && s[..colon].All(char.IsAsciiDigit) && IsWord(s[(colon + 1)..], 128);
    }

    private static bool IsChat(string s) =>
        (s.StartsWith('-') ? s[1..] : s) is { Length: > 0 and <= 20 } digits && digits.All(char.IsAsciiDigit)
        || (s.StartsWith('@') && IsWord(s[1..], 64));

    /// <summary>The service (and SMTP host), never a credential.</summary>
    public override string ToString() => Service switch
    {
        TargetService.Email => $"{Service} via {Host}:{Port.ToString(CultureInfo.InvariantCulture)}",
        _ => Service.ToString(),
    };
}
