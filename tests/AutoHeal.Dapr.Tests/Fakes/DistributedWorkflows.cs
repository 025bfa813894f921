using System.Collections.Concurrent;
using Dapr.Workflow;
using Dapr.Workflow.Abstractions;

namespace AutoHeal.Dapr.Tests.Fakes;

/// <summary>
/// The workflow engine's part of the pipeline, without a sidecar: the actor's <see cref="IHealWorkflows"/> schedules
/// the real <see cref="HealWorkflow"/> in the background on a <see cref="DistributedWorkflowContext"/> (real time), with
/// the real activities: the watcher ones over <see cref="IHealHosts"/>, the report one over the healer's
/// <see cref="IGuardians"/> (the real <see cref="ActorGuardians"/>, set once the healer runs). As the Dapr client does,
/// an instance id is the job's (<see cref="DaprIds.Workflow"/>), scheduling an existing one fails, and terminating one
/// stops it at its next await (an activity already running finishes; its result is thrown away).
/// </summary>
internal sealed class DistributedHealWorkflows(IHealHosts watchers, ISettingsSource settings, TimeProvider time) : IHealWorkflows, IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, DistributedWorkflowRun> _runs = new(StringComparer.Ordinal);

    /// <summary>The guardians the report activity tells (the healer's); set before the first signal flows.</summary>
    public IGuardians? Guardians { get; set; }

    /// <summary>Every instance scheduled, in order.</summary>
    public IReadOnlyList<DistributedWorkflowRun> Runs => _runs.Values.OrderBy(r => r.Sequence).ToList();

    /// <summary>The instances of one container's heals, in order.</summary>
    public IReadOnlyList<DistributedWorkflowRun> For(ContainerKey key) => Runs.Where(r => r.Job.Key == key).ToList();

    public Task StartAsync(HealJob job, CancellationToken cancellationToken)
    {
        var guardians = Guardians ?? throw new InvalidOperationException("the workflow engine runs before the healer does");
        var id = DaprIds.Workflow(job.Id);
        var context = new DistributedWorkflowContext(id, time);
        context.AddHealActivities(new HealSteps(watchers, settings, time), guardians);
        var run = new DistributedWorkflowRun(_runs.Count, id, job, context);
        if (!_runs.TryAdd(id, run))
        {
            throw new InvalidOperationException($"a workflow instance with the id '{id}' exists already");
        }

        run.Start();
        return Task.CompletedTask;
    }

    public async Task<bool> EnsureAsync(HealJob job, CancellationToken cancellationToken)
    {
        if (_runs.TryGetValue(DaprIds.Workflow(job.Id), out var run))
        {
            return run.Status is not (WorkflowRuntimeStatus.Completed or WorkflowRuntimeStatus.Failed or WorkflowRuntimeStatus.Terminated);
        }

        await StartAsync(job, cancellationToken);
        return true;
    }

    public Task CancelAsync(ContainerKey key, string jobId, string reason, CancellationToken cancellationToken)
    {
        if (_runs.TryGetValue(DaprIds.Workflow(jobId), out var run))
        {
            run.Terminate(reason);
        }

        return Task.CompletedTask;
    }

    /// <summary>Terminates what still runs and waits for it to stop.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var run in _runs.Values)
        {
            run.Terminate("the test is over");
        }

        await Task.WhenAll(_runs.Values.Select(r => r.Completion));
    }
}

/// <summary>One workflow instance: its job, its context (the calls it made) and how it ended.</summary>
internal sealed class DistributedWorkflowRun(int sequence, string instanceId, HealJob job, DistributedWorkflowContext context)
{
    private readonly CancellationTokenSource _terminate = new();
    private volatile int _status = (int)WorkflowRuntimeStatus.Pending;

    public int Sequence { get; } = sequence;

    public string InstanceId { get; } = instanceId;

    public HealJob Job { get; } = job;

    public DistributedWorkflowContext Context { get; } = context;

    public WorkflowRuntimeStatus Status => (WorkflowRuntimeStatus)_status;

    /// <summary>What the workflow returned, once completed.</summary>
    public HealStep? Result { get; private set; }

    /// <summary>Why it failed or was terminated.</summary>
    public string? Error { get; private set; }

    public Task Completion { get; private set; } = Task.CompletedTask;

    public void Start()
    {
        _status = (int)WorkflowRuntimeStatus.Running;
        Completion = Task.Run(async () =>
        {
            try
            {
                // The input as the client schedules it: through the engine's serializer.
                var input = ScriptedWorkflowContext.Engine.Deserialize<HealJob>(ScriptedWorkflowContext.Engine.Serialize(Job))!;
                Result = await new HealWorkflow().RunAsync(Context.Running(_terminate.Token), input);
                _status = (int)WorkflowRuntimeStatus.Completed;
            }
            catch (OperationCanceledException) when (_terminate.IsCancellationRequested)
            {
                _status = (int)WorkflowRuntimeStatus.Terminated;
            }
            catch (Exception ex)
            {
                Error = ex.ToString();
                _status = (int)WorkflowRuntimeStatus.Failed;
            }
        });
    }

    public void Terminate(string reason)
    {
        if (Status is WorkflowRuntimeStatus.Running)
        {
            Error ??= $"terminated: {reason}";
            _terminate.Cancel();
        }
    }

    public override string ToString() =>
        $"{InstanceId} {Status}{(Result is { } r ? $" -> {r}" : "")}: {string.Join(", ", Context.Calls.Select(c => c.ToString()))}{(Error is { } e ? $" ({e})" : "")}";
}

/// <summary>One call the workflow made: an activity (with how many attempts it took, and how it ended) or a timer.</summary>
internal sealed record DistributedCall(string Name, DateTimeOffset StartedAt, int Attempts, string? OutputJson, string? Failure)
{
    public override string ToString() => Name == ScriptedCall.Timer
        ? $"{Name} until {StartedAt:HH:mm:ss.fff}"
        : $"{Name}{(Attempts > 1 ? $" x{Attempts}" : "")}{(Failure is { } f ? $" FAILED {f}" : $" -> {OutputJson}")}";
}

/// <summary>
/// <see cref="ScriptedWorkflowContext"/>'s sibling on real time: durable timers wait for real (they are short with the
/// test's policy), the workflow's time is the wall clock as of its last completed call, activities run for real with
/// their input and output through the engine's serializer, and a failing activity is retried per its
/// <see cref="WorkflowRetryPolicy"/> (as the SDK does, with timers) before the workflow sees a
/// <see cref="WorkflowTaskFailedException"/>. No replay: the instance runs once, from start to end.
/// </summary>
internal sealed class DistributedWorkflowContext(string instanceId, TimeProvider time) : WorkflowContextBase
{
    private readonly Recorded<DistributedCall> _calls = new();
    private readonly Recorded<object?> _statuses = new();
    private CancellationToken _terminated;
    private DateTime _now = time.GetUtcNow().UtcDateTime;
    private int _guids;

    /// <summary>Every call so far, in order.</summary>
    public IReadOnlyList<DistributedCall> Calls => _calls.Items;

    /// <summary>The activities called, in order.</summary>
    public IReadOnlyList<string> ActivityNames => Calls.Where(c => c.Name != ScriptedCall.Timer).Select(c => c.Name).ToList();

    /// <summary>Every custom status set, in order.</summary>
    public IReadOnlyList<object?> Statuses => _statuses.Items;

    public override string InstanceId { get; } = instanceId;

    public override DateTime CurrentUtcDateTime => _now;

    public override bool IsReplaying => false;

    /// <summary>Binds the instance's termination: the workflow stops at its next await once it fires.</summary>
    public DistributedWorkflowContext Running(CancellationToken terminated)
    {
        _terminated = terminated;
        return this;
    }

    public override async Task<T> CallActivityAsync<T>(string name, object? input = null, WorkflowTaskOptions? options = null)
    {
        _terminated.ThrowIfCancellationRequested();
        var activity = Activity(name);
        var inputJson = ScriptedWorkflowContext.Engine.Serialize(input);
        var policy = options?.RetryPolicy;
        var started = time.GetUtcNow();
        for (var attempt = 1; ; attempt++)
        {
            Exception failure;
            try
            {
                var output = await activity.RunAsync(
                    new DistributedActivityContext(name, InstanceId, $"{InstanceId}:{Calls.Count}:{attempt}"),
                    ScriptedWorkflowContext.Engine.Deserialize(inputJson, activity.InputType));
                _terminated.ThrowIfCancellationRequested(); // terminated meanwhile: the result is not recorded
                var outputJson = ScriptedWorkflowContext.Engine.Serialize(output);
                Record(new DistributedCall(name, started, attempt, outputJson, null));
                return string.IsNullOrEmpty(outputJson) ? default! : ScriptedWorkflowContext.Engine.Deserialize<T>(outputJson)!;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !_terminated.IsCancellationRequested)
            {
                failure = ex;
            }

            if (policy is not null && attempt < policy.MaxNumberOfAttempts)
            {
                await Task.Delay(RetryDelay(policy, attempt), time, _terminated);
                continue;
            }

            Record(new DistributedCall(name, started, attempt, null, $"{failure.GetType().Name}: {failure.Message}"));
            var details = new WorkflowTaskFailureDetails(failure.GetType().FullName ?? failure.GetType().Name, failure.Message, failure.StackTrace ?? "");
            throw new WorkflowTaskFailedException($"Task '{name}' failed with an unhandled exception: {failure.Message}", details);
        }
    }

    public override async Task CreateTimer(DateTime fireAt, CancellationToken cancellationToken)
    {
        _terminated.ThrowIfCancellationRequested();
        var fire = new DateTimeOffset(fireAt.ToUniversalTime(), TimeSpan.Zero);
        var wait = fire - time.GetUtcNow();
        if (wait > TimeSpan.Zero)
        {
            using var either = CancellationTokenSource.CreateLinkedTokenSource(_terminated, cancellationToken);
            await Task.Delay(wait, time, either.Token);
        }

        Record(new DistributedCall(ScriptedCall.Timer, fire, 1, null, null));
    }

    public override void SetCustomStatus(object? customStatus) => _statuses.Add(customStatus);

    public override Guid NewGuid() => new(Interlocked.Increment(ref _guids), 0, 0, [0, 0, 0, 0, 0, 0, 0, 2]);

    /// <summary>The SDK's backoff: the first interval, times the coefficient per further attempt, capped.</summary>
    private static TimeSpan RetryDelay(WorkflowRetryPolicy policy, int attempt)
    {
        var delay = TimeSpan.FromTicks((long)(policy.FirstRetryInterval.Ticks * Math.Pow(policy.BackoffCoefficient, attempt - 1)));
        return policy.MaxRetryInterval is { } max && delay > max ? max : delay;
    }

    private void Record(DistributedCall call)
    {
        _calls.Add(call);

        // The next episode starts now (or at the timer's fire time, if the wall clock is behind it).
        var now = time.GetUtcNow().UtcDateTime;
        _now = call.Name == ScriptedCall.Timer && call.StartedAt.UtcDateTime > now ? call.StartedAt.UtcDateTime : now;
    }

    private sealed class DistributedActivityContext(string name, string instanceId, string executionKey) : WorkflowActivityContext
    {
        public override TaskIdentifier Identifier => new(name);

        public override string TaskExecutionKey => executionKey;

        public override string InstanceId => instanceId;
    }
}
