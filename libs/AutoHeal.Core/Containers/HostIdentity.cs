namespace AutoHeal.Core.Containers;

/// <summary>This Docker host as AutoHeal names it, and AutoHeal's own container on it (when it runs in one: never healed).</summary>
public sealed record HostIdentity(string Name, string? SelfContainerId)
{
    /// <summary>Whether the container with this (full) id is AutoHeal's own.</summary>
    public bool IsSelf(string containerId) => SelfContainerId is { } self && containerId == self;
}
