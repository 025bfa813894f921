namespace AutoHeal.Dapr.Tests;

/// <summary>
/// The deployment files: every compose file is one <c>docker-compose config</c> accepts (Debian's
/// docker-compose, as <c>scripts/compose-check</c> installs it) with its mandatory settings and refuses
/// without any one of them (no default API token, the watcher's routes never open), and the Dapr
/// components and sidecars use the names the code uses (<see cref="DaprNames"/>), so a stack brought
/// up from them connects.
/// </summary>
public sealed class ComposeFilesTests
{
    private static readonly string Root = SurfaceAutoHealBinary.RepoRoot();

    // Example values only: the compose files refuse to start without them.
    private const string Secrets = "AUTOHEAL_APP_API_TOKEN=example-app-api-token-0123456789 AUTOHEAL_DAPR_API_TOKEN=example-dapr-api-token-0123456789 AUTOHEAL_REDIS_PASSWORD=example-redis-password-0123456789";
    private const string CentralEnvironment = "AUTOHEAL_API_TOKEN=example-api-token-0123456789 " + Secrets;
    private const string ConsulToken = "AUTOHEAL_CONSUL_TOKEN=example-consul-token-0123456789";
    private const string WatcherEnvironment = "AUTOHEAL_CENTRAL=192.0.2.10 AUTOHEAL_HOST=example AUTOHEAL_HOST_IP=192.0.2.20 " + Secrets + " " + ConsulToken;

    /// <summary>The secrets each role and sidecar gets, from the compose variable of each, with no default.</summary>
    private static readonly (string Variable, string Source)[] RoleSecrets = [("APP_API_TOKEN", "AUTOHEAL_APP_API_TOKEN"), ("DAPR_API_TOKEN", "AUTOHEAL_DAPR_API_TOKEN")];

    /// <summary>The compose files, and the environment each needs.</summary>
    public static TheoryData<string, string> ComposeFiles => new()
    {
        { "docker-compose.yml", CentralEnvironment },
        { "deploy/docker-compose.embedded.yml", "" },
        { "deploy/docker-compose.watcher.yml", WatcherEnvironment },
    };

    /// <summary>Each mandatory setting of a compose file, left out (or empty) on its own: the file, the variable, the environment without it.</summary>
    public static TheoryData<string, string, string> MandatorySettings => new()
    {
        { "docker-compose.yml", "AUTOHEAL_API_TOKEN", Without(CentralEnvironment, "AUTOHEAL_API_TOKEN") },
        { "docker-compose.yml", "AUTOHEAL_API_TOKEN", Without(CentralEnvironment, "AUTOHEAL_API_TOKEN") + " AUTOHEAL_API_TOKEN=" },
        { "docker-compose.yml", "AUTOHEAL_APP_API_TOKEN", Without(CentralEnvironment, "AUTOHEAL_APP_API_TOKEN") },
        { "docker-compose.yml", "AUTOHEAL_DAPR_API_TOKEN", Without(CentralEnvironment, "AUTOHEAL_DAPR_API_TOKEN") },
        { "docker-compose.yml", "AUTOHEAL_REDIS_PASSWORD", Without(CentralEnvironment, "AUTOHEAL_REDIS_PASSWORD") },
        { "deploy/docker-compose.watcher.yml", "AUTOHEAL_CENTRAL", Without(WatcherEnvironment, "AUTOHEAL_CENTRAL") },
        { "deploy/docker-compose.watcher.yml", "AUTOHEAL_HOST", Without(WatcherEnvironment, "AUTOHEAL_HOST") },
        { "deploy/docker-compose.watcher.yml", "AUTOHEAL_HOST_IP", Without(WatcherEnvironment, "AUTOHEAL_HOST_IP") },
        { "deploy/docker-compose.watcher.yml", "AUTOHEAL_APP_API_TOKEN", Without(WatcherEnvironment, "AUTOHEAL_APP_API_TOKEN") },
        { "deploy/docker-compose.watcher.yml", "AUTOHEAL_DAPR_API_TOKEN", Without(WatcherEnvironment, "AUTOHEAL_DAPR_API_TOKEN") },
        { "deploy/docker-compose.watcher.yml", "AUTOHEAL_REDIS_PASSWORD", Without(WatcherEnvironment, "AUTOHEAL_REDIS_PASSWORD") },
        { "deploy/docker-compose.watcher.yml", "AUTOHEAL_CONSUL_TOKEN", Without(WatcherEnvironment, "AUTOHEAL_CONSUL_TOKEN") },
    };

    [SkippableTheory]
    [MemberData(nameof(ComposeFiles))]
    public async Task Docker_compose_accepts_the_file(string file, string environment)
    {
        var env = Environment(environment);
        var result = await SurfaceCompose.DockerComposeAsync(Root, env, "-f", file, "config", "-q");
        SkipWithoutDockerCompose(result);

        Assert.True(result!.Value.Code == 0, $"docker-compose -f {file} config -q ({environment}) failed:\n{result.Value.Stderr}{result.Value.Stdout}");
    }

    [SkippableFact]
    public async Task With_the_consul_overlay_every_sidecar_resolves_app_ids_through_consul_and_consul_wants_its_token()
    {
        var files = (string[])["-f", "docker-compose.yml", "-f", "deploy/docker-compose.consul.yml"];
        var merged = await SurfaceCompose.DockerComposeAsync(Root, Environment(CentralEnvironment + " " + ConsulToken), [.. files, "config"]);
        SkipWithoutDockerCompose(merged);
        var refused = await SurfaceCompose.DockerComposeAsync(Root, Environment(CentralEnvironment), [.. files, "config", "-q"]);

        Assert.True(merged!.Value.Code == 0, merged.Value.Stderr);
        var services = SurfaceCompose.Services(merged.Value.Stdout);
        Assert.Contains("consul", services.Keys);
        foreach (var sidecar in (string[])["watcher-dapr", "healer-dapr", "api-dapr", "ui-dapr"])
        {
            // The overlay's Configuration replaces the single-host one at the same path.
            Assert.Contains(Path.Combine(Root, "deploy/dapr/consul") + ":/config:ro", SurfaceCompose.List(services[sidecar], "volumes"));
            Assert.Equal("consul:8500", SurfaceCompose.Map(services[sidecar], "environment").GetValueOrDefault("AUTOHEAL_CONSUL_ADDRESS"));
        }

        Assert.NotEqual(0, refused!.Value.Code);
        Assert.Contains("set AUTOHEAL_CONSUL_TOKEN", refused.Value.Stderr + refused.Value.Stdout, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task The_extra_watcher_file_refuses_to_start_without_the_central_host_and_its_own_name()
    {
        var result = await SurfaceCompose.DockerComposeAsync(Root, Environment(""), "-f", "deploy/docker-compose.watcher.yml", "config", "-q");
        SkipWithoutDockerCompose(result);

        Assert.NotEqual(0, result!.Value.Code);
        Assert.Matches("set AUTOHEAL_(CENTRAL|HOST) to", result.Value.Stderr + result.Value.Stdout);
    }

    [SkippableTheory]
    [MemberData(nameof(MandatorySettings))]
    public async Task A_compose_file_refuses_to_start_without_each_of_its_mandatory_settings(string file, string variable, string environment)
    {
        var result = await SurfaceCompose.DockerComposeAsync(Root, Environment(environment), "-f", file, "config", "-q");
        SkipWithoutDockerCompose(result);

        Assert.True(result!.Value.Code != 0, $"docker-compose -f {file} config -q ({environment}) accepted the file without {variable}");
        Assert.Matches($"set {variable}[: ]", result.Value.Stderr + result.Value.Stdout);
    }

    [Theory]
    [InlineData("docker-compose.yml")]
    [InlineData("deploy/docker-compose.watcher.yml")]
    public void The_tokens_have_no_default_and_every_role_and_its_sidecar_have_the_app_api_token(string file)
    {
        var services = SurfaceCompose.Services(File.ReadAllText(Path.Combine(Root, file)));

        foreach (var (name, block) in services)
        {
            var environment = SurfaceCompose.Map(block, "environment");
            if (environment.TryGetValue("AutoHeal__Api__Token", out var apiToken))
            {
                Assert.True(apiToken.StartsWith("${AUTOHEAL_API_TOKEN:?", StringComparison.Ordinal), $"{file}: {name}: AutoHeal__Api__Token {apiToken}, want ${{AUTOHEAL_API_TOKEN:?...}} (no default)");
            }

            foreach (var (variable, source) in RoleSecrets)
            {
                var value = environment.GetValueOrDefault(variable);
                if (name is "redis" or "placement" or "scheduler")
                {
                    Assert.True(value is null, $"{file}: {name}: {variable} is for the roles and their sidecars");
                }
                else
                {
                    // Every role guards the routes its sidecar calls with APP_API_TOKEN; every sidecar serves only its role, which sends DAPR_API_TOKEN.
                    Assert.True(value?.StartsWith("${" + source + ":?", StringComparison.Ordinal) == true, $"{file}: {name}: {variable} {value ?? "<missing>"}, want ${{{source}:?...}} (no default)");
                }
            }

            // Redis's password: for Redis itself and the sidecars (the components read it, envRef), never for a role.
            var password = environment.GetValueOrDefault("AUTOHEAL_REDIS_PASSWORD");
            if (name == "redis" || name.EndsWith("-dapr", StringComparison.Ordinal))
            {
                Assert.True(password?.StartsWith("${AUTOHEAL_REDIS_PASSWORD:?", StringComparison.Ordinal) == true, $"{file}: {name}: AUTOHEAL_REDIS_PASSWORD {password ?? "<missing>"}");
            }
            else
            {
                Assert.True(password is null, $"{file}: {name}: AUTOHEAL_REDIS_PASSWORD is for Redis and the sidecars");
            }
        }

        if (file == "docker-compose.yml")
        {
            Assert.Contains("AutoHeal__Api__Token", SurfaceCompose.Map(services["api"], "environment").Keys);
        }
        else
        {
            // The extra watcher serves no API.
            Assert.All(services, s => Assert.DoesNotContain("AutoHeal__Api__Token", SurfaceCompose.Map(s.Value, "environment").Keys));
        }
    }

    [Fact]
    public void Redis_placement_and_scheduler_are_published_on_loopback_unless_told_otherwise()
    {
        var services = SurfaceCompose.Services(File.ReadAllText(Path.Combine(Root, "docker-compose.yml")));

        foreach (var (service, port) in new[] { ("redis", 6379), ("placement", 50005), ("scheduler", 50006) })
        {
            var ports = SurfaceCompose.List(services[service], "ports");
            Assert.Single(ports);
            Assert.StartsWith("${AUTOHEAL_PUBLISH_ADDRESS:-127.0.0.1}:", ports[0], StringComparison.Ordinal);
            Assert.EndsWith($":{port}", ports[0], StringComparison.Ordinal);
        }

        // The extra watcher's sidecar port: on the address it advertises, which is mandatory.
        var watcher = SurfaceCompose.Services(File.ReadAllText(Path.Combine(Root, "deploy/docker-compose.watcher.yml")));
        Assert.Empty(SurfaceCompose.List(watcher["watcher"], "ports"));
        var published = Assert.Single(SurfaceCompose.List(watcher["watcher-dapr"], "ports"));
        Assert.StartsWith("${AUTOHEAL_HOST_IP:?", published, StringComparison.Ordinal);
        Assert.EndsWith(":50002:50002", published, StringComparison.Ordinal);
        Assert.StartsWith("${AUTOHEAL_HOST_IP:?", SurfaceCompose.Map(watcher["watcher-dapr"], "environment").GetValueOrDefault("DAPR_HOST_IP"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("components")]
    [InlineData("deploy/components-remote")]
    public void The_components_carry_the_names_the_code_uses_and_one_actor_state_store_of_its_own(string folder)
    {
        var pubsub = Read(folder, "pubsub.yaml");
        var state = Read(folder, "statestore.yaml");
        var actors = Read(folder, "actorstore.yaml");

        Assert.Equal(("Component", DaprNames.PubSub, "pubsub.redis"), SurfaceCompose.Resource(pubsub));
        Assert.Equal(("Component", DaprNames.StateStore, "state.redis"), SurfaceCompose.Resource(state));
        Assert.Equal(("Component", DaprNames.ActorStateStore, "state.redis"), SurfaceCompose.Resource(actors));
        // The actors' and workflows' state in a component of its own: the documents' breaker never fails their saves.
        var actorStores = Directory.GetFiles(Path.Combine(Root, folder), "*.yaml")
            .Where(f => SurfaceCompose.ComponentMetadata(File.ReadAllText(f)).GetValueOrDefault("actorStateStore") == "true")
            .Select(Path.GetFileName);
        Assert.Equal(["actorstore.yaml"], actorStores);
        Assert.All(new[] { pubsub, state, actors }, c => Assert.False(string.IsNullOrEmpty(SurfaceCompose.ComponentMetadata(c).GetValueOrDefault("redisHost"))));
        // Redis's password from the sidecar's environment (envRef: no value in the file).
        Assert.All(new[] { pubsub, state, actors }, c => Assert.Matches(@"- name: redisPassword\n\s+envRef: AUTOHEAL_REDIS_PASSWORD\n", c.Replace("\r", "", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("components")]
    [InlineData("deploy/components-remote")]
    public void Every_app_shares_the_state_stores_keys_and_signals_are_delivered_in_order(string folder)
    {
        var pubsub = SurfaceCompose.ComponentMetadata(Read(folder, "pubsub.yaml"));
        var state = SurfaceCompose.ComponentMetadata(Read(folder, "statestore.yaml"));

        // Dapr's default ("appid") would hide one role's documents from the others.
        Assert.Equal("name", state.GetValueOrDefault("keyPrefix"));
        // One message at a time; one a dead sidecar held is reclaimed, but only long after the retries of a message end
        // (a message being retried is never redelivered behind later ones); few held in a sidecar; streams bounded.
        Assert.Equal("1", pubsub.GetValueOrDefault("concurrency"));
        Assert.Equal("90m", pubsub.GetValueOrDefault("processingTimeout"));
        Assert.Equal("4", pubsub.GetValueOrDefault("queueDepth"));
        Assert.Equal("20000", pubsub.GetValueOrDefault("maxLenApprox"));
    }

    [Theory]
    [InlineData("components")]
    [InlineData("deploy/components-remote")]
    public void Resiliency_targets_name_the_actor_the_components_and_the_local_watcher_as_the_code_does(string folder)
    {
        var resiliency = Read(folder, "resiliency.yaml");

        Assert.Equal("Resiliency", SurfaceCompose.Resource(resiliency).Kind);
        Assert.Equal([DaprNames.ContainerActorType], SurfaceCompose.Keys(resiliency, "targets", "actors"));
        Assert.Equal([DaprNames.WatcherAppId("local")], SurfaceCompose.Keys(resiliency, "targets", "apps"));
        Assert.Equal(new[] { DaprNames.PubSub, DaprNames.StateStore, DaprNames.ActorStateStore }.Order(), SurfaceCompose.Keys(resiliency, "targets", "components").Order());
        Assert.Equal(["retry", "timeout"], SurfaceCompose.Keys(resiliency, "targets", "components", DaprNames.ActorStateStore, "outbound").Order()); // no breaker
    }

    [Fact]
    public void Every_sidecar_in_the_compose_file_reaches_placement_scheduler_the_components_and_its_app_by_name_under_its_apps_id()
    {
        var services = SurfaceCompose.Services(File.ReadAllText(Path.Combine(Root, "docker-compose.yml")));
        var expected = new Dictionary<string, (string App, string AppId, string Roles)>
        {
            ["watcher-dapr"] = ("watcher", DaprNames.WatcherAppId("local"), "watcher"),
            ["healer-dapr"] = ("healer", DaprNames.HealerAppId, "healer"),
            ["api-dapr"] = ("api", DaprNames.ApiAppId, "api"),
            ["ui-dapr"] = ("ui", "autoheal-ui", "ui"),
        };

        var sidecars = services.Where(s => SurfaceCompose.List(s.Value, "command") is ["./daprd", ..]).Select(s => s.Key).Order().ToList();
        Assert.Equal(expected.Keys.Order(), sidecars);
        foreach (var (sidecar, (app, appId, roles)) in expected)
        {
            var command = SurfaceCompose.List(services[sidecar], "command");
            string? Flag(string name) => command.SkipWhile(a => a != name).Skip(1).FirstOrDefault();

            Assert.True(Flag("--app-id") == appId, $"{sidecar}: --app-id {Flag("--app-id")}, want {appId}");
            Assert.True(Flag("--resources-path") == "/components", $"{sidecar}: --resources-path {Flag("--resources-path")}");
            Assert.True(Flag("--placement-host-address") == "placement:50005", $"{sidecar}: --placement-host-address {Flag("--placement-host-address")}");
            Assert.True(Flag("--scheduler-host-address") == "scheduler:50006", $"{sidecar}: --scheduler-host-address {Flag("--scheduler-host-address")}");
            Assert.DoesNotContain("--components-path", command); // deprecated
            Assert.True(Flag("--config") == "/config/config.yaml", $"{sidecar}: --config {Flag("--config")}");
            Assert.Contains("./components:/components:ro", SurfaceCompose.List(services[sidecar], "volumes"));
            Assert.Contains("./deploy/dapr:/config:ro", SurfaceCompose.List(services[sidecar], "volumes"));
            // Each by the other's service name, in namespaces of their own: either restarts without stranding the other (compose#6626).
            Assert.True(Flag("--app-channel-address") == app, $"{sidecar}: --app-channel-address {Flag("--app-channel-address")}, want {app}");
            var appEnvironment = SurfaceCompose.Map(services[app], "environment");
            Assert.Equal($"http://{sidecar}:3500", appEnvironment.GetValueOrDefault("DAPR_HTTP_ENDPOINT"));
            Assert.Equal($"http://{sidecar}:50001", appEnvironment.GetValueOrDefault("DAPR_GRPC_ENDPOINT"));
            Assert.All(new[] { app, sidecar }, s => Assert.Null(SurfaceCompose.Scalar(services[s], "network_mode")));
            // Never healed by AutoHeal, even with include_all: Docker's restart policy restarts them.
            Assert.All(new[] { app, sidecar }, s => Assert.Equal("true", SurfaceCompose.Map(services[s], "labels").GetValueOrDefault("autoheal.self")));
            Assert.Equal(["--roles", roles], SurfaceCompose.List(services[app], "command"));
        }

        Assert.Contains("placement", services.Keys);
        Assert.Contains("scheduler", services.Keys);
        Assert.Contains("redis", services.Keys);
    }

    [Theory]
    [InlineData("docker-compose.yml")]
    [InlineData("deploy/docker-compose.watcher.yml")]
    public void Only_the_watcher_gets_the_docker_socket(string file)
    {
        var services = SurfaceCompose.Services(File.ReadAllText(Path.Combine(Root, file)));

        var withSocket = services.Where(s => s.Value.Any(l => l.Contains("/var/run/docker.sock", StringComparison.Ordinal))).Select(s => s.Key).ToList();

        Assert.Equal(["watcher"], withSocket);
        Assert.Contains("/var/run/docker.sock:/var/run/docker.sock", SurfaceCompose.List(services["watcher"], "volumes"));
    }

    [Fact]
    public void The_extra_watchers_sidecar_joins_the_central_placement_and_scheduler_under_its_hosts_app_id()
    {
        var services = SurfaceCompose.Services(File.ReadAllText(Path.Combine(Root, "deploy/docker-compose.watcher.yml")));
        var command = SurfaceCompose.List(services["watcher-dapr"], "command");
        string? Flag(string name) => command.SkipWhile(a => a != name).Skip(1).FirstOrDefault();

        Assert.StartsWith(DaprNames.WatcherAppIdPrefix + "${AUTOHEAL_HOST", Flag("--app-id"), StringComparison.Ordinal);
        Assert.Equal("central-host:50005", Flag("--placement-host-address"));
        Assert.Equal("central-host:50006", Flag("--scheduler-host-address"));
        Assert.Equal("/components", Flag("--resources-path"));
        Assert.Equal("watcher", Flag("--app-channel-address"));
        Assert.Equal("/config/config.yaml", Flag("--config"));
        Assert.Contains("./components-remote:/components:ro", SurfaceCompose.List(services["watcher-dapr"], "volumes"));
        Assert.Contains("./dapr/consul:/config:ro", SurfaceCompose.List(services["watcher-dapr"], "volumes")); // found across hosts through Consul
        Assert.Equal("central-host:8500", SurfaceCompose.Map(services["watcher-dapr"], "environment").GetValueOrDefault("AUTOHEAL_CONSUL_ADDRESS"));
        Assert.Equal("http://watcher-dapr:3500", SurfaceCompose.Map(services["watcher"], "environment").GetValueOrDefault("DAPR_HTTP_ENDPOINT"));
        Assert.All(services, s => Assert.Null(SurfaceCompose.Scalar(s.Value, "network_mode")));
        Assert.Equal(["--roles", "watcher"], SurfaceCompose.List(services["watcher"], "command"));
    }

    [Fact]
    public void Every_dapr_image_and_the_end_to_end_script_default_to_the_one_runtime_the_readme_names()
    {
        // Dapr 1.19.1: the runtime release of the 1.19 SDK (later 1.17 and 1.18 patches fixed lost activity results,
        // lost scheduler reminders and workflows stuck RUNNING). Placement, scheduler and every sidecar must agree.
        var texts = new[] { "docker-compose.yml", "deploy/docker-compose.watcher.yml", "scripts/dapr-e2e" }.Select(f => File.ReadAllText(Path.Combine(Root, f)));
        var defaults = texts.SelectMany(t => System.Text.RegularExpressions.Regex.Matches(t, @"DAPR_VERSION:-([0-9.]+)\}").Select(m => m.Groups[1].Value)).ToList();

        Assert.True(defaults.Count >= 5, $"found {defaults.Count} defaults"); // the sidecars, placement, scheduler, the extra watcher's, the script's
        Assert.All(defaults, v => Assert.Equal("1.19.1", v));
        Assert.Contains("runtime 1.19.1 by default", File.ReadAllText(Path.Combine(Root, "README.md")), StringComparison.Ordinal);
    }

    private static string Read(string folder, string file) => File.ReadAllText(Path.Combine(Root, folder, file));

    // The compose files' own variables are unset unless given, so the host's environment cannot change the outcome.
    private static Dictionary<string, string?> Environment(string assignments)
    {
        var env = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var name in (string[])["AUTOHEAL_CENTRAL", "AUTOHEAL_HOST", "AUTOHEAL_HOST_IP", "AUTOHEAL_HOSTS", "AUTOHEAL_API_TOKEN", "AUTOHEAL_APP_API_TOKEN",
                     "AUTOHEAL_DAPR_API_TOKEN", "AUTOHEAL_REDIS_PASSWORD", "AUTOHEAL_CONSUL_TOKEN", "AUTOHEAL_PUBLISH_ADDRESS", "DAPR_VERSION", "CONSUL_VERSION", "COMPOSE_FILE", "COMPOSE_PROJECT_NAME"])
        {
            env[name] = null;
        }

        foreach (var pair in assignments.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var (k, v) = (pair[..pair.IndexOf('=', StringComparison.Ordinal)], pair[(pair.IndexOf('=', StringComparison.Ordinal) + 1)..]);
            env[k] = v;
        }

        return env;
    }

    private static string Without(string assignments, string name) =>
        string.Join(' ', assignments.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(a => !a.StartsWith(name + "=", StringComparison.Ordinal)));

    private static void SkipWithoutDockerCompose((int Code, string Stdout, string Stderr)? result)
    {
        const string reason = "docker-compose is not installed (Debian package docker-compose; scripts/compose-check installs it)";
        if (result is null)
        {
            Console.WriteLine($"ComposeFilesTests skipped: {reason}");
        }

        Skip.If(result is null, reason);
    }
}
