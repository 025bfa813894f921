using Dapr.Common.Serialization;
using Dapr.Workflow;
using Dapr.Workflow.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace AutoHeal.Dapr.Tests.Fakes;

/// <summary>
/// One thing a workflow asked of the engine: a durable timer, or an activity (with its options and its input as the
/// engine stores it). <see cref="OutputJson"/>, <see cref="Failure"/> and <see cref="Now"/> are what the engine
/// recorded in the history: replaying takes them from there instead of running the activity again.
/// </summary>
internal sealed record ScriptedCall(string Name, DateTime? FireAt, WorkflowTaskOptions? Options, string? InputJson)
{
    public const string Timer = "(timer)";

    public string? OutputJson { get; init; }

    public WorkflowTaskFailureDetails? Failure { get; init; }

    /// <summary>The workflow's time once the call completed (the next episode's start).</summary>
    public DateTime Now { get; init; }

    /// <summary>The call as the workflow made it (what must be identical on replay).</summary>
    public (string Name, DateTime? FireAt, string? InputJson) Request => (Name, FireAt, InputJson);
}

/// <summary>The workflow made a different call on replay than the history holds: Dapr fails such an instance.</summary>
internal sealed class NonDeterministicWorkflowException(string message) : Exception(message);

/// <summary>
/// A <see cref="WorkflowContext"/> for running a workflow's <c>RunAsync</c> in a test, the way the Dapr SDK tests its
/// own workflows: no sidecar, no engine. Durable timers complete at once and move the workflow's time (and the test's
/// clock) to their fire time. Activities run for real (the heal workflow's own, see <see cref="WorkflowContextBase.AddHealActivities"/>) with
/// their input and output sent through the engine's default serializer, as the engine stores them; one can instead be
/// made to fail as the engine reports an activity whose retries are spent (<see cref="FailAfterRetries"/>).
/// Retry policies are the engine's: they are recorded here, not applied. A context made by <see cref="Replay"/>
/// replays a recorded history instead, and throws <see cref="NonDeterministicWorkflowException"/> on any other call.
/// </summary>
internal sealed class ScriptedWorkflowContext : WorkflowContextBase
{
    /// <summary>Dapr.Workflow's default serializer (System.Text.Json, web defaults), which stores inputs and outputs.</summary>
    public static readonly JsonDaprSerializer Engine = new();

    private readonly FakeTimeProvider _clock;
    private readonly Dictionary<string, WorkflowTaskFailureDetails> _failures = new(StringComparer.Ordinal);
    private readonly List<ScriptedCall> _calls = [];
    private readonly List<object?> _statuses = [];
    private readonly IReadOnlyList<ScriptedCall>? _history;
    private DateTime _now;
    private int _guids;

    public ScriptedWorkflowContext(FakeTimeProvider clock, string instanceId)
        : this(clock, instanceId, clock.GetUtcNow().UtcDateTime, null)
    {
    }

    private ScriptedWorkflowContext(FakeTimeProvider clock, string instanceId, DateTime start, IReadOnlyList<ScriptedCall>? history)
    {
        _clock = clock;
        InstanceId = instanceId;
        Start = start;
        _now = start;
        _history = history;
    }

    /// <summary>A context that replays <paramref name="history"/> (recorded by a run that started at <paramref name="start"/>).</summary>
    public static ScriptedWorkflowContext Replay(FakeTimeProvider clock, string instanceId, DateTime start, IReadOnlyList<ScriptedCall> history) =>
        new(clock, instanceId, start, history);

    /// <summary>The workflow's time when it started (the first episode's).</summary>
    public DateTime Start { get; }

    /// <summary>Every call the workflow made, in order.</summary>
    public IReadOnlyList<ScriptedCall> Calls => _calls;

    /// <summary>The activities called, in order.</summary>
    public IReadOnlyList<string> ActivityNames => _calls.Where(c => c.Name != ScriptedCall.Timer).Select(c => c.Name).ToList();

    /// <summary>Every custom status the workflow set, in order.</summary>
    public IReadOnlyList<object?> Statuses => _statuses;

    public override string InstanceId { get; }

    public override DateTime CurrentUtcDateTime => _now;

    public override bool IsReplaying => _history is not null && _calls.Count < _history.Count;

    /// <summary>Calls of <paramref name="name"/> fail as the engine reports it once the retry policy is spent.</summary>
    public ScriptedWorkflowContext FailAfterRetries(string name, string errorType, string errorMessage)
    {
        _failures[name] = new WorkflowTaskFailureDetails(errorType, errorMessage, "   at the activity");
        return this;
    }

    public override async Task<T> CallActivityAsync<T>(string name, object? input = null, WorkflowTaskOptions? options = null)
    {
        var call = new ScriptedCall(name, null, options, Engine.Serialize(input));
        if (Replayed(call) is { } recorded)
        {
            return Complete<T>(recorded);
        }

        if (_failures.TryGetValue(name, out var failure))
        {
            return Complete<T>(Record(call with { Failure = failure }));
        }

        var activity = Activity(name);
        var context = new ScriptedActivityContext(name, InstanceId, _calls.Count);
        try
        {
            var output = await activity.RunAsync(context, Engine.Deserialize(call.InputJson!, activity.InputType));
            return Complete<T>(Record(call with { OutputJson = Engine.Serialize(output) }));
        }
        catch (Exception ex) when (ex is not (NonDeterministicWorkflowException or Xunit.Sdk.XunitException))
        {
            // The engine retries a failing activity, then fails the task in the workflow with this.
            return Complete<T>(Record(call with { Failure = new WorkflowTaskFailureDetails(ex.GetType().FullName ?? ex.GetType().Name, ex.Message, ex.StackTrace ?? "") }));
        }
    }

    public override Task CreateTimer(DateTime fireAt, CancellationToken cancellationToken)
    {
        var call = new ScriptedCall(ScriptedCall.Timer, fireAt, null, null);
        if (Replayed(call) is { } recorded)
        {
            _now = recorded.Now;
            return Task.CompletedTask;
        }

        if (fireAt.ToUniversalTime() > _clock.GetUtcNow().UtcDateTime)
        {
            _clock.SetUtcNow(new DateTimeOffset(fireAt.ToUniversalTime(), TimeSpan.Zero));
        }

        Record(call);
        return Task.CompletedTask;
    }

    public override void SetCustomStatus(object? customStatus) => _statuses.Add(customStatus);

    public override Guid NewGuid() => new(_guids++, 0, 0, [0, 0, 0, 0, 0, 0, 0, 1]);

    private ScriptedCall? Replayed(ScriptedCall call)
    {
        if (_history is null)
        {
            return null;
        }

        if (_calls.Count >= _history.Count)
        {
            throw new NonDeterministicWorkflowException($"on replay the workflow made a call the history does not hold: {call.Request}");
        }

        var recorded = _history[_calls.Count];
        if (recorded.Request != call.Request)
        {
            throw new NonDeterministicWorkflowException($"on replay call #{_calls.Count} was {call.Request}, the history holds {recorded.Request}");
        }

        _calls.Add(recorded with { Options = call.Options });
        return recorded;
    }

    private ScriptedCall Record(ScriptedCall call)
    {
        if (call.FireAt is { } fireAt)
        {
            _now = fireAt;
        }
        else if (_clock.GetUtcNow().UtcDateTime > _now)
        {
            _now = _clock.GetUtcNow().UtcDateTime; // the next episode starts now
        }

        var recorded = call with { Now = _now };
        _calls.Add(recorded);
        return recorded;
    }

    private T Complete<T>(ScriptedCall call)
    {
        _now = call.Now;
        if (call.Failure is { } failure)
        {
            throw new WorkflowTaskFailedException($"Task '{call.Name}' (#{_calls.Count - 1}) failed with an unhandled exception: {failure.ErrorMessage}", failure);
        }

        return string.IsNullOrEmpty(call.OutputJson) ? default! : Engine.Deserialize<T>(call.OutputJson)!;
    }

    private sealed class ScriptedActivityContext(string name, string instanceId, int sequence) : WorkflowActivityContext
    {
        public override TaskIdentifier Identifier => new(name);

        public override string TaskExecutionKey => $"{instanceId}:{sequence}";

        public override string InstanceId => instanceId;
    }
}
