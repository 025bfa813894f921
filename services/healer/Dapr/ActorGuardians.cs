using AutoHeal.Contracts.Dapr;
using AutoHeal.Domain.Containers;
using AutoHeal.Domain.Guardians;
using AutoHeal.Domain.Ports;
using Dapr.Actors.Client;
using Microsoft.Extensions.DependencyInjection;

namespace AutoHeal.Healer.Dapr;

/// <summary>
/// The distributed <see cref="IGuardians"/>: every call goes to the container's <see cref="ContainerActor"/>.
/// Actors cannot be enumerated, so the list asks the actors of the containers the watchers report.
/// </summary>
internal sealed class ActorGuardians(IActorProxyFactory proxies, IServiceProvider services, Microsoft.Extensions.Logging.ILogger<ActorGuardians> logger) : IGuardians
{
    private const int ParallelReads = 16;
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(5);

    public async Task<GuardianResult> TellAsync(GuardianInput input, CancellationToken cancellationToken)
    {
        var reply = await Proxy(input.Key).TellAsync(input).WaitAsync(cancellationToken);
        return new GuardianResult(reply.State, [], [], reply.Accepted);
    }

    public Task<GuardianState?> GetAsync(ContainerKey key, CancellationToken cancellationToken) =>
        Proxy(key).GetGuardianAsync().WaitAsync(cancellationToken);

    public async Task<IReadOnlyList<GuardianState>> ListAsync(CancellationToken cancellationToken)
    {
        var catalog = services.GetService<IContainerCatalog>()
            ?? throw new InvalidOperationException("listing guardians needs the watchers' catalog (the api role)");
        var states = new List<GuardianState>();
        var missed = 0;
        string? last = null;
        await Parallel.ForEachAsync(
            catalog.Containers.Select(catalog.KeyOf).Distinct(),
            new ParallelOptions { MaxDegreeOfParallelism = ParallelReads, CancellationToken = cancellationToken },
            async (key, ct) =>
            {
                // One actor that does not answer (its healer restarting) leaves that container without
                // its guardian's view in the list, rather than failing the whole list.
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(ReadTimeout);
                try
                {
                    if (await GetAsync(key, timeout.Token) is { } state)
                    {
                        lock (states)
                        {
                            states.Add(state);
                        }
                    }
                }
                catch (Exception ex) when (!ct.IsCancellationRequested)
                {
                    Interlocked.Increment(ref missed);
                    last = ex.Message;
                }
            });
        if (missed > 0)
        {
            Log.GuardiansUnreadable(logger, missed, last ?? "");
        }

        return states;
    }

    private IContainerActor Proxy(ContainerKey key) =>
        proxies.CreateActorProxy<IContainerActor>(DaprIds.Actor(key), DaprNames.ContainerActorType);
}
