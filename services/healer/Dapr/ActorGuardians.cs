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
internal sealed class ActorGuardians(IActorProxyFactory proxies, IServiceProvider services) : IGuardians
{
    private const int ParallelReads = 16;

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
        await Parallel.ForEachAsync(
            catalog.Containers.Select(catalog.KeyOf).Distinct(),
            new ParallelOptions { MaxDegreeOfParallelism = ParallelReads, CancellationToken = cancellationToken },
            async (key, ct) =>
            {
                if (await GetAsync(key, ct) is { } state)
                {
                    lock (states)
                    {
                        states.Add(state);
                    }
                }
            });
        return states;
    }

    private IContainerActor Proxy(ContainerKey key) =>
        proxies.CreateActorProxy<IContainerActor>(DaprIds.Actor(key), DaprNames.ContainerActorType);
}
