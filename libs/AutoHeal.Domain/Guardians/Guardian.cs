using AutoHeal.Domain.Containers;
using AutoHeal.Domain.Events;
using AutoHeal.Domain.Policies;

namespace AutoHeal.Domain.Guardians;

/// <summary>
/// The rules for one container, as a pure function: given what the guardian knew, what just
/// happened, the policy and the time, it returns what it knows now and what to do. The embedded
/// mailbox and the Dapr actor both only load state, call this, save, and carry out the decisions.
/// </summary>
public static class Guardian
{
    /// <summary>Decides what an input means for the container.</summary>
    public static GuardianResult Decide(GuardianState state, GuardianInput input, HealPolicy policy, DateTimeOffset now)
    {
        var d = new Decider(state, policy, now);
        switch (input)
        {
            case ContainerSignal signal:
                d.On(signal);
                break;
            case HealReport report:
                d.On(report);
                break;
            case OperatorCommand { Action: OperatorAction.Release } command:
                d.Release($"released by {command.By}");
                break;
            case OperatorCommand { Action: OperatorAction.Restart } command:
                d.ManualRestart(command);
                break;
            case Wake:
                if (d.State.Quarantine is { Until: { } until } && until <= now)
                {
                    d.Release("released after its probation time");
                }

                d.Reconsider();
                break;
        }

        return d.Result();
    }

    private sealed class Decider(GuardianState state, HealPolicy global, DateTimeOffset now)
    {
        // The failure that schedules a heal also ends the stable period, so the backoff reset
        // looks at how long the container had been stable before this input.
        private readonly DateTimeOffset? _stableBefore = state.StableSince;
        private IReadOnlyDictionary<string, string> _policyLabels = state.Labels;
        private HealPolicy _policy = PolicyLabels.Apply(global, state.Labels, state.LastStartedAt ?? now).Policy;
        private readonly List<Decision> _decisions = [];
        private readonly List<AutoHealEvent> _events = [];
        private bool _accepted = true;

        // The engine's time of what this input reports (a signal's time, a restart's start), when known:
        // a heal job compares it with the container's start time, both by the engine's clock.
        private DateTimeOffset? _engineAt;

        public GuardianState State { get; private set; } = state;

        public GuardianResult Result() => new(State, _decisions, _events, _accepted);

        public void On(ContainerSignal s)
        {
            _engineAt = s.At;
            if (!AdoptIdentity(s))
            {
                return;
            }

            var f = s.Facts;
            if (!SameLabels(_policyLabels, f.Labels))
            {
                var (resolved, problems) = PolicyLabels.Apply(global, f.Labels, f.StartedAt ?? State.LastStartedAt ?? now);
                _policy = resolved;
                _policyLabels = f.Labels;
                if (!SameLabels(State.Labels, f.Labels))
                {
                    foreach (var p in problems)
                    {
                        Emit(EventKind.LabelInvalid, $"label {p.Label}={p.Value} ignored: {p.Problem}");
                    }
                }
            }

            if (!State.Monitored && f.Monitored)
            {
                // Newly (or again) monitored: what was known of its failure was not acted on, so look afresh.
                State = State with { Condition = Condition.Unknown };
            }

            State = State with { Monitored = f.Monitored, SelectionReason = f.SelectionReason, Labels = f.Labels, HasHealthCheck = f.HasHealthCheck };
            if (!f.Monitored && State.ActiveHeal is not null)
            {
                Cancel("the container is no longer monitored");
            }

            switch (s.Kind)
            {
                case SignalKind.Created:
                    State = State with { Condition = Condition.Created, Phase = State.Phase == GuardianPhase.Removed ? GuardianPhase.Watching : State.Phase };
                    break;
                case SignalKind.Started:
                    OnStarted(s.At);
                    break;
                case SignalKind.StopRequested:
                    OnStopRequested(s);
                    break;
                case SignalKind.Died:
                    OnDied(s);
                    break;
                case SignalKind.Unhealthy:
                    if (!IsLate(s.At))
                    {
                        OnUnhealthy(s.Detail, f);
                    }
                    break;
                case SignalKind.Healthy:
                    if (!IsLate(s.At))
                    {
                        State = State with { Condition = Condition.Running };
                        MarkStable();
                    }
                    break;
                case SignalKind.Paused:
                    if (State.ActiveHeal is not null)
                    {
                        Cancel("the container was paused");
                    }
                    State = State with { Phase = GuardianPhase.Paused, Condition = Condition.Paused };
                    break;
                case SignalKind.Unpaused:
                    State = State with { Phase = State.Phase == GuardianPhase.Paused ? GuardianPhase.Watching : State.Phase, Condition = Condition.Running };
                    if (f.Health == HealthStatus.Unhealthy)
                    {
                        OnUnhealthy("still unhealthy after unpause", f);
                    }
                    break;
                case SignalKind.Removed when State.ActiveHeal is { Stage: HealStage.Recreating }:
                    break; // the original, set aside while the new one takes its name
                case SignalKind.Removed:
                    if (State.ActiveHeal is not null)
                    {
                        Cancel("the container was removed");
                    }
                    State = State with { Phase = GuardianPhase.Removed, Condition = Condition.Removed, StopRequestedAt = null, RemovedAt = now };
                    break;
                case SignalKind.ParentRestarted:
                    // Still running from before its parent's new start: its shared namespace is the dead one.
                    if (State.ActiveHeal is null && f.Status == ContainerStatus.Running && f.StartedAt is { } started && started < s.At)
                    {
                        Failure(FailureKind.Dependency, s.Detail ?? "a container it depends on started again", f, null);
                    }
                    break;
                case SignalKind.Observed:
                    OnObserved(f);
                    if (State.HeldUntil is not null && Held() is null)
                    {
                        Reconsider(); // its hold is over and its wake-up was lost (a restart of AutoHeal, say)
                    }
                    break;
            }
        }

        /// <summary>
        /// Follows the container under this name to a new Docker id. Returns false for a late event
        /// about a container the name no longer refers to.
        /// </summary>
        private bool AdoptIdentity(ContainerSignal s) => AdoptIdentity(s.Facts, s.Kind);

        private bool AdoptIdentity(ContainerFacts f, SignalKind kind)
        {
            if (State.ContainerId is null)
            {
                State = State with { ContainerId = f.Id, ImageId = f.ImageId };
                return true;
            }

            if (State.ContainerId == f.Id)
            {
                return true;
            }

            if (kind is not (SignalKind.Created or SignalKind.Started or SignalKind.Observed))
            {
                return false;
            }

            if (State.ActiveHeal is { Stage: HealStage.Recreating } recreating)
            {
                // The container the heal is creating, under the name: the same image and configuration, the same history.
                State = State with { ContainerId = f.Id, ImageId = f.ImageId, ActiveHeal = recreating with { ContainerId = f.Id } };
                return true;
            }

            if (State.ActiveHeal is not null)
            {
                Cancel("the container was replaced");
            }

            if (State.ImageId != f.ImageId)
            {
                var seq = State.JobSequence;
                State = GuardianState.New(State.Key) with { ContainerId = f.Id, ImageId = f.ImageId, JobSequence = seq };
                Emit(EventKind.HistoryReset, "redeployed with another image: its heal history starts afresh");
            }
            else
            {
                State = State with
                {
                    ContainerId = f.Id,
                    Phase = State.Phase is GuardianPhase.Removed or GuardianPhase.Stopped ? GuardianPhase.Watching : State.Phase,
                    StopRequestedAt = null,
                    LastStartedAt = null,
                    Condition = Condition.Unknown,
                };
            }

            return true;
        }

        private bool IsLate(DateTimeOffset at) => State.LastStartedAt is { } started && at < started;

        /// <summary>Whether an engine event at <paramref name="at"/> belongs to our own restart.</summary>
        private bool IsOurRestart(DateTimeOffset at) => State.ActiveHeal switch
        {
            { Stage: HealStage.Restarting or HealStage.Recreating } => true,
            { Stage: HealStage.Verifying, RestartedAt: var started } => started is null || at <= started,
            _ => false,
        };

        private void OnStarted(DateTimeOffset at)
        {
            State = State with
            {
                LastStartedAt = State.LastStartedAt is { } last && last > at ? last : at,
                StopRequestedAt = null,
                Condition = Condition.Running,
                Phase = State.Phase is GuardianPhase.Stopped or GuardianPhase.Removed or GuardianPhase.Paused ? GuardianPhase.Watching : State.Phase,
            };
            MarkStable();
        }

        private void OnStopRequested(ContainerSignal s)
        {
            if (IsLate(s.At) || IsOurRestart(s.At))
            {
                return;
            }

            if (State.ActiveHeal is not null)
            {
                Cancel("an operator stopped the container");
            }

            State = State with { StopRequestedAt = s.At };
        }

        private void OnDied(ContainerSignal s)
        {
            if (IsLate(s.At) || IsOurRestart(s.At))
            {
                return;
            }

            var exit = s.ExitCode ?? s.Facts.ExitCode;
            State = State with { LastExitCode = exit };
            if (State.StopRequestedAt is { } asked && s.At >= asked && s.At - asked <= _policy.StopIntentWindow)
            {
                Stopped("stopped on purpose (docker stop/kill): left down until it is started again");
                return;
            }

            if (exit == 0)
            {
                Stopped("exited with code 0: not a crash, left down");
                return;
            }

            State = State with { Condition = Condition.Crashed, StableSince = null };
            if (State.ActiveHeal is null)
            {
                var oom = s.Facts.OomKilled ? " (killed for lack of memory)" : "";
                Failure(FailureKind.Crash, $"crashed with exit code {exit}{oom}", s.Facts, exit);
            }
        }

        private void OnUnhealthy(string? detail, ContainerFacts f)
        {
            State = State with { Condition = Condition.Unhealthy, StableSince = null };
            if (State.ActiveHeal is null)
            {
                Failure(FailureKind.Unhealthy, string.IsNullOrEmpty(detail) ? "health check failing" : $"health check failing: {detail}", f, null);
            }
        }

        private void OnObserved(ContainerFacts f)
        {
            if (State.ActiveHeal is not null)
            {
                return;
            }

            switch (f.Status)
            {
                case ContainerStatus.Running:
                    if (State.Phase == GuardianPhase.Paused)
                    {
                        State = State with { Phase = GuardianPhase.Watching, Condition = Condition.Running }; // the unpause event was missed
                    }

                    if (f.StartedAt is { } started && (State.LastStartedAt is null || started > State.LastStartedAt))
                    {
                        OnStarted(started);
                    }
                    if (f.Health == HealthStatus.Unhealthy)
                    {
                        if (State.Condition != Condition.Unhealthy)
                        {
                            OnUnhealthy("found unhealthy", f);
                        }
                    }
                    else
                    {
                        State = State with { Condition = Condition.Running };
                        MarkStable();
                    }
                    break;
                case ContainerStatus.Paused:
                    State = State with { Phase = GuardianPhase.Paused, Condition = Condition.Paused };
                    break;
                case ContainerStatus.Exited or ContainerStatus.Dead:
                    if (State.Phase == GuardianPhase.Stopped || State.Condition is Condition.Crashed or Condition.Exited)
                    {
                        return; // already known
                    }

                    State = State with { LastExitCode = f.ExitCode };
                    if (f.RestartPolicy.Name is "always" or "unless-stopped")
                    {
                        // Docker restarts these after any exit, except one an operator asked for.
                        State = State with { Phase = GuardianPhase.Stopped, Condition = Condition.Exited };
                        return;
                    }

                    if (f.RestartPolicy.DockerRestartsAfter(f.ExitCode, f.RestartCount))
                    {
                        State = State with { Condition = Condition.Crashed };
                        return; // Docker's own policy brings it back
                    }

                    if (State.StopRequestedAt is not null || ExitCodes.LookDeliberate(f.ExitCode, f.OomKilled))
                    {
                        Stopped($"found stopped with exit code {f.ExitCode} while no event was seen: treated as a deliberate stop, left down");
                        return;
                    }

                    State = State with { Condition = Condition.Crashed, StableSince = null };
                    Failure(FailureKind.Crash, $"found exited with exit code {f.ExitCode}{(f.OomKilled ? " (killed for lack of memory)" : "")}", f, f.ExitCode);
                    break;
            }
        }

        public void On(HealReport r)
        {
            if (State.ActiveHeal is not { } job || job.Id != r.JobId)
            {
                _accepted = false; // a report from a job that was called off
                return;
            }

            switch (r.Step)
            {
                // Reports arrive at least once (workflow activities are retried): a step told again
                // changes nothing, so a heal is never counted twice.
                case HealStep.BeginRestart when job.Stage != HealStage.Waiting:
                case HealStep.Restarted when job.Stage == HealStage.Verifying:
                case HealStep.BeginRecreate when job.Stage == HealStage.Recreating:
                case HealStep.Recreated when job.Stage == HealStage.Verifying:
                    break;
                case HealStep.BeginRecreate:
                    State = State with { ActiveHeal = job with { Stage = HealStage.Recreating } };
                    Emit(EventKind.Recreating, r.Detail ?? "the restart was refused: recreating it", job);
                    break;
                case HealStep.Recreated:
                    var id = r.NewContainerId ?? State.ContainerId ?? job.ContainerId;
                    State = State with
                    {
                        ContainerId = id,
                        ActiveHeal = job with { ContainerId = id, Stage = HealStage.Verifying, RestartedAt = r.ContainerStartedAt },
                        LastStartedAt = r.ContainerStartedAt ?? State.LastStartedAt,
                        StopRequestedAt = null,
                    };
                    Emit(EventKind.Recreated, r.Detail ?? "recreated", job);
                    break;
                case HealStep.RecreateFailed:
                    _engineAt = null;
                    // Down now (the refused restart stopped it): still failing, so a release heals it again.
                    State = State with { ActiveHeal = null, Phase = GuardianPhase.Watching, Condition = Condition.Crashed, LastHeal = new HealOutcome(now, false, r.Detail ?? "recreating it failed") { Cause = job.Detail } };
                    Emit(EventKind.HealFailed, r.Detail ?? "recreating it failed", job);
                    if (job.Reason == FailureKind.Manual)
                    {
                        Failure(FailureKind.Crash, $"still failing after a manual restart: {r.Detail}", null, null);
                    }
                    else
                    {
                        // The last rung: neither a restart nor a new container works; heals again would only loop.
                        QuarantineNow($"the restart was refused and recreating it failed: quarantined, no more automatic heals ({r.Detail})");
                    }
                    break;
                case HealStep.BeginRestart when job.Reason != FailureKind.Manual && Held() is { } hold:
                    // A hold this guardian had not been told of when the heal was scheduled (on Dapr the healer reads
                    // the holds every few seconds): it waits for the hold's end like any failure seen during it.
                    _accepted = false;
                    _decisions.Add(new CancelHeal(job.Id, hold.Why));
                    Emit(EventKind.HealCancelled, $"heal held back: {hold.Why} until {hold.Until:u}; healed then if still failing", job);
                    State = State with { ActiveHeal = null, Phase = GuardianPhase.Watching, Condition = Failing(job.Reason) };
                    HoldUntil(hold);
                    break;
                case HealStep.BeginRestart:
                    var counts = job.Reason != FailureKind.Manual;
                    State = State with
                    {
                        ActiveHeal = job with { Stage = HealStage.Restarting, RestartIssuedAt = now, RecheckedStartedAt = r.ContainerStartedAt },
                        RecentHeals = counts ? [.. RecentHeals(), now] : State.RecentHeals,
                        HealsInIncident = counts ? State.HealsInIncident + 1 : State.HealsInIncident,
                        LastHealAt = counts ? now : State.LastHealAt,
                        TotalHeals = State.TotalHeals + 1,
                    };
                    Emit(EventKind.Restarting, $"restarting (attempt {job.Attempt}): {job.Detail}", job, r.Diagnostics);
                    break;
                case HealStep.Restarted:
                    var started = r.ContainerStartedAt;
                    State = State with
                    {
                        ActiveHeal = job with { Stage = HealStage.Verifying, RestartedAt = started },
                        LastStartedAt = started ?? State.LastStartedAt,
                        StopRequestedAt = null,
                    };
                    break;
                case HealStep.Healed:
                    State = State with
                    {
                        ActiveHeal = null,
                        Phase = GuardianPhase.Watching,
                        Condition = Condition.Running,
                        StableSince = now,
                        LastHeal = new HealOutcome(now, true, r.Detail ?? "healed") { Cause = job.Detail },
                    };
                    Emit(EventKind.Healed, r.Detail ?? "healed", job);
                    break;
                case HealStep.VerifyFailed or HealStep.RestartFailed:
                    // Failing after AutoHeal's own restart: only a later start than that one is someone else's.
                    _engineAt = job.RestartedAt?.AddTicks(1);
                    State = State with { ActiveHeal = null, Phase = GuardianPhase.Watching, LastHeal = new HealOutcome(now, false, r.Detail ?? "heal failed") { Cause = job.Detail } };
                    Emit(EventKind.HealFailed, r.Detail ?? "heal failed", job);
                    Failure(job.Reason == FailureKind.Manual ? FailureKind.Crash : job.Reason, $"still failing after attempt {job.Attempt}: {r.Detail}", null, null);
                    break;
                case HealStep.Cancelled:
                    // Unknown, so that the next look at the container decides afresh.
                    State = State with { ActiveHeal = null, Phase = GuardianPhase.Watching, Condition = Condition.Unknown };
                    Emit(EventKind.HealCancelled, r.Detail ?? "heal called off", job);
                    break;
            }
        }

        public void ManualRestart(OperatorCommand command)
        {
            if (command.Facts is { } f)
            {
                AdoptIdentity(f, SignalKind.Observed);
                State = State with { HasHealthCheck = f.HasHealthCheck };
            }

            if (State.ActiveHeal is not null || State.ContainerId is null || State.Phase == GuardianPhase.Removed)
            {
                _accepted = false; // a heal is under way, or there is no container to restart
                return;
            }

            var seq = State.JobSequence + 1;
            var job = new HealJob
            {
                Id = $"{State.Key}#{seq}",
                Key = State.Key,
                ContainerId = State.ContainerId,
                Reason = FailureKind.Manual,
                Detail = $"manual restart by {command.By}",
                Attempt = 1,
                DetectedAt = now,
                DueAt = now,
                StopTimeout = _policy.StopTimeout,
                VerifyTimeout = _policy.VerifyTimeout,
                ExpectHealthy = State.HasHealthCheck,
            };
            State = State with { Phase = GuardianPhase.Healing, ActiveHeal = job, JobSequence = seq, StopRequestedAt = null };
            _decisions.Add(new StartHeal(job));
            Emit(EventKind.HealScheduled, $"manual restart requested by {command.By}", job);
        }

        public void Release(string why)
        {
            if (State.Quarantine is null)
            {
                return;
            }

            State = State with { Quarantine = null, RecentHeals = [], HealsInIncident = 0 };
            Emit(EventKind.Released, why);
            HealIfStillFailing("when released");
        }

        /// <summary>
        /// A wake-up, or the holds changed (maintenance or a snooze began or ended): a heal waiting for its due time is
        /// held back while a hold lasts, and a failure held back is healed once none does.
        /// </summary>
        public void Reconsider()
        {
            if (!State.Monitored || State.Quarantine is not null)
            {
                return;
            }

            if (Held() is { } hold)
            {
                if (State.ActiveHeal is { Stage: HealStage.Waiting } job && job.Reason != FailureKind.Manual)
                {
                    // Not yet restarting: it waits for the hold's end like any failure seen during it.
                    _decisions.Add(new CancelHeal(job.Id, hold.Why));
                    Emit(EventKind.HealCancelled, $"heal held back: {hold.Why} until {hold.Until:u}; healed then if still failing", job);
                    State = State with { ActiveHeal = null, Phase = GuardianPhase.Watching, Condition = Failing(job.Reason) };
                    HoldUntil(hold);
                }
                else if (State.ActiveHeal is null && State.HeldUntil is not null)
                {
                    // Woken while it lasts: the hold moved (a snooze extended), or the wake-up came a moment early. Wake at its end.
                    HoldUntil(hold);
                }

                return;
            }

            if (State.HeldUntil is not null)
            {
                State = State with { HeldUntil = null };
                HealIfStillFailing("when the hold ended");
            }
        }

        private void HealIfStillFailing(string when)
        {
            if (State.Phase == GuardianPhase.Watching && State.Monitored && State.ActiveHeal is null)
            {
                switch (State.Condition)
                {
                    case Condition.Crashed:
                        HealOrHold(FailureKind.Crash, $"still crashed {when}");
                        break;
                    case Condition.Unhealthy:
                        HealOrHold(FailureKind.Unhealthy, $"still unhealthy {when}");
                        break;
                }
            }
        }

        /// <summary>The hold in force now, if any: maintenance or a snooze (<see cref="HealPolicy.Hold"/>), the later-ending one.</summary>
        private HoldBack? Held() => _policy.Hold is { } h && h.Until > now ? h : null;

        /// <summary>Heals, unless heals are held back: then it waits for the hold's end, said once per hold.</summary>
        private void HealOrHold(FailureKind kind, string detail)
        {
            if (Held() is not { } hold)
            {
                State = State with { HeldUntil = null };
                ScheduleHeal(kind, detail);
                return;
            }

            // What it failed with, kept for the hold's end (a failed verification finds the container "running").
            State = State with { Condition = Failing(kind) };
            if (State.HeldUntil != hold.Until)
            {
                Skip($"{detail}; not healed now: {hold.Why} until {hold.Until:u}; healed then if still failing");
                HoldUntil(hold);
            }
        }

        private static Condition Failing(FailureKind kind) => kind == FailureKind.Unhealthy ? Condition.Unhealthy : Condition.Crashed;

        private void HoldUntil(HoldBack hold)
        {
            State = State with { HeldUntil = hold.Until };
            _decisions.Add(new WakeAt(hold.Until));
        }

        /// <summary>A failure of the container: heal it, or say why not.</summary>
        private void Failure(FailureKind kind, string detail, ContainerFacts? f, int? exitCode)
        {
            if (!State.Monitored)
            {
                return;
            }

            if (!_policy.Heals(kind))
            {
                Skip($"{detail}; not healed: mode {ModeName(_policy.Mode)}");
                return;
            }

            if (kind == FailureKind.Crash && f is not null && exitCode is { } code && f.RestartPolicy.DockerRestartsAfter(code, f.RestartCount))
            {
                Skip($"{detail}; left to Docker's restart policy '{f.RestartPolicy.Name}'");
                return;
            }

            if (State.Quarantine is { } q)
            {
                Skip($"{detail}; not healed: quarantined since {q.Since:u}");
                return;
            }

            if (State.Phase == GuardianPhase.Paused)
            {
                Skip($"{detail}; not healed: paused");
                return;
            }

            HealOrHold(kind, detail);
        }

        private void ScheduleHeal(FailureKind kind, string detail)
        {
            var healsInIncident = State.HealsInIncident;
            if ((State.StableSince ?? _stableBefore) is { } stable && now - stable >= _policy.BackoffReset)
            {
                healsInIncident = 0;
            }

            var recent = RecentHeals();
            if (recent.Count >= _policy.MaxRestarts)
            {
                State = State with { RecentHeals = recent, HealsInIncident = healsInIncident };
                QuarantineNow($"{recent.Count} heals within {Seconds(_policy.MaxRestartsWindow)}: quarantined, no more automatic heals ({detail})");
                return;
            }

            var delay = _policy.DelayBeforeHeal(healsInIncident);
            // The cooldown holds between any two heals, also across incidents.
            var due = State.LastHealAt is { } last ? last + (healsInIncident > 0 ? delay : _policy.Cooldown) : now;
            if (due < now)
            {
                due = now;
            }

            var seq = State.JobSequence + 1;
            var job = new HealJob
            {
                Id = $"{State.Key}#{seq}",
                Key = State.Key,
                ContainerId = State.ContainerId ?? "",
                Reason = kind,
                Detail = detail,
                Attempt = healsInIncident + 1,
                DetectedAt = now,
                EngineSeenAt = _engineAt,
                FailedRunStartedAt = State.LastStartedAt,
                DueAt = due,
                StopTimeout = _policy.StopTimeout,
                VerifyTimeout = _policy.VerifyTimeout,
                ExpectHealthy = State.HasHealthCheck,
            };
            State = State with
            {
                Phase = GuardianPhase.Healing,
                ActiveHeal = job,
                JobSequence = seq,
                RecentHeals = recent,
                HealsInIncident = healsInIncident,
                StableSince = null,
            };
            _decisions.Add(new StartHeal(job));
            var wait = due > now ? $"in {Seconds(due - now)} (backoff)" : "now";
            Emit(EventKind.HealScheduled, $"{detail}; heal {wait}, attempt {job.Attempt}", job);
        }

        private void QuarantineNow(string reason)
        {
            State = State with { Quarantine = new Quarantine(now, reason, now + _policy.QuarantineProbation), StableSince = null };
            Emit(EventKind.Quarantined, reason);
            if (_policy.QuarantineProbation is { } probation)
            {
                _decisions.Add(new WakeAt(now + probation));
            }
        }

        private List<DateTimeOffset> RecentHeals() =>
            State.RecentHeals.Where(t => now - t < _policy.MaxRestartsWindow).ToList();

        private void Stopped(string why)
        {
            if (State.ActiveHeal is not null)
            {
                Cancel(why);
            }

            State = State with { Phase = GuardianPhase.Stopped, Condition = Condition.Exited, StopRequestedAt = null, StableSince = null };
            if (State.Monitored)
            {
                Skip(why);
            }
        }

        private void Cancel(string why)
        {
            if (State.ActiveHeal is { } job)
            {
                _decisions.Add(new CancelHeal(job.Id, why));
                Emit(EventKind.HealCancelled, $"heal called off: {why}", job);
                State = State with { ActiveHeal = null, Phase = GuardianPhase.Watching, Condition = Condition.Unknown };
            }
        }

        private void MarkStable()
        {
            if (State.ActiveHeal is null && State.StableSince is null)
            {
                State = State with { StableSince = now };
            }
        }

        private void Skip(string why) => Emit(EventKind.Skipped, why);

        private void Emit(EventKind kind, string message, HealJob? job = null, HealDiagnostics? diagnostics = null) =>
            _events.Add(new AutoHealEvent
            {
                At = now,
                Kind = kind,
                Key = State.Key,
                ContainerId = State.ContainerId,
                Reason = job?.Reason,
                Attempt = job?.Attempt,
                JobId = job?.Id,
                DetectedAt = job?.DetectedAt,
                Diagnostics = diagnostics,
                Message = message,
            });

        private static bool SameLabels(IReadOnlyDictionary<string, string> a, IReadOnlyDictionary<string, string> b) =>
            a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var v) && v == kv.Value);

        private static string ModeName(HealMode mode) => mode switch
        {
            HealMode.OnFailure => "on-failure",
            HealMode.Health => "health",
            _ => "both",
        };

        private static string Seconds(TimeSpan t) => $"{t.TotalSeconds:0.###}s";
    }
}
