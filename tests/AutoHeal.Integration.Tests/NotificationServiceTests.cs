using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace AutoHeal.Integration.Tests;

/// <summary>
/// Each notification service reached as its API documents it: a receiver on 127.0.0.1 speaks ntfy, Gotify, Apprise,
/// the Telegram Bot API and Pushover (the last two through AutoHeal's <c>TelegramApi</c>/<c>PushoverApi</c> settings,
/// as for a self-hosted Bot API server), and a real SMTP server (aiosmtpd) takes the email.
/// </summary>
public sealed class NotificationServiceTests(EngineFixture engine) : WithOwnAutoHeal(engine)
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(40);
    private readonly WebhookReceiver _receiver = new();

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await RestartWithAsync(new Dictionary<string, string>(QuarantineAfter(1))
        {
            ["AutoHeal:Notifications:TelegramApi"] = $"http://127.0.0.1:{_receiver.Port}/telegram/",
            ["AutoHeal:Notifications:PushoverApi"] = $"http://127.0.0.1:{_receiver.Port}/pushover/",
        });
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _receiver.Dispose();
    }

    private string Port => _receiver.Port.ToString(CultureInfo.InvariantCulture);

    // For targets only tested: a kind these tests never cause (the engine's own "engine up" may come at any time after a start).
    private static readonly string[] Quiet = ["quarantined"];

    [Fact]
    public async Task Every_service_gets_the_request_its_api_documents_with_the_priority_of_the_kind()
    {
        await using var smtp = await SmtpSink.StartAsync();
        var kinds = new[] { "heal_scheduled", "quarantined" };
        await Api.PutConfigAsync(new
        {
            notifications = new
            {
                webhooks = new[]
                {
                    new { name = "ntfy", url = $"ntfy://alice:s3cret@127.0.0.1:{Port}/autoheal-alerts", events = kinds, prefix = "[home]" },
                    new { name = "gotify", url = $"gotify://127.0.0.1:{Port}/gotify/AppT0ken1", events = kinds, prefix = "" },
                    new { name = "telegram", url = "tgram://123456789:AAbbCC-dd_ee/-1001234567890", events = kinds, prefix = "" },
                    new { name = "pushover", url = "pover://uUserKey123@aAppToken456", events = kinds, prefix = "" },
                    new { name = "apprise", url = $"apprise://127.0.0.1:{Port}/apprise/my-key?tags=ops", events = kinds, prefix = "" },
                    new { name = "email", url = $"mailto://127.0.0.1:{smtp.Port}?to=ops@example.com,oncall@example.com&from=autoheal@example.com&secure=none", events = kinds, prefix = "" },
                },
            },
        });
        var name = Docker.Name("svc-all");
        await Docker.StartAsync(name, "rm -f /tmp/crash; echo 'payments: lost the database at 10.0.0.5'; while [ ! -f /tmp/crash ]; do sleep 0.1; done; exit 9", Autoheal.OptIn);
        await Eventually.HoldsAsync(async () => (await Api.ListContainersAsync()).Any(c => c.Name == name), Soon, "listed");

        // Down: healing starts (told quietly); down again within the window: quarantined (told loudly).
        await DockerCli.TriggerCrashAsync(name);
        await Eventually.HoldsAsync(async () => (await Api.GetEventsAsync(container: name, kind: "healed")).Items.Count == 1, Soon, "the heal");
        await Eventually.HoldsAsync(async () => await DockerCli.StateAsync(name) == "running", Soon, "running");
        await DockerCli.TriggerCrashAsync(name);
        await Eventually.HoldsAsync(() => Task.FromResult(_receiver.Received.Count(r => r.Ok) == 10 && smtp.Messages.Count == 2), Soon,
            () => $"two alerts to each service; got {string.Join(", ", _receiver.Received.Select(r => $"{r.Path} {(r.Ok ? "ok" : "refused")}"))} and {smtp.Messages.Count} email(s)");

        ReceivedRequest One(string path, string kind) => Assert.Single(_receiver.Received,
            r => r.Path == path && (r.Body.Contains(kind, StringComparison.Ordinal) || Uri.UnescapeDataString(r.Body.Replace('+', ' ')).Contains(kind, StringComparison.Ordinal)));

        // ntfy: JSON to the root URL (docs.ntfy.sh/publish/#publish-as-json), basic auth, priority 1 to 5.
        var ntfyStart = One("/", "heal scheduled").Json;
        var ntfyEnd = One("/", "quarantined");
        Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:s3cret")), ntfyEnd.Headers["Authorization"]);
        Assert.Equal("autoheal-alerts", ntfyEnd.Json.GetProperty("topic").GetString());
        Assert.Equal((2, 5), (ntfyStart.GetProperty("priority").GetInt32(), ntfyEnd.Json.GetProperty("priority").GetInt32()));
        Assert.StartsWith("[home] AutoHeal: ", ntfyEnd.Json.GetProperty("title").GetString(), StringComparison.Ordinal);
        Assert.EndsWith($"/{name} quarantined", ntfyEnd.Json.GetProperty("title").GetString(), StringComparison.Ordinal);
        Assert.Contains("payments: lost the database", ntfyEnd.Json.GetProperty("message").GetString(), StringComparison.Ordinal); // its last words

        // Gotify: POST /message with the application token in X-Gotify-Key, priority 0 to 10.
        var gotifyEnd = One("/gotify/message", "quarantined");
        Assert.Equal("AppT0ken1", gotifyEnd.Headers["X-Gotify-Key"]);
        Assert.Equal((2, 9), (One("/gotify/message", "heal scheduled").Json.GetProperty("priority").GetInt32(), gotifyEnd.Json.GetProperty("priority").GetInt32()));
        Assert.Contains("payments: lost the database", gotifyEnd.Json.GetProperty("message").GetString(), StringComparison.Ordinal);

        // Telegram Bot API: POST /bot<token>/sendMessage, chat_id and text; "healing started" without a sound.
        const string Bot = "/telegram/bot123456789:AAbbCC-dd_ee/sendMessage";
        var telegramEnd = One(Bot, "quarantined").Json;
        Assert.Equal("-1001234567890", telegramEnd.GetProperty("chat_id").GetString());
        Assert.Equal((true, false), (One(Bot, "heal scheduled").Json.GetProperty("disable_notification").GetBoolean(), telegramEnd.GetProperty("disable_notification").GetBoolean()));
        Assert.False(telegramEnd.TryGetProperty("parse_mode", out _)); // plain text: nothing a container wrote is markup

        // Pushover: form fields token, user, message, title, priority -2 to 2.
        var pushoverEnd = One("/pushover/1/messages.json", "quarantined").Form;
        Assert.Equal(("aAppToken456", "uUserKey123"), (pushoverEnd["token"], pushoverEnd["user"]));
        Assert.Equal(("-1", "1"), (One("/pushover/1/messages.json", "heal scheduled").Form["priority"], pushoverEnd["priority"]));
        Assert.Contains(name, pushoverEnd["title"], StringComparison.Ordinal);

        // Apprise API: POST /notify/{key} with title, body, type and tag.
        var appriseEnd = One("/apprise/notify/my-key", "quarantined").Json;
        Assert.Equal(("failure", "ops"), (appriseEnd.GetProperty("type").GetString(), appriseEnd.GetProperty("tag").GetString()));
        Assert.Equal("info", One("/apprise/notify/my-key", "heal scheduled").Json.GetProperty("type").GetString());

        // Email through a real SMTP server: both recipients, the subject is the title, the body has the last words.
        var mail = Assert.Single(smtp.Messages, m => m.GetProperty("headers").GetProperty("Subject").GetString()!.EndsWith("quarantined", StringComparison.Ordinal));
        Assert.Equal(["ops@example.com", "oncall@example.com"], mail.GetProperty("rcpt_tos").EnumerateArray().Select(e => e.GetString()!).ToArray());
        Assert.Equal("autoheal@example.com", mail.GetProperty("mail_from").GetString());
        Assert.Equal("high", mail.GetProperty("headers").GetProperty("Importance").GetString());
        Assert.Contains("payments: lost the database", mail.GetProperty("body").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refusing_service_s_own_words_come_back_from_the_test_at_once()
    {
        _receiver.Answer = r => r.Path switch
        {
            // Each service's documented error body.
            var p when p.StartsWith("/telegram/", StringComparison.Ordinal) => (400, """{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}"""),
            "/gotify/message" => (401, """{"error":"Unauthorized","errorCode":401,"errorDescription":"you need to provide a valid access token or user credentials to access this api"}"""),
            "/pushover/1/messages.json" => (400, """{"user":"invalid","errors":["user identifier is not a valid user, group, or subscribed user key"],"status":0,"request":"5042853c-402d-4a18-abcb-168734a801de"}"""),
            "/" => (403, """{"code":40301,"http":403,"error":"forbidden","link":"https://ntfy.sh/docs/publish/#authentication"}"""),
            _ => null,
        };
        await Api.PutConfigAsync(new
        {
            notifications = new
            {
                max_attempts = 4,
                webhooks = new[]
                {
                    new { name = "telegram", url = "tgram://123456789:AAbbCC-dd_ee/-100999", events = Quiet },
                    new { name = "gotify", url = $"gotify://127.0.0.1:{Port}/gotify/WrongToken", events = Quiet },
                    new { name = "pushover", url = "pover://uNobody@aAppToken456", events = Quiet },
                    new { name = "ntfy", url = $"ntfy://127.0.0.1:{Port}/private-topic", events = Quiet },
                },
            },
        });

        var results = (await Api.TestNotificationAsync()).ToDictionary(r => r.Webhook);

        Assert.Equal("answered 400: Bad Request: chat not found", results["telegram"].Error);
        Assert.Equal("answered 401: you need to provide a valid access token or user credentials to access this api", results["gotify"].Error);
        Assert.Equal("answered 400: user identifier is not a valid user, group, or subscribed user key", results["pushover"].Error);
        Assert.Equal("answered 403: forbidden", results["ntfy"].Error);
        Assert.All(results.Values, r => Assert.False(r.Delivered));

        // A real alert refused (4xx) is not retried, whatever max_attempts says: one more request, then the failing is told.
        await Api.PutConfigAsync(new
        {
            notifications = new { max_attempts = 4, webhooks = new[] { new { name = "telegram", url = "tgram://123456789:AAbbCC-dd_ee/-100999", events = new[] { "maintenance_started" } } } },
        });
        await Api.StartMaintenanceAsync(new HoldRequest(600, "upgrade"));
        var failed = await Eventually.ValueAsync(async () => (await Api.GetEventsAsync(kind: "notification_failed")).Items is { Count: > 0 } items ? items : null, Soon, "the refusal reported");
        Assert.Contains("chat not found", Assert.Single(failed).Message, StringComparison.Ordinal);
        Assert.Equal(5, _receiver.Received.Count);
        await Api.EndMaintenanceAsync();
    }

    [Fact]
    public async Task Credentials_in_every_kind_of_url_are_masked_in_reads_exports_and_logs_and_kept_when_sent_back()
    {
        await Api.PutConfigAsync(new
        {
            notifications = new
            {
                webhooks = new object[]
                {
                    new { name = "ntfy", url = $"ntfy://alice:Pa55word@127.0.0.1:{Port}/s3cret-topic", events = Quiet },
                    new { name = "telegram", url = "tgram://123456789:AAsecretBotToken/-100123", events = Quiet },
                    new { name = "pushover", url = "pover://uSecretUser@aSecretApp", events = Quiet },
                    new { name = "email", url = "mailto://bob:MailPa55@127.0.0.1:2525?to=ops@example.com&secure=none", events = Quiet },
                },
            },
        });

        var shown = (await Api.GetConfigAsync()).Notifications.Webhooks.ToDictionary(w => w.Name, w => w.Url);
        var export = await (await Api.ExportConfigAsync()).Content.ReadAsStringAsync();
        Assert.Equal($"ntfy://127.0.0.1:{Port}/***", shown["ntfy"]);
        Assert.Equal("tgram://***", shown["telegram"]);
        Assert.Equal("pover://***", shown["pushover"]);
        Assert.Equal("mailto://127.0.0.1:2525/***", shown["email"]);
        string[] secrets = ["Pa55word", "s3cret-topic", "AAsecretBotToken", "uSecretUser", "aSecretApp", "MailPa55"];
        Assert.All(secrets, s => Assert.DoesNotContain(s, export, StringComparison.Ordinal));

        // The read sent back as it is: every stored URL kept; the test reaches ntfy with the real topic and password.
        using var content = new StringContent(export, Encoding.UTF8, "application/json");
        await Api.ImportConfigAsync(content);
        var ntfy = Assert.Single(await Api.TestNotificationAsync("ntfy"));
        Assert.True(ntfy.Delivered, ntfy.Error);
        var got = Assert.Single(_receiver.Received);
        Assert.Equal("s3cret-topic", got.Json.GetProperty("topic").GetString());
        Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:Pa55word")), got.Headers["Authorization"]);
        Assert.All(secrets, s => Assert.DoesNotContain(Autoheal.Lines, l => l.Contains(s, StringComparison.Ordinal)));

        // A masked URL of another host for that name is refused, naming the field; nothing changes.
        var refused = await Assert.ThrowsAnyAsync<Refit.ValidationApiException>(() => Api.PutConfigAsync(new
        {
            notifications = new { webhooks = new[] { new { name = "ntfy", url = "ntfy://ntfy.example.net/***" } } },
        }));
        Assert.True(refused.Content!.Errors.ContainsKey("notifications.webhooks[0].url"));
        Assert.Equal(4, (await Api.GetConfigAsync()).Notifications.Webhooks.Count);
    }

    [Fact]
    public async Task A_target_that_keeps_failing_is_reported_once_until_it_delivers_again()
    {
        var down = true;
        _receiver.Answer = _ => down ? (503, """{"error":"ntfy is down for maintenance"}""") : null;
        await Api.PutConfigAsync(new
        {
            notifications = new
            {
                max_attempts = 2,
                fold_seconds = 0,
                webhooks = new[] { new { name = "phone", url = $"ntfy://127.0.0.1:{Port}/ops", events = new[] { "maintenance_started", "maintenance_ended" } } },
            },
        });

        // The first alert refused, twice: the target is failing, said once.
        await Api.StartMaintenanceAsync(new HoldRequest(600, "upgrade"));
        var failed = await Eventually.ValueAsync(async () => (await Api.GetEventsAsync(kind: "notification_failed")).Items is { Count: > 0 } items ? items : null, Soon, "the failing reported");
        Assert.Equal(2, _receiver.Received.Count);

        // Three more refused: one attempt each (a dead target holds no slot through its backoff), not said again.
        await Api.EndMaintenanceAsync();
        await Api.StartMaintenanceAsync(new HoldRequest(600, "upgrade"));
        await Api.EndMaintenanceAsync();
        await Eventually.HoldsAsync(() => Task.FromResult(_receiver.Received.Count == 5), Soon, () => $"every attempt; got {_receiver.Received.Count}");
        await Autoheal.WaitForLogAsync("(the target is reported failing already)", Soon);
        Assert.Contains("'phone'", Assert.Single(failed).Message, StringComparison.Ordinal);
        Assert.Contains("ntfy is down for maintenance", failed[0].Message, StringComparison.Ordinal);
        Assert.Single(Autoheal.Lines, l => l.Contains("The target is failing", StringComparison.Ordinal));

        down = false;
        await Api.StartMaintenanceAsync(new HoldRequest(600, "again"));
        await Autoheal.WaitForLogAsync("Notification phone: delivering again", Soon);
        Assert.Single((await Api.GetEventsAsync(kind: "notification_failed")).Items);
    }

    [Fact]
    public async Task Start_and_shutdown_notices_go_to_the_targets_that_ask_with_a_prefix_and_min_severity()
    {
        await Api.PutConfigAsync(new
        {
            notifications = new
            {
                webhooks = new object[]
                {
                    new { name = "lifecycle", url = $"gotify://127.0.0.1:{Port}/life/T0ken", events = new[] { "started", "stopping", "maintenance_started" }, prefix = "[nas]" },
                    new { name = "critical-only", url = $"gotify://127.0.0.1:{Port}/crit/T0ken", events = new[] { "started", "stopping", "maintenance_started" }, min_severity = "critical" },
                },
            },
        });
        await Api.StartMaintenanceAsync(new HoldRequest(600, "upgrade"));
        await Eventually.HoldsAsync(() => Task.FromResult(_receiver.Received.Any(r => r.Path == "/life/message")), Soon, "maintenance told");

        await Autoheal.StopAsync();
        var stopping = Assert.Single(_receiver.Received, r => r.Path == "/life/message" && r.Body.Contains("stopping", StringComparison.Ordinal)).Json;
        Assert.StartsWith("[nas] AutoHeal: ", stopping.GetProperty("title").GetString(), StringComparison.Ordinal);

        var again = Autoheal.OnSameData();
        await using (again)
        {
            await again.StartAsync();
            static bool StartNotice(ReceivedRequest r) => r.Path == "/life/message" && r.Json.GetProperty("title").GetString() == "[nas] AutoHeal: " + r.Json.GetProperty("title").GetString()!.Split(' ')[2] + " started";
            await Eventually.HoldsAsync(() => Task.FromResult(_receiver.Received.Any(StartNotice)), Soon, "the start notice");
            Assert.Contains("started", Assert.Single(_receiver.Received, StartNotice).Json.GetProperty("message").GetString(), StringComparison.Ordinal);
            await again.Api.EndMaintenanceAsync();
        }

        Assert.DoesNotContain(_receiver.Received, r => r.Path == "/crit/message"); // none of those is critical
    }

    [Fact]
    public async Task Teams_and_the_secure_schemes_go_over_tls_to_the_host_in_the_url()
    {
        using var tls = new TlsReceiver();
        await RestartWithAsync(null, p => p.Environment["SSL_CERT_FILE"] = tls.CaFile); // trusts this test's CA
        var at = $"127.0.0.1:{tls.Port.ToString(CultureInfo.InvariantCulture)}";
        await Api.PutConfigAsync(new
        {
            notifications = new
            {
                webhooks = new[]
                {
                    new { name = "teams", url = $"msteams://{at}/workflows/abc123/triggers/manual/paths/invoke?api-version=2016-06-01&sig=S1gnature", events = Quiet },
                    new { name = "ntfys", url = $"ntfys://{at}/tls-topic", events = Quiet },
                    new { name = "gotifys", url = $"gotifys://{at}/AppT0ken", events = Quiet },
                    new { name = "apprises", url = $"apprises://{at}/cfg-key", events = Quiet },
                },
            },
        });

        var results = await Api.TestNotificationAsync();

        Assert.All(results, r => Assert.True(r.Delivered, $"{r.Webhook}: {r.Error}"));
        // A Teams workflow's webhook: POST to the URL as given (https), a message carrying an Adaptive Card.
        var teams = Assert.Single(tls.Received, r => r.Path == "/workflows/abc123/triggers/manual/paths/invoke");
        Assert.Contains("sig=S1gnature", teams.Query, StringComparison.Ordinal);
        var attachment = teams.Json.GetProperty("attachments")[0];
        Assert.Equal(("message", "application/vnd.microsoft.card.adaptive"), (teams.Json.GetProperty("type").GetString(), attachment.GetProperty("contentType").GetString()));
        var card = attachment.GetProperty("content");
        Assert.Equal("AdaptiveCard", card.GetProperty("type").GetString());
        Assert.StartsWith("AutoHeal: ", card.GetProperty("body")[0].GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Contains("test notification", card.GetProperty("body")[1].GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Equal("tls-topic", Assert.Single(tls.Received, r => r.Path == "/").Json.GetProperty("topic").GetString());
        Assert.Equal("AppT0ken", Assert.Single(tls.Received, r => r.Path == "/message").Headers["X-Gotify-Key"]);
        Assert.Single(tls.Received, r => r.Path == "/notify/cfg-key");
    }

    [Fact]
    public async Task Email_goes_over_starttls_with_a_login_by_default_and_a_wrong_password_is_said()
    {
        using var tls = new TlsReceiver(); // its CA signs the SMTP server's certificate
        await RestartWithAsync(null, p => p.Environment["SSL_CERT_FILE"] = tls.CaFile);
        await using var smtp = await SmtpSink.StartAsync(tls, ("alerts@example.com", "app-pa55word"));
        var server = $"127.0.0.1:{smtp.Port.ToString(CultureInfo.InvariantCulture)}";
        await Api.PutConfigAsync(new
        {
            notifications = new
            {
                webhooks = new[]
                {
                    new { name = "mail", url = $"mailto://alerts%40example.com:app-pa55word@{server}?to=ops@example.com", events = Quiet },
                    new { name = "wrong", url = $"mailto://alerts%40example.com:guess@{server}?to=ops@example.com", events = Quiet },
                },
            },
        });

        var results = (await Api.TestNotificationAsync()).ToDictionary(r => r.Webhook);

        Assert.True(results["mail"].Delivered, results["mail"].Error);
        var mail = Assert.Single(smtp.Messages);
        Assert.True(mail.GetProperty("tls").GetBoolean()); // STARTTLS: mailto's default
        Assert.Equal("alerts@example.com", mail.GetProperty("login").GetString());
        Assert.Equal("alerts@example.com", mail.GetProperty("mail_from").GetString()); // the login, with no from=
        Assert.False(results["wrong"].Delivered);
        Assert.StartsWith("the SMTP server refused the login", results["wrong"].Error, StringComparison.Ordinal);
        Assert.DoesNotContain("guess", results["wrong"].Error, StringComparison.Ordinal);
    }

    /// <summary>A real SMTP server on 127.0.0.1 (Debian's python3-aiosmtpd), printing each message it accepts as a JSON line.</summary>
    private sealed class SmtpSink : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly List<JsonElement> _messages = [];

        private SmtpSink(Process process, int port)
        {
            _process = process;
            Port = port;
        }

        public int Port { get; }

        public IReadOnlyList<JsonElement> Messages
        {
            get
            {
                lock (_messages)
                {
                    return [.. _messages];
                }
            }
        }

        /// <summary>Starts it; with <paramref name="tls"/>, STARTTLS (with that receiver's certificate) and a login as <paramref name="login"/> are required.</summary>
        public static async Task<SmtpSink> StartAsync(TlsReceiver? tls = null, (string User, string Password)? login = null)
        {
            const string Python = "/usr/bin/python3";
            var script = Path.Combine(AppContext.BaseDirectory, "Tools", "smtp-sink.py");
            var port = Loopback.FreePort();
            string[] secure = tls is null ? [] : [tls.CertificateFile, tls.KeyFile, login!.Value.User, login.Value.Password];
            var psi = new ProcessStartInfo(Python, [script, port.ToString(CultureInfo.InvariantCulture), .. secure])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            var process = Process.Start(psi) ?? throw new InvalidOperationException($"{Python} did not start");
            var sink = new SmtpSink(process, port);
            var ready = new TaskCompletionSource();
            var errors = new StringBuilder();
            process.ErrorDataReceived += (_, e) => { lock (errors) { errors.AppendLine(e.Data); } };
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data == "ready")
                {
                    ready.TrySetResult();
                }
                else if (e.Data is { Length: > 0 } line)
                {
                    lock (sink._messages)
                    {
                        sink._messages.Add(JsonDocument.Parse(line).RootElement.Clone());
                    }
                }
            };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            if (await Task.WhenAny(ready.Task, process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(15))) != ready.Task)
            {
                throw new InvalidOperationException($"The SMTP server did not start (scripts/test installs Debian's python3-aiosmtpd): {errors}");
            }

            return sink;
        }

        public async ValueTask DisposeAsync()
        {
            _process.Kill();
            await _process.WaitForExitAsync();
            _process.Dispose();
        }
    }
}
