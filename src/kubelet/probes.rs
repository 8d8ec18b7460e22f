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

/// The first probe time at or after `not_before` on the probe's grid for a container started
/// at `started`.
fn grid_at_or_after(started: SimTime, p: &Probe, not_before: SimTime) -> SimTime {
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
        ctx.at(at, Event::Kubelet(self.node, KubeletEvent::Probe { pod: id, c, epoch, kind }));
    }

    fn spec_probe(&self, id: PodId, c: ContainerRef, kind: ProbeKind) -> Option<Probe> {
        let cs = container(&self.workers[&id].spec, c);
        match kind {
            ProbeKind::Readiness => cs.readiness_probe,
            ProbeKind::Liveness => cs.liveness_probe,
            ProbeKind::Startup => cs.startup_probe,
        }
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

    /// Run one probe and schedule the next one that matters.
    pub(super) fn probe(&mut self, id: PodId, c: ContainerRef, kind: ProbeKind, ctx: &mut Ctx) {
        let now = ctx.now;
        let Some(p) = self.spec_probe(id, c, kind) else { return };
        let (answers, hung, hangs_at, started) = {
            let w = &self.workers[&id];
            let st = &w.containers[w.idx(c)];
            let hung = st.hangs_at.is_some_and(|h| now >= h);
            (now >= st.answers_from && !hung, hung, st.hangs_at, st.started_at)
        };
        let node = Some(self.node);
        let fail_event = |ctx: &mut Ctx| {
            pod_event(ctx, id, node, EventType::Warning, "Unhealthy", Message::Unhealthy { container: c, kind, hung });
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
                        next = Some(now.plus(p.period_ms));
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
                        next = Some(now.plus(p.period_ms));
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
                    next = Some(now.plus(p.period_ms));
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
                self.sidecar_up(id, c, ctx);
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
        let p = Probe { initial_delay_ms: 2_000, period_ms: 5_000, ..Probe::default() };
        let s = SimTime::from_secs(100);
        assert_eq!(grid_at_or_after(s, &p, s), SimTime::from_secs(105));
        assert_eq!(grid_at_or_after(s, &p, SimTime::from_secs(106)), SimTime::from_secs(110));
        let p0 = Probe::default();
        assert_eq!(grid_at_or_after(s, &p0, s), s);
        assert_eq!(grid_at_or_after(s, &p0, SimTime::from_secs(125)), SimTime::from_secs(130));
    }
}
