using AutoHeal.Contracts.Api;
using AutoHeal.Core.Settings;

namespace AutoHeal.Core.Tests;

/// <summary>
/// Notification targets by URL: what each scheme means, what a read or an export shows of it (never a credential),
/// and what the configuration refuses, by field.
/// </summary>
public sealed class NotificationUrlTests
{
    private static NotificationUrl Parse(string url)
    {
        Assert.True(NotificationUrl.TryParse(url, out var target, out var error), error);
        return target!;
    }

    [Fact]
    public void Each_scheme_names_its_service_and_where_it_is_posted()
    {
        var ntfy = Parse("ntfys://alice:p%40ss@ntfy.example.com/alerts");
        Assert.Equal((TargetService.Ntfy, "https://ntfy.example.com/", "alice", "p@ss", "alerts"), (ntfy.Service, ntfy.Endpoint!.ToString(), ntfy.User, ntfy.Password, ntfy.Recipient));
        Assert.Equal("tk_abc", Parse("ntfy://ntfy.lan:8080/alerts?token=tk_abc").Token);
        Assert.Equal("http://ntfy.lan:8080/", Parse("ntfy://ntfy.lan:8080/alerts").Endpoint!.ToString());

        var gotify = Parse("gotify://gotify.lan/sub/path/AbC123");
        Assert.Equal(("http://gotify.lan/sub/path/message", "AbC123"), (gotify.Endpoint!.ToString(), gotify.Token));

        var telegram = Parse("tgram://123456789:AAbb-CC_dd/-1001234567890");
        Assert.Equal((TargetService.Telegram, "123456789:AAbb-CC_dd", "-1001234567890"), (telegram.Service, telegram.Token, telegram.Recipient));
        Assert.Equal("@mychannel", Parse("tgram://1:x/@mychannel").Recipient);

        var pushover = Parse("pover://uUserKey@aAppToken");
        Assert.Equal(("uUserKey", "aAppToken"), (pushover.Recipient, pushover.Token));

        var apprise = Parse("apprises://apprise.lan/my-key?tags=ops,home");
        Assert.Equal(("https://apprise.lan/notify/my-key", "ops,home"), (apprise.Endpoint!.ToString(), apprise.Tags));

        var teams = Parse("msteams://prod-00.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sig=XYZ");
        Assert.Equal("https://prod-00.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sig=XYZ", teams.Endpoint!.ToString());

        Assert.Equal(TargetService.Webhook, Parse("https://hooks.slack.com/services/T/B/X").Service);
    }

    [Theory]
    [InlineData("mailto://smtp.example.com?to=a@example.com", 587, SmtpSecurity.StartTls)]
    [InlineData("mailtos://smtp.example.com?to=a@example.com", 465, SmtpSecurity.Tls)]
    [InlineData("mailto://smtp.example.com:465?to=a@example.com", 465, SmtpSecurity.Tls)]
    [InlineData("mailto://smtp.example.com:25?to=a@example.com&secure=starttls", 25, SmtpSecurity.StartTls)]
    [InlineData("mailto://127.0.0.1:2525?to=a@example.com&secure=none", 2525, SmtpSecurity.None)]
    [InlineData("mailto://smtp.example.com:80?to=a@example.com", 80, SmtpSecurity.StartTls)]
    public void Email_takes_tls_from_the_scheme_port_and_query(string url, int port, SmtpSecurity security)
    {
        var mail = Parse(url);
        Assert.Equal((TargetService.Email, port, security), (mail.Service, mail.Port, mail.Security));
    }

    [Fact]
    public void Email_has_its_recipients_sender_and_login()
    {
        var mail = Parse("mailto://bob:s%3Acret@smtp.example.com:587?to=a@example.com,%20b@example.com&from=autoheal@example.com");
        Assert.Equal(["a@example.com", "b@example.com"], mail.To);
        Assert.Equal(("autoheal@example.com", "bob", "s:cret", "smtp.example.com"), (mail.From, mail.User, mail.Password, mail.Host));
        Assert.Equal("autoheal@smtp.example.com", Parse("mailto://smtp.example.com?to=a@example.com").From);
        Assert.Equal("me@example.com", Parse("mailto://me%40example.com:pw@smtp.example.com?to=a@example.com").From); // the login, as providers want
        Assert.Equal(["ops+alerts@example.com"], Parse("mailto://smtp.example.com?to=ops+alerts@example.com").To); // '+' is itself
        Assert.Equal(SmtpSecurity.None, Parse("mailto://bob:pw@127.0.0.1:2525?to=a@example.com&secure=none").Security); // a relay on this machine

    }

    [Theory]
    [InlineData("ntfys://alice:pw@ntfy.example.com/secret-topic", "ntfys://ntfy.example.com/***")]
    [InlineData("gotify://gotify.lan:8080/AppToken", "gotify://gotify.lan:8080/***")]
    [InlineData("tgram://123456789:AAsecret/-100123", "tgram://***")]
    [InlineData("pover://uUser@aApp", "pover://***")]
    [InlineData("mailto://bob:pw@smtp.example.com:587?to=a@example.com", "mailto://smtp.example.com:587/***")]
    [InlineData("apprise://apprise.lan/key", "apprise://apprise.lan/***")]
    [InlineData("msteams://x.logic.azure.com/workflows/a?sig=S", "msteams://x.logic.azure.com/***")]
    [InlineData("https://user:pw@hooks.example.com/T0KEN", "https://hooks.example.com/***")]
    [InlineData("not a url", "***")]
    [InlineData("ntfy://alice:p#ss@ntfy.lan/t", "***")]
    [InlineData("ntfy://alice:p/ss@ntfy.lan/t", "***")]
    public void A_masked_url_keeps_only_scheme_and_host(string url, string masked)
    {
        Assert.Equal(masked, WebhookConfig.Mask(url));
        Assert.True(WebhookConfig.IsMasked(masked));
    }

    [Theory]
    [InlineData("ftp://files.example.com/x", "unknown scheme 'ftp'")]
    [InlineData("ntfy://ntfy.example.com", "ntfy://[user:password@]host[:port]/topic")]
    [InlineData("ntfy://ntfy.example.com/a/b", "ntfy://[user:password@]host[:port]/topic")]
    [InlineData("tgram://not-a-token/123", "tgram://bot_token/chat_id")]
    [InlineData("tgram://123:abc/not-a-chat", "tgram://bot_token/chat_id")]
    [InlineData("pover://onlyone", "pover://user_key@app_token")]
    [InlineData("mailto://smtp.example.com", "mailto://")]
    [InlineData("mailto://smtp.example.com?to=nobody", "'nobody', which is not an email address")]
    [InlineData("mailto://smtp.example.com?to=a@example.com&secure=maybe", "secure=")]
    [InlineData("mailto://bob:pw@smtp.example.com:25?to=a@example.com&secure=none", "clear text")]
    [InlineData("mailto://smtp.example.com?to=Eve%20%3Ceve@example.com%3E", "not an email address")]
    [InlineData("gotify://gotify.lan", "gotify://host[:port][/path]/app_token")]
    [InlineData("apprise://apprise.lan", "apprise://host[:port][/path]/config_key")]
    [InlineData("msteams://", "msteams://host/path?query")]
    [InlineData("ntfy://a b/topic", "without spaces")]
    [InlineData("ntfy://alice:p#ss@ntfy.lan/t", "'#'")]
    [InlineData("ntfy://ntfy.lan/t?token=not-a-token", "?token=tk_")]
    [InlineData("ntfy://ntfy.lan/t?token=tk_a%0D%0AX-Evil:%201", "?token=tk_")]
    [InlineData("ntfy://ntfy.lan/dotted.topic", "a topic is 1 to 64")]
    public void A_bad_url_is_refused_with_the_form_expected(string url, string says)
    {
        Assert.False(NotificationUrl.TryParse(url, out _, out var error));
        Assert.Contains(says, error, StringComparison.Ordinal);
    }

    [Fact]
    public void The_configuration_names_each_bad_field_of_a_target()
    {
        var errors = ConfigLimits.Validate(new AutoHealConfig
        {
            Notifications = new NotificationsConfig
            {
                Webhooks =
                [
                    new WebhookConfig { Name = "ok", Url = "ntfy://ntfy.lan/alerts", Events = ["heal_scheduled", "started", "stopping"] },
                    new WebhookConfig { Name = "bad-url", Url = "tgram://nope" },
                    new WebhookConfig { Name = "bad-severity", Url = "gotify://g.lan/T", MinSeverity = "loud" },
                    new WebhookConfig { Name = "bad-prefix", Url = "gotify://g.lan/T", Prefix = "two\nlines" },
                    new WebhookConfig { Name = "bad-format", Url = "https://h.example.com/x", Format = "teams" },
                    new WebhookConfig { Name = "format-ignored", Url = "pover://u@a", Format = "teams" },
                    new WebhookConfig { Name = "bad-kind", Url = "pover://u@a", Events = ["everything"] },
                ],
            },
        });

        Assert.Equal(
            ["notifications.webhooks[1].url", "notifications.webhooks[2].min_severity", "notifications.webhooks[3].prefix", "notifications.webhooks[4].format", "notifications.webhooks[6].events"],
            errors.Keys.Order(StringComparer.Ordinal).ToArray());
        Assert.Contains("tgram://bot_token/chat_id", errors["notifications.webhooks[1].url"][0], StringComparison.Ordinal);
    }

    [Fact]
    public void A_masked_url_sent_back_keeps_the_stored_one_only_for_the_same_scheme_and_host()
    {
        var stored = new AutoHealConfig { Notifications = new() { Webhooks = [new() { Name = "phone", Url = "ntfys://alice:pw@ntfy.example.com/secret" }] } };
        AutoHealConfig Back(string url) => SettingsService.Unmask(stored with { Notifications = new() { Webhooks = [new() { Name = "phone", Url = url }] } }, stored);

        Assert.Equal("ntfys://alice:pw@ntfy.example.com/secret", Back("ntfys://ntfy.example.com/***").Notifications.Webhooks[0].Url);
        var other = Back("ntfys://ntfy.evil.example/***");
        Assert.Equal("ntfys://ntfy.evil.example/***", other.Notifications.Webhooks[0].Url); // not guessed...
        Assert.True(ConfigLimits.Validate(other).ContainsKey("notifications.webhooks[0].url")); // ...refused, by field
    }

    [Theory]
    [InlineData("quarantined", "critical")]
    [InlineData("heal_failed", "critical")]
    [InlineData("engine_down", "critical")]
    [InlineData("heal_scheduled", "warning")]
    [InlineData("storm", "warning")]
    [InlineData("healed", "info")]
    [InlineData("started", "info")]
    public void Each_kind_has_a_severity(string kind, string severity) => Assert.Equal(severity, WebhookConfig.SeverityOf(kind));
}
