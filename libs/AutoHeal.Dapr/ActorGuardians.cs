using AutoHeal.Domain.Containers;
using AutoHeal.Domain.Guardians;
using Dapr.Actors.Client;

namespace AutoHeal.Dapr;

/// <summary>
/// The distributed <see cref="IGuardians"/>: every call goes to the container's actor (<see cref="IContainerActor"/>).
/// Reading many asks their actors a few at a time; one that does not answer (its healer restarting) is left
/// out rather than failing the whole read.
/// </summary>
public sealed class ActorGuardians(IActorProxyFactory proxies, ILogger<ActorGuardians> logger) : IGuardians
{
    private const int ParallelReads = 16;
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(5);

    /// <inheritdoc />
    public async Task<GuardianResult> TellAsync(GuardianInput input, CancellationToken cancellationToken)
    {
        var reply = await Proxy(input.Key).TellAsync(input).WaitAsync(cancellationToken);
        return new GuardianResult(reply.State, [], [], reply.Accepted);
    }

    /// <inheritdoc />
    public Task<GuardianState?> GetAsync(ContainerKey key, CancellationToken cancellationToken) =>
        Proxy(key).GetGuardianAsync().WaitAsync(cancellationToken);

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<ContainerKey, GuardianState>> GetManyAsync(IReadOnlyCollection<ContainerKey> keys, CancellationToken cancellationToken)
    {
        var states = new Dictionary<ContainerKey, GuardianState>();
        var missed = 0;
        string? last = null;
        await Parallel.ForEachAsync(
            keys.Distinct(),
            new ParallelOptions { MaxDegreeOfParallelism = ParallelReads, CancellationToken = cancellationToken },
            async (key, ct) =>
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(ReadTimeout);
                try
                {
                    if (await GetAsync(key, timeout.Token) is { } state)
                    {
                        lock (states)
                        {
                            states[key] = state;
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

    /// <summary>
    /// How long an actor call may take here: above <c>actorCall</c> in resiliency.yaml (180 s), so the sidecar's timeout
    /// is the one that applies (the SDK's own default, HttpClient's 100 s, would give up first, and a redelivery would
    /// then run a second turn beside the first).
    /// </summary>
    public static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(200);

    private readonly ActorProxyOptions? _options = proxies is ActorProxyFactory factory
        ? new ActorProxyOptions
        {
            RequestTimeout = CallTimeout,
            UseJsonSerialization = factory.DefaultOptions.UseJsonSerialization,
            JsonSerializerOptions = factory.DefaultOptions.JsonSerializerOptions,
            DaprApiToken = factory.DefaultOptions.DaprApiToken,
            HttpEndpoint = factory.DefaultOptions.HttpEndpoint,
        }
        : null;

    private IContainerActor Proxy(ContainerKey key) =>
        proxies.CreateActorProxy<IContainerActor>(DaprIds.Actor(key), DaprNames.ContainerActorType, _options);
}
