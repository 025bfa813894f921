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

        public Task<SlotEntry> EnterSlotAsync(string jobId, TimeSpan hold, TimeSpan wait, CancellationToken cancellationToken) => throw new InvalidOperationException("not asked of here");

        public Task<ContainerInfo?> InspectAsync(string idOrName, CancellationToken cancellationToken) => throw new InvalidOperationException("not asked of here");

        public Task<RestartResult> RestartAsync(string id, TimeSpan stopTimeout, ContainerSeen expected, CancellationToken cancellationToken) => throw new InvalidOperationException("not asked of here");

        public Task<IReadOnlyList<string>> LogTailAsync(ContainerInfo container, int lines, CancellationToken cancellationToken) => throw new InvalidOperationException("not asked of here");
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
