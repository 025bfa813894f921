using Dapr.Workflow;

namespace AutoHeal.Dapr.Tests;

/// <summary>
/// The actor's side of the workflow engine: a terminated workflow runs no more of its code (no <c>finally</c>), so what
/// its activities held is given back here; and only an instance of this version that is still under way counts as
/// one that will report.
/// </summary>
public sealed class DaprHealWorkflowsTests
{
    private static readonly ContainerKey Web = new("host-1", "web");

    [Fact]
    public async Task Calling_a_heal_off_terminates_its_workflow_and_gives_back_its_restart_slot_even_when_the_terminate_fails()
    {
        var hosts = new SlotRecordingHosts();
        var (client, recorder) = TerminateRecordingClient.Create();
        recorder.Failure = new InvalidOperationException("no sidecar");
        var workflows = new DaprHealWorkflows(client, hosts);

        await Assert.ThrowsAsync<InvalidOperationException>(() => workflows.CancelAsync(Web, "host-1/web#3", "stopped by an operator", CancellationToken.None));

        Assert.Equal([DaprIds.Workflow("host-1/web#3")], recorder.Terminated);
        Assert.Equal([("host-1", "host-1/web#3")], hosts.Left);
    }

    [Fact]
    public async Task A_heal_workflow_is_created_with_a_start_time_so_starting_it_does_not_wait_for_a_worker_to_pick_it_up()
    {
        // No workflow worker is connected to this runtime: an instance created without a start time never leaves
        // PENDING, and its create call does not return until the caller gives up (15 s, the actor's turn held meanwhile).
        var (client, runtime) = PendingForeverRuntime.Create();
        var workflows = new DaprHealWorkflows(client, new SlotRecordingHosts());
        var job = Job("host-1/web#3");
        var ensured = Job("host-1/web#4");

        await workflows.StartAsync(job, CancellationToken.None);
        Assert.True(await workflows.EnsureAsync(ensured, CancellationToken.None)); // none found: created, and it will report

        // Each created at once, with a start time already past when its failure was seen.
        Assert.Equal([DaprIds.Workflow(job.Id), DaprIds.Workflow(ensured.Id)], runtime.Created.Select(c => c.InstanceId));
        Assert.True(runtime.Created[0].StartAt < job.DetectedAt && runtime.Created[1].StartAt < ensured.DetectedAt);
    }

    [Theory]
    [InlineData(DaprNames.HealWorkflow, WorkflowRuntimeStatus.Running, true)]
    [InlineData(DaprNames.HealWorkflow, WorkflowRuntimeStatus.Pending, true)]
    [InlineData(DaprNames.HealWorkflow, WorkflowRuntimeStatus.Suspended, true)] // an operator's pause: it goes on when resumed
    [InlineData(DaprNames.HealWorkflow, WorkflowRuntimeStatus.Stalled, false)] // its history no longer replays
    [InlineData(DaprNames.HealWorkflow, WorkflowRuntimeStatus.Completed, false)]
    [InlineData(DaprNames.HealWorkflow, WorkflowRuntimeStatus.Failed, false)]
    [InlineData(DaprNames.HealWorkflow, WorkflowRuntimeStatus.Terminated, false)]
    [InlineData(DaprNames.HealWorkflow, WorkflowRuntimeStatus.Canceled, false)]
    [InlineData("HealWorkflow", WorkflowRuntimeStatus.Running, false)] // started by the version before the restart slots
    public void Only_an_instance_of_this_version_still_under_way_will_report(string name, WorkflowRuntimeStatus status, bool willReport)
    {
        Assert.Equal(willReport, DaprHealWorkflows.WillReport(name, status));
    }

    private static HealJob Job(string id) => new()
    {
        Id = id,
        Key = Web,
        ContainerId = "abc",
        Reason = FailureKind.Crash,
        Detail = "exited with 1",
        Attempt = 1,
        DetectedAt = new DateTimeOffset(2026, 12, 1, 10, 0, int.Parse(id[^1..], System.Globalization.CultureInfo.InvariantCulture), TimeSpan.Zero),
        DueAt = new DateTimeOffset(2026, 12, 1, 10, 1, 0, TimeSpan.Zero),
        StopTimeout = TimeSpan.FromSeconds(10),
        VerifyTimeout = TimeSpan.FromSeconds(60),
        ExpectHealthy = false,
    };

    /// <summary>
    /// The workflow runtime's create as durabletask-go's <c>grpcExecutor.StartInstance</c> answers it with no worker
    /// connected: with a scheduled start time, once the instance is created; without one, only once the instance
    /// leaves PENDING, which here it never does (the call waits until it is cancelled). No instance exists before.
    /// </summary>
    public class PendingForeverRuntime : System.Reflection.DispatchProxy
    {
        private readonly Recorded<(string InstanceId, DateTimeOffset StartAt)> _created = new();

        public IReadOnlyList<(string InstanceId, DateTimeOffset StartAt)> Created => _created.Items;

        public static (IDaprWorkflowClient Client, PendingForeverRuntime Runtime) Create()
        {
            var client = Create<IDaprWorkflowClient, PendingForeverRuntime>();
            return (client, (PendingForeverRuntime)(object)client);
        }

        protected override object? Invoke(System.Reflection.MethodInfo? targetMethod, object?[]? args)
        {
            switch (targetMethod?.Name)
            {
                case nameof(IDaprWorkflowClient.GetWorkflowStateAsync):
                    return Task.FromResult<WorkflowState>(null!);
                case nameof(IDaprWorkflowClient.ScheduleNewWorkflowAsync) when args is [string, string id, _, var startAt, CancellationToken token]:
                    if (startAt is not DateTimeOffset at)
                    {
                        return WaitForStartAsync(token);
                    }

                    _created.Add((id, at));
                    return Task.FromResult(id);
                default:
                    throw new InvalidOperationException($"{targetMethod?.Name} is not asked of the workflow client here");
            }
        }

        private static async Task<string> WaitForStartAsync(CancellationToken token)
        {
            await Task.Delay(Timeout.Infinite, token);
            throw new InvalidOperationException("unreachable");
        }
    }

    private sealed class SlotRecordingHosts : IHealHosts, IHealHost
    {
        private readonly Recorded<(string Host, string JobId)> _left = new();
        private string _host = "";

        public IReadOnlyList<(string Host, string JobId)> Left => _left.Items;

        public IHealHost For(string host)
        {
            _host = host;
            return this;
        }

        public Task LeaveSlotAsync(string jobId, CancellationToken cancellationToken)
        {
            _left.Add((_host, jobId));
            return Task.CompletedTask;
        }

        public Task<SlotEntry> EnterSlotAsync(SlotAsk ask, TimeSpan hold, TimeSpan wait, CancellationToken cancellationToken) => throw new InvalidOperationException("not asked of here");

        public Task<ContainerInfo?> InspectAsync(string idOrName, CancellationToken cancellationToken) => throw new InvalidOperationException("not asked of here");

        public Task<RestartResult> RestartAsync(string id, TimeSpan stopTimeout, ContainerSeen expected, CancellationToken cancellationToken) => throw new InvalidOperationException("not asked of here");

        public Task<IReadOnlyList<string>> LogTailAsync(ContainerInfo container, int lines, CancellationToken cancellationToken) => throw new InvalidOperationException("not asked of here");

        public Task<RecreateResult> RecreateAsync(string id, TimeSpan stopTimeout, CancellationToken cancellationToken) => throw new InvalidOperationException("not asked of here");
    }

    /// <summary>The SDK's client interface with only its terminate call answered (recorded, failing as asked); any other call fails the test.</summary>
    public class TerminateRecordingClient : System.Reflection.DispatchProxy
    {
        private readonly Recorded<string> _terminated = new();

        public Exception? Failure { get; set; }

        public IReadOnlyList<string> Terminated => _terminated.Items;

        public static (IDaprWorkflowClient Client, TerminateRecordingClient Recorder) Create()
        {
            var client = Create<IDaprWorkflowClient, TerminateRecordingClient>();
            return (client, (TerminateRecordingClient)(object)client);
        }

        protected override object? Invoke(System.Reflection.MethodInfo? targetMethod, object?[]? args)
        {
            if (targetMethod?.Name != nameof(IDaprWorkflowClient.TerminateWorkflowAsync))
            {
                throw new InvalidOperationException($"{targetMethod?.Name} is not asked of the workflow client here");
            }

            _terminated.Add((string)args![0]!);
            return Failure is { } f ? Task.FromException(f) : Task.CompletedTask;
        }
    }
}
