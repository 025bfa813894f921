namespace AutoHeal.Dapr.Tests.Fakes;

/// <summary>What the actor asked of the workflow engine, with the instance id the real client would use.</summary>
internal sealed record WorkflowCall(string Kind, string JobId, string InstanceId, HealJob? Job = null, string? Reason = null);

/// <summary>An <see cref="IHealWorkflows"/> that records every call; a test may make <see cref="IHealWorkflows.EnsureAsync"/> fail.</summary>
internal sealed class RecordingHealWorkflows : IHealWorkflows
{
    public const string Start = "start";
    public const string Ensure = "ensure";
    public const string Cancel = "cancel";

    private readonly List<WorkflowCall> _calls = [];

    /// <summary>Every call, in order.</summary>
    public IReadOnlyList<WorkflowCall> Calls => _calls;

    /// <summary>When set, <see cref="EnsureAsync"/> throws it (the engine unreachable).</summary>
    public Exception? EnsureFailure { get; set; }

    public IReadOnlyList<WorkflowCall> Of(string kind) => _calls.Where(c => c.Kind == kind).ToList();

    public Task StartAsync(HealJob job, CancellationToken cancellationToken)
    {
        _calls.Add(new WorkflowCall(Start, job.Id, DaprIds.Workflow(job.Id), job));
        return StartFailure is { } failure ? Task.FromException(failure) : Task.CompletedTask;
    }

    /// <summary>What <see cref="EnsureAsync"/> answers: true (running or started), false (the workflow ended).</summary>
    public bool EnsureAnswer { get; set; } = true;

    /// <summary>When set, <see cref="StartAsync"/> throws it (the engine unreachable).</summary>
    public Exception? StartFailure { get; set; }

    public Task<bool> EnsureAsync(HealJob job, CancellationToken cancellationToken)
    {
        _calls.Add(new WorkflowCall(Ensure, job.Id, DaprIds.Workflow(job.Id), job));
        return EnsureFailure is { } failure ? Task.FromException<bool>(failure) : Task.FromResult(EnsureAnswer);
    }

    public Task CancelAsync(ContainerKey key, string jobId, string reason, CancellationToken cancellationToken)
    {
        _calls.Add(new WorkflowCall(Cancel, jobId, DaprIds.Workflow(jobId), Reason: reason));
        return Task.CompletedTask;
    }
}
