using AutoHeal.Domain.Guardians;
using Dapr.Actors;

namespace AutoHeal.Dapr;

/// <summary>
/// One container's guardian as a Dapr actor (id <c>host:name</c>). Dapr runs one call at a time per
/// actor, so a container's inputs are decided in order, as the embedded mailbox does.
/// </summary>
public interface IContainerActor : IActor
{
    /// <summary>Decides an input, saves the new state, and carries out the decisions.</summary>
    Task<ActorReply> TellAsync(GuardianInput input);

    /// <summary>The guardian's state, or null if it has none.</summary>
    Task<GuardianState?> GetGuardianAsync();
}

/// <summary>What the actor answers: whether it took the input, and its state after.</summary>
public sealed record ActorReply(bool Accepted, GuardianState State);
