//! The prober: startup, liveness and readiness probes on the grid upstream's probe workers use
//! (`initialDelaySeconds`, then every `periodSeconds`), evaluated against the behaviour: a
//! process answers once it is `ready` and until it `hang`s. Probes are only scheduled while
//! their result can change or a failure must be reported: a healthy container costs nothing
//! per period.

use super::pod_event;
use super::{Kubelet, KubeletEvent, container, status, status_mut};
use crate::api::events::ContainerRef;
use crate::api::*;
use crate::apiserver::Watcher;
use crate::runtime::{Ctx, Event};
use crate::sim::SimTime;

pub use crate::api::ProbeKind;

/// Consecutive results per probe, and whether the startup probe has passed.
#[derive(Clone, Copy, Debug, Default)]
pub struct ProbeState {
    pub startup_done: bool,
    pub ready: bool,
    ready_successes: u32,
    ready_failures: u32,
    liveness_failures: u32,
    startup_failures: u32,
}

/// A probe's numbers and what its check does when the process does not answer.
#[derive(Clone, Copy, Debug)]
struct Spec {
    initial_delay_ms: u64,
    period_ms: u64,
    timeout_ms: u64,
    success_threshold: u32,
    failure_threshold: u32,
    /// `tcpSocket`: the kernel accepts the connection even from a hung process.
    tcp: bool,
    /// `grpc`: the kubelet dials with `WithBlock`, so a refused connection fails only at the
    /// timeout too.
    grpc: bool,
}

impl Spec {
    fn of(p: &Probe) -> Spec {
        Spec {
            initial_delay_ms: p.initial_delay_ms,
            period_ms: p.period_ms,
            timeout_ms: p.timeout_ms,
            success_threshold: p.success_threshold,
            failure_threshold: p.failure_threshold,
            tcp: matches!(p.action, ProbeAction::TcpSocket { .. }),
            grpc: matches!(p.action, ProbeAction::Grpc { .. }),
        }
    }
}

/// A check's outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Success,
    /// Failed at once (connection refused, the command exited non-zero).
    Failure,
    /// Fails once `timeoutSeconds` has passed (no answer).
    TimesOut,
}

/// What the check finds: a process that does not listen yet refuses (gRPC's blocking dial
/// waits out the timeout instead); a hung one, or one slower to answer than `timeoutSeconds`,
/// lets the request time out, except a bare TCP connect, which its listening socket accepts.
fn outcome(p: &Spec, listening: bool, hung: bool, response_ms: u64) -> Outcome {
    match (listening, hung) {
        (true, false) if response_ms > p.timeout_ms && !p.tcp => Outcome::TimesOut,
        (true, false) => Outcome::Success,
        (_, true) if p.tcp => Outcome::Success,
        (_, true) => Outcome::TimesOut,
        (false, false) if p.grpc => Outcome::TimesOut,
        (false, false) => Outcome::Failure,
    }
}

/// The first probe time at or after `not_before` on the probe's grid for a container started
/// at `started`.
fn grid_at_or_after(started: SimTime, p: &Spec, not_before: SimTime) -> SimTime {
    let first = started.plus(p.initial_delay_ms.div_ceil(p.period_ms) * p.period_ms);
    if first >= not_before {
        return first;
    }
    let k = not_before.since(first).div_ceil(p.period_ms);
    first.plus(k * p.period_ms)
}

impl Kubelet {
    fn probe_at(&self, id: PodId, c: ContainerRef, kind: ProbeKind, at: SimTime, ctx: &mut Ctx) {
        let w = &self.workers[&id];
        let epoch = w.containers[w.idx(c)].epoch;
        ctx.at(at, Event::Kubelet(self.node, KubeletEvent::Probe { pod: id, c, epoch, kind, late: false }));
    }

    fn spec_probe(&self, id: PodId, c: ContainerRef, kind: ProbeKind) -> Option<Spec> {
        let cs = container(&self.workers[&id].spec, c);
        match kind {
            ProbeKind::Readiness => cs.readiness_probe.as_ref(),
            ProbeKind::Liveness => cs.liveness_probe.as_ref(),
            ProbeKind::Startup => cs.startup_probe.as_ref(),
        }
        .map(Spec::of)
    }

    /// After a container starts: the startup probe, or liveness and readiness at once.
    pub(super) fn schedule_first_probes(&mut self, id: PodId, c: ContainerRef, ctx: &mut Ctx) {
        let started = {
            let w = &self.workers[&id];
            w.containers[w.idx(c)].started_at
        };
        if let Some(p) = self.spec_probe(id, c, ProbeKind::Startup) {
            self.probe_at(id, c, ProbeKind::Startup, grid_at_or_after(started, &p, started), ctx);
        } else {
            self.startup_passed(id, c, started, ctx);
        }
    }

    /// Liveness and readiness begin once the startup probe (if any) has passed.
    fn startup_passed(&mut self, id: PodId, c: ContainerRef, now: SimTime, ctx: &mut Ctx) {
        let started = {
            let w = self.workers.get_mut(&id).expect("worker exists");
            let i = w.idx(c);
            w.containers[i].probes.startup_done = true;
            w.containers[i].started_at
        };
        for kind in [ProbeKind::Liveness, ProbeKind::Readiness] {
            if let Some(p) = self.spec_probe(id, c, kind) {
                self.probe_at(id, c, kind, grid_at_or_after(started, &p, now), ctx);
            }
        }
    }

    fn set_ready(&mut self, id: PodId, c: ContainerRef, ready: bool, ctx: &mut Ctx) {
        let w = self.workers.get_mut(&id).expect("worker exists");
        let i = w.idx(c);
        w.containers[i].probes.ready = ready;
        let now = ctx.now;
        ctx.api.update_pod_status(id, Watcher::Kubelet(self.node), |p| {
            status_mut(p, c).ready = ready;
            status::refresh(p, now);
        });
    }

    /// Run one probe (or, `late`, take the failure of one that timed out) and schedule the next
    /// one that matters.
    pub(super) fn probe(&mut self, id: PodId, c: ContainerRef, kind: ProbeKind, late: bool, ctx: &mut Ctx) {
        let now = ctx.now;
        let Some(p) = self.spec_probe(id, c, kind) else { return };
        let probe_start = if late { SimTime(now.0 - p.timeout_ms) } else { now };
        let (result, hangs_at, started, slow) = {
            let w = &self.workers[&id];
            let st = &w.containers[w.idx(c)];
            let hung = st.hangs_at.is_some_and(|h| now >= h);
            let response = container(&w.spec, c).behavior.response_time_ms;
            // Late: was the process there, just slow, when the probe went out?
            let slow = probe_start >= st.answers_from && st.hangs_at.is_none_or(|h| probe_start < h);
            (outcome(&p, now >= st.answers_from, hung, response), st.hangs_at, st.started_at, slow)
        };
        if result == Outcome::TimesOut && !late {
            // The prober waits `timeoutSeconds` for an answer that does not come.
            let w = &self.workers[&id];
            let epoch = w.containers[w.idx(c)].epoch;
            let ev = KubeletEvent::Probe { pod: id, c, epoch, kind, late: true };
            ctx.after(p.timeout_ms, Event::Kubelet(self.node, ev));
            return;
        }
        let answers = !late && result == Outcome::Success;
        // The next probe on the grid once this one is over.
        let after_failure = grid_at_or_after(started, &p, probe_start.plus(p.period_ms).max(now));
        let node = Some(self.node);
        let fail_event = |ctx: &mut Ctx| {
            let ip = ctx.api.pod(id).status.pod_ip.unwrap_or(0);
            let m = Message::Unhealthy { container: c, kind, hung: late, slow: late && slow, ip };
            pod_event(ctx, id, node, EventType::Warning, "Unhealthy", m);
        };
        // After a success, the next probe that can fail is the first one after the hang.
        let next_change = |from: SimTime| hangs_at.filter(|&h| h > from).map(|h| grid_at_or_after(started, &p, h));
        let mut st = {
            let w = &self.workers[&id];
            w.containers[w.idx(c)].probes
        };
        let mut next = None;
        let mut kill = false;
        let mut ready_change = None;
        match kind {
            ProbeKind::Startup => {
                if answers {
                    st.startup_done = true;
                } else {
                    st.startup_failures += 1;
                    fail_event(ctx);
                    if st.startup_failures >= p.failure_threshold {
                        kill = true;
                    } else {
                        next = Some(after_failure);
                    }
                }
            }
            ProbeKind::Liveness => {
                if answers {
                    st.liveness_failures = 0;
                    next = next_change(now);
                } else {
                    st.liveness_failures += 1;
                    fail_event(ctx);
                    if st.liveness_failures >= p.failure_threshold {
                        kill = true;
                    } else {
                        next = Some(after_failure);
                    }
                }
            }
            ProbeKind::Readiness => {
                if answers {
                    st.ready_failures = 0;
                    st.ready_successes += 1;
                    if !st.ready && st.ready_successes >= p.success_threshold {
                        ready_change = Some(true);
                    }
                    let now_ready = st.ready || ready_change == Some(true);
                    next = if now_ready { next_change(now) } else { Some(now.plus(p.period_ms)) };
                } else {
                    st.ready_successes = 0;
                    st.ready_failures += 1;
                    fail_event(ctx);
                    if st.ready && st.ready_failures >= p.failure_threshold {
                        ready_change = Some(false);
                    }
                    next = Some(after_failure);
                }
            }
        }
        {
            let w = self.workers.get_mut(&id).expect("worker exists");
            let i = w.idx(c);
            let keep_ready = w.containers[i].probes.ready;
            w.containers[i].probes = st;
            w.containers[i].probes.ready = keep_ready;
        }
        if kind == ProbeKind::Startup && st.startup_done {
            self.startup_passed(id, c, now, ctx);
            if container(&self.workers[&id].spec, c).sidecar {
                self.sidecar_up(id, c, false, ctx);
            }
            // Without a readiness probe the container is ready once its startup probe passed.
            if container(&self.workers[&id].spec, c).readiness_probe.is_none() {
                self.set_ready(id, c, true, ctx);
            }
            return;
        }
        if let Some(r) = ready_change {
            self.set_ready(id, c, r, ctx);
        }
        if kill {
            self.probe_kill(id, c, kind, ctx);
            return;
        }
        if let Some(t) = next {
            self.probe_at(id, c, kind, t, ctx);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_run_on_the_period_grid() {
        let p = Spec::of(&Probe { initial_delay_ms: 2_000, period_ms: 5_000, ..Probe::default() });
        let s = SimTime::from_secs(100);
        assert_eq!(grid_at_or_after(s, &p, s), SimTime::from_secs(105));
        assert_eq!(grid_at_or_after(s, &p, SimTime::from_secs(106)), SimTime::from_secs(110));
        let p0 = Spec::of(&Probe::default());
        assert_eq!(grid_at_or_after(s, &p0, s), s);
        assert_eq!(grid_at_or_after(s, &p0, SimTime::from_secs(125)), SimTime::from_secs(130));
    }
}
