using AutoHeal.Core.Heals;
using Microsoft.Extensions.Time.Testing;

namespace AutoHeal.Core.Tests;

/// <summary>A host's cap on restarts in flight, held by heal jobs: never more than the cap, and never kept by a heal that went away.</summary>
public sealed class RestartSlotsTests
{
    private static readonly TimeSpan Forever = Timeout.InfiniteTimeSpan;
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly FakeTimeProvider _clock = new();

    [Fact]
    public async Task No_more_jobs_than_the_cap_hold_a_slot_and_the_next_gets_the_one_given_back()
    {
        using var slots = new RestartSlots(() => 2, _clock);
        Assert.Equal(SlotEntry.Held, await slots.EnterAsync("a", Forever, Forever, None));
        Assert.Equal(SlotEntry.Held, await slots.EnterAsync("b", Forever, Forever, None));

        var c = slots.EnterAsync("c", Forever, Forever, None);
        await Eventually.StaysTrueAsync(() => !c.IsCompleted, "c to wait while a and b hold both slots");
        slots.Leave("a");

        Assert.Equal(SlotEntry.Held, await c);
        Assert.Equal(2, slots.Held);
    }

    [Fact]
    public async Task A_job_asking_again_for_the_slot_it_holds_keeps_that_one()
    {
        using var slots = new RestartSlots(() => 1, _clock);
        Assert.Equal(SlotEntry.Held, await slots.EnterAsync("a", Forever, Forever, None));

        Assert.Equal(SlotEntry.Held, await slots.EnterAsync("a", Forever, TimeSpan.Zero, None)); // a retried call
        Assert.Equal(SlotEntry.Busy, await slots.EnterAsync("b", Forever, TimeSpan.Zero, None));
        Assert.Equal(1, slots.Held);
    }

    [Fact]
    public async Task A_job_that_waits_no_longer_than_it_may_is_told_to_ask_again()
    {
        using var slots = new RestartSlots(() => 1, _clock);
        await slots.EnterAsync("a", Forever, Forever, None);

        var b = slots.EnterAsync("b", Forever, TimeSpan.FromSeconds(30), None);
        await Eventually.StaysTrueAsync(() => !b.IsCompleted, "b to wait for the slot");
        _clock.Advance(TimeSpan.FromSeconds(30));

        Assert.Equal(SlotEntry.Busy, await b);
        slots.Leave("a");
        Assert.Equal(SlotEntry.Held, await slots.EnterAsync("b", Forever, TimeSpan.Zero, None)); // nothing left behind by the wait
    }

    [Fact]
    public async Task A_slot_held_past_its_hold_time_is_given_back_by_itself()
    {
        using var slots = new RestartSlots(() => 1, _clock);
        await slots.EnterAsync("gone", TimeSpan.FromMinutes(3), Forever, None); // a heal in a process that died

        _clock.Advance(TimeSpan.FromMinutes(3));

        Assert.Equal(0, slots.Held);
        Assert.Equal(SlotEntry.Held, await slots.EnterAsync("next", Forever, TimeSpan.Zero, None));
    }

    [Fact]
    public async Task A_lower_cap_applies_to_the_next_job_at_once()
    {
        var cap = 2;
        using var slots = new RestartSlots(() => cap, _clock);
        await slots.EnterAsync("a", Forever, Forever, None);
        cap = 1;

        Assert.Equal(SlotEntry.Busy, await slots.EnterAsync("b", Forever, TimeSpan.Zero, None));
    }

    [Fact]
    public async Task A_job_that_left_gets_no_slot_afterwards_and_one_that_left_while_waiting_passes_its_slot_on()
    {
        using var slots = new RestartSlots(() => 1, _clock);
        Assert.Equal(SlotEntry.Held, await slots.EnterAsync("a", Forever, Forever, None));
        var late = slots.EnterAsync("called-off", TimeSpan.FromMinutes(3), TimeSpan.FromSeconds(30), None); // its workflow is terminated meanwhile
        var next = slots.EnterAsync("next", Forever, Forever, None);
        await Eventually.StaysTrueAsync(() => !late.IsCompleted && !next.IsCompleted, "both to wait while a holds the slot");

        slots.Leave("called-off");
        slots.Leave("a");

        Assert.Equal(SlotEntry.Over, await late);
        Assert.Equal(SlotEntry.Held, await next); // not kept for three minutes by a heal that is over
        Assert.Equal(SlotEntry.Over, await slots.EnterAsync("a", Forever, TimeSpan.Zero, None)); // a late retry of a job that is done
        Assert.Equal(1, slots.Held);
    }
}
