namespace AutoHeal.Host;

/// <summary><c>autoheal --help</c> and <c>--version</c>: printed, and nothing started.</summary>
internal static class Usage
{
    /// <summary>The product version (the API's, as <c>/api/status</c> reports it).</summary>
    public static string Version => Api.ApiModule.Version;

    /// <summary>The text for <paramref name="args"/> when they ask for help or the version; null otherwise (start).</summary>
    public static string? For(string[] args)
    {
        // Options, or a first word: never the value of a setting (--AutoHeal:Docker:HostName version).
        if (args.Any(a => a is "--help" or "-h" or "-?") || args is ["help", ..])
        {
            return Help;
        }

        return args.Any(a => a is "--version") || args is ["version", ..] ? $"autoheal {Version}" : null;
    }

    private static string Help => $"""
        autoheal {Version}: watches a Docker engine and heals containers that crash or turn unhealthy.

        Usage: autoheal [--urls http://127.0.0.1:8080] [--roles all] [--Section:Key=value ...]
               autoheal health [http://127.0.0.1:8080/health]   exit 0 when a running AutoHeal is healthy (a container health check)
               autoheal --help | --version

        Roles and transport:
          --roles all                       every role in one process, state in SQLite (embedded mode, the default)
          --roles watcher,healer,api,ui     a subset runs on Dapr (one watcher per Docker host)
          --transport embedded|dapr         embedded for all roles, dapr for a subset

        Where things are:
          --urls http://127.0.0.1:8080      where the API, the dashboard (/) and the API docs (/docs) listen (default: port 8080)
          --AutoHeal:DataDir=./data         the data folder, from the current directory: autoheal.db (state, events)
                                            and api-token (generated on first start unless AutoHeal:Api:Token is set)
          --AutoHeal:Docker:Endpoint=...    the engine (default: DOCKER_HOST, else unix:///var/run/docker.sock)

        Settings people change most (also as environment variables: AutoHeal__Restart__CooldownSeconds=30):
          --AutoHeal:Monitor:IncludeAll=true               monitor every container, not only those labelled autoheal=true
          --AutoHeal:Monitor:LabelKey=autoheal             the opt-in label (with LabelValue, default true)
          --AutoHeal:Restart:CooldownSeconds=10            least time between two heals of one container
          --AutoHeal:Restart:MaxRestarts=5                 heals allowed within MaxRestartsWindowSeconds (600) before quarantine
          --AutoHeal:Restart:StopTimeoutSeconds=10         Docker's stop timeout on restart
          --AutoHeal:Restart:MaxConcurrentRestarts=4       restarts in flight at once on this host
          --AutoHeal:Restart:StormThreshold=5              more containers failing within StormWindowSeconds (60) is a storm; 0: off
          --AutoHeal:Api:Token=...                         the API's bearer token (at least 16 characters)

        Every setting, the labels and the API: README.md, and http://localhost:8080/docs once it runs.
        """;
}
