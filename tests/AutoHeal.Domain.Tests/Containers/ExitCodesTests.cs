namespace AutoHeal.Domain.Tests.Containers;

public sealed class ExitCodesTests
{
    [Theory]
    [InlineData(0, false, true)]
    [InlineData(0, true, true)]
    [InlineData(130, false, true)] // SIGINT
    [InlineData(131, false, true)] // SIGQUIT
    [InlineData(137, false, true)] // SIGKILL
    [InlineData(143, false, true)] // SIGTERM
    [InlineData(137, true, false)] // killed for lack of memory
    [InlineData(143, true, false)]
    [InlineData(1, false, false)]
    [InlineData(2, false, false)]
    [InlineData(126, false, false)]
    [InlineData(127, false, false)]
    [InlineData(129, false, false)] // SIGHUP
    [InlineData(134, false, false)] // SIGABRT
    [InlineData(139, false, false)] // SIGSEGV
    [InlineData(255, false, false)]
    [InlineData(-1, false, false)]
    public void LookDeliberate_reads_stop_signals_as_deliberate_and_the_rest_as_crashes(int exitCode, bool oomKilled, bool deliberate)
    {
        Assert.Equal(deliberate, ExitCodes.LookDeliberate(exitCode, oomKilled));
    }
}
