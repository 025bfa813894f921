namespace AutoHeal.Dapr.Tests.Fakes;

/// <summary>
/// The guardians a heal reports to, recording every report and every heal job they decide on. By themselves they
/// answer as a guardian does (the pure <see cref="Guardian.Decide"/> over their state in memory, so a
/// <see cref="HealStep.BeginRestart"/> is answered with the job now restarting); given an <c>inner</c> guardian (the
/// embedded mailboxes) they pass everything on to it. A test can make them refuse <see cref="HealStep.BeginRestart"/>,
/// as a guardian does that called the heal off in the meantime.
/// </summary>
internal sealed class WorkflowRecordingGuardians(ISettingsSource settings, TimeProvider time, IGuardians? inner = null) : IGuardians
{
    private readonly Lock _lock = new();
    private readonly Dictionary<ContainerKey, GuardianState> _states = [];
    private readonly Recorded<HealReport> _reports = new();
    private readonly Recorded<(HealReport Report, bool Accepted)> _answers = new();
    private readonly Recorded<HealJob> _jobs = new();

    /// <summary>When true, every <see cref="HealStep.BeginRestart"/> is answered "not accepted" (and not passed on).</summary>
    public bool RefuseBeginRestart { get; set; }

    /// <summary>When true, every <see cref="HealStep.BeginRestart"/> fails, as a guardian that cannot save it does.</summary>
    public bool FailBeginRestart { get; set; }

    /// <summary>Every report, in the order received.</summary>
    public IReadOnlyList<HealReport> Reports => _reports.Items;

    /// <summary>Every answered report with whether the guardian took it.</summary>
    public IReadOnlyList<(HealReport Report, bool Accepted)> Answers => _answers.Items;

    /// <summary>Every heal job a guardian decided to start, in order.</summary>
    public IReadOnlyList<HealJob> Jobs => _jobs.Items;

    /// <summary>Runs on each report, before it is decided (what else happens to the container at that moment).</summary>
    public Action<HealReport>? OnReport { get; set; }

    public async Task<GuardianResult> TellAsync(GuardianInput input, CancellationToken cancellationToken)
    {
        if (input is HealReport report)
        {
            _reports.Add(report);
            OnReport?.Invoke(report);
        }

        if (FailBeginRestart && input is HealReport { Step: HealStep.BeginRestart })
        {
            throw new IOException("disk full");
        }

        GuardianResult result;
        if (RefuseBeginRestart && input is HealReport { Step: HealStep.BeginRestart })
        {
            result = new GuardianResult(await GetAsync(input.Key, cancellationToken) ?? GuardianState.New(input.Key), [], [], Accepted: false);
        }
        else if (inner is not null)
        {
            result = await inner.TellAsync(input, cancellationToken);
        }
        else
        {
            lock (_lock)
            {
                var before = _states.TryGetValue(input.Key, out var known) ? known : GuardianState.New(input.Key);
                result = Guardian.Decide(before, input, settings.Policy, time.GetUtcNow());
                _states[input.Key] = result.State;
            }
        }

        _jobs.AddRange(result.Decisions.OfType<StartHeal>().Select(s => s.Job));
        if (input is HealReport answered)
        {
            _answers.Add((answered, result.Accepted));
        }

        return result;
    }

    public Task<GuardianState?> GetAsync(ContainerKey key, CancellationToken cancellationToken)
    {
        if (inner is not null)
        {
            return inner.GetAsync(key, cancellationToken);
        }

        lock (_lock)
        {
            return Task.FromResult(_states.TryGetValue(key, out var state) ? state : null);
        }
    }

    public Task<IReadOnlyDictionary<ContainerKey, GuardianState>> GetManyAsync(IReadOnlyCollection<ContainerKey> keys, CancellationToken cancellationToken)
    {
        if (inner is not null)
        {
            return inner.GetManyAsync(keys, cancellationToken);
        }

        lock (_lock)
        {
            return Task.FromResult<IReadOnlyDictionary<ContainerKey, GuardianState>>(
                _states.Where(kv => keys.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value));
        }
    }
}
