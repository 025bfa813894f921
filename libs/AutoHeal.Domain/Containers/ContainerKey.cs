namespace AutoHeal.Domain.Containers;

/// <summary>Names a container across restarts: its Docker host and its container name.</summary>
public sealed record ContainerKey(string Host, string Name)
{
    /// <inheritdoc />
    public override string ToString() => $"{Host}/{Name}";
}
