using Microsoft.Extensions.Time.Testing;

namespace AutoHeal.Domain.Tests.Guardians;

/// <summary>
/// Feeds inputs one after another through <see cref="Guardian.Decide"/>, keeping the state between
/// them, on a fake clock. The engine's event time is the guardian's clock unless a test says otherwise.
/// It also plays the heal runner: <see cref="RunHeal"/> reports BeginRestart, Restarted and the outcome
/// with the id of the job the guardian started.
/// </summary>
internal sealed class Story
{
    public static readonly DateTimeOffset Start = new(2025, 1, 6, 12, 0, 0, TimeSpan.Zero);
    public static readonly ContainerKey Key = new("host-1", "web");
    public const string ContainerId = "c0ffee01";
    public const string ImageId = "sha256:image-1";

    private readonly FakeTimeProvider _time = new(Start);

    public Story(HealPolicy? policy = null)
    {
        Policy = policy ?? HealPolicy.Default;
        State = GuardianState.New(Key);
        Facts = Running();
    }

    public HealPolicy Policy { get; set; }

    /// <summary>A container that crashes and is not brought back by five heals in a row.</summary>
    public static Story QuarantinedAfterFiveFailedHeals(HealPolicy? policy = null)
    {
        var story = new Story(policy);
        story.Starts();
        story.Dies(exitCode: 1);
        for (var i = 0; i < 5; i++)
        {
            story.RunHeal(HealStep.VerifyFailed);
        }

        Assert.NotNull(story.State.Quarantine);
        return story;
    }

    public GuardianState State { get; private set; }

    /// <summary>What the watcher currently knows of the container; every signal carries it.</summary>
    public ContainerFacts Facts { get; set; }

    /// <summary>The result of the last input.</summary>
    public GuardianResult Last { get; private set; } = null!;

    public DateTimeOffset Now => _time.GetUtcNow();

    /// <summary>The heal job under way.</summary>
    public HealJob Job => State.ActiveHeal ?? throw new InvalidOperationException("no heal is under way");

    /// <summary>Every StartHeal decision handed out so far.</summary>
    public List<HealJob> Started { get; } = [];

    /// <summary>Every event emitted so far.</summary>
    public List<AutoHealEvent> Events { get; } = [];

    public static ContainerFacts Running(string id = ContainerId, string image = ImageId) => new()
    {
        Id = id,
        ImageId = image,
        Status = ContainerStatus.Running,
        Health = HealthStatus.None,
        StartedAt = Start,
        Monitored = true,
        SelectionReason = "label autoheal=true",
    };

    public Story Advance(TimeSpan by)
    {
        _time.Advance(by);
        return this;
    }

    public Story AdvanceSeconds(double seconds) => Advance(TimeSpan.FromSeconds(seconds));

    /// <summary>Moves the clock to <paramref name="at"/>, which must not be in the past.</summary>
    public Story AdvanceTo(DateTimeOffset at)
    {
        _time.Advance(at - Now);
        return this;
    }

    public GuardianResult Feed(GuardianInput input)
    {
        Last = Guardian.Decide(State, input, Policy, Now);
        State = Last.State;
        Started.AddRange(Last.Decisions.OfType<StartHeal>().Select(s => s.Job));
        Events.AddRange(Last.Events);
        return Last;
    }

    public GuardianResult Signal(SignalKind kind, DateTimeOffset? at = null, int? exitCode = null, string? detail = null) =>
        Feed(new ContainerSignal(Key, kind, at ?? Now, Facts) { ExitCode = exitCode, Detail = detail });

    /// <summary>The container starts (the engine's start event).</summary>
    public GuardianResult Starts(DateTimeOffset? at = null)
    {
        Facts = Facts with { Status = ContainerStatus.Running, StartedAt = at ?? Now, ExitCode = 0, OomKilled = false };
        return Signal(SignalKind.Started, at);
    }

    /// <summary>The container's process ends with <paramref name="exitCode"/> (the engine's die event).</summary>
    public GuardianResult Dies(int exitCode = 1, DateTimeOffset? at = null, bool oomKilled = false)
    {
        Facts = Facts with { Status = ContainerStatus.Exited, ExitCode = exitCode, OomKilled = oomKilled };
        return Signal(SignalKind.Died, at, exitCode);
    }

    /// <summary>Someone runs docker stop or kill.</summary>
    public GuardianResult StopRequested(DateTimeOffset? at = null) => Signal(SignalKind.StopRequested, at);

    public GuardianResult TurnsUnhealthy(DateTimeOffset? at = null, string? detail = null)
    {
        Facts = Facts with { HasHealthCheck = true, Health = HealthStatus.Unhealthy };
        return Signal(SignalKind.Unhealthy, at, detail: detail);
    }

    public GuardianResult TurnsHealthy(DateTimeOffset? at = null)
    {
        Facts = Facts with { HasHealthCheck = true, Health = HealthStatus.Healthy };
        return Signal(SignalKind.Healthy, at);
    }

    /// <summary>A reconcile sweep looks at the container as <see cref="Facts"/> describe it.</summary>
    public GuardianResult Observed() => Signal(SignalKind.Observed);

    public GuardianResult Report(HealStep step, string? jobId = null, DateTimeOffset? startedAt = null, string? detail = null) =>
        Feed(new HealReport(Key, jobId ?? Job.Id, step) { ContainerStartedAt = startedAt, Detail = detail });

    /// <summary>The heal runner waits for the job's due time and begins the restart.</summary>
    public GuardianResult BeginRestart()
    {
        if (Job.DueAt > Now)
        {
            AdvanceTo(Job.DueAt);
        }

        return Report(HealStep.BeginRestart);
    }

    /// <summary>Docker restarted the container; it started at the guardian's current time.</summary>
    public GuardianResult Restarted()
    {
        Facts = Facts with { Status = ContainerStatus.Running, StartedAt = Now, ExitCode = 0, OomKilled = false };
        return Report(HealStep.Restarted, startedAt: Now);
    }

    /// <summary>
    /// Runs the heal under way: waits for its due time, restarts (taking a second), verifies (a few
    /// more seconds), and reports <paramref name="outcome"/>.
    /// </summary>
    public GuardianResult RunHeal(HealStep outcome = HealStep.Healed)
    {
        BeginRestart();
        AdvanceSeconds(1);
        Restarted();
        AdvanceSeconds(2);
        return Report(outcome, detail: outcome == HealStep.Healed ? null : "not running after 60s");
    }

    public IReadOnlyList<HealJob> StartHeals => Last.Decisions.OfType<StartHeal>().Select(s => s.Job).ToList();

    public IReadOnlyList<CancelHeal> CancelHeals => Last.Decisions.OfType<CancelHeal>().ToList();

    public IReadOnlyList<EventKind> EventKinds => Last.Events.Select(e => e.Kind).ToList();

    /// <summary>The only job the last input started.</summary>
    public HealJob StartedJob => Assert.Single(StartHeals);
}
