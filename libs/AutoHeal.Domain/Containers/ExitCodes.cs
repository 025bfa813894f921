namespace AutoHeal.Domain.Containers;

/// <summary>Reading exit codes when no Docker event told us how a container stopped.</summary>
public static class ExitCodes
{
    /// <summary>
    /// Whether an exit looks like a stop someone asked for: 0, or death by SIGINT, SIGQUIT, SIGKILL or SIGTERM
    /// without the OOM killer. Used only for exits AutoHeal did not see happen (it was down, or the
    /// event stream was), so that it never restarts what an operator stopped while it was away.
    /// </summary>
    public static bool LookDeliberate(int exitCode, bool oomKilled) =>
        exitCode == 0 || (!oomKilled && exitCode is 128 + 2 or 128 + 3 or 128 + 9 or 128 + 15);
}
