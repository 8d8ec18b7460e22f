//! The kubelet of one node against the harness: image pulls through the registry model,
//! container start and probes, CrashLoopBackOff, graceful termination, pull failures, power.
//! Times are in ms of virtual time; every pod is bound at 0 (or at the time a test says), so
//! the kubelet hears of it 10 ms later (the watch latency).

use super::*;
use crate::api::behavior::{Behavior, DurationDist};
use crate::api::events::PullError;
use crate::runtime::testing::Harness;

const MI: u64 = 1024 * 1024;
const GI: u64 = 1024 * MI;
const APP: ContainerRef = ContainerRef { init: false, index: 0 };

/// One node `n` (4 cpu, 8Gi) and its kubelet.
struct World {
    h: Harness,
    k: Kubelet,
    n: NodeId,
}

impl World {
    /// `images`: the catalogue (name, size); `preloaded`: those already on the node's disk.
    fn new(images: &[(&str, u64)], preloaded: &[ImageId]) -> World {
        let mut h = Harness::new();
        for &(name, size) in images {
            h.add_image(name, size, Behavior::default());
        }
        let n = h.add_node("n", 4000, 8 * GI);
        let k = Kubelet::new(n, h.images.len(), preloaded);
        World { h, k, n }
    }

    /// A pod bound to the node now.
    fn pod(&mut self, name: &str, spec: PodSpec) -> PodId {
        let p = self.h.add_bound_pod(name, self.n, spec);
        self.h.flush();
        p
    }

    /// Deliver what the cluster routes to this kubelet up to `until` ms: its timers, its
    /// watch, and the registry's timers, whose finished pulls go to `on_pull_done`.
    fn run(&mut self, until: u64) {
        let (k, n) = (&mut self.k, self.n);
        self.h.run_until(SimTime(until), |e, ctx| match e {
            Event::Kubelet(to, ev) if to == n => k.handle(ev, ctx),
            Event::Watch(w) if w.to == Watcher::Kubelet(n) => k.on_watch(w.obj, ctx),
            Event::Registry(ev) => {
                let mut timers = Vec::new();
                let done = ctx.registry.handle(ev, ctx.now, &mut timers);
                for (t, ev) in timers {
                    ctx.at(t, Event::Registry(ev));
                }
                if let Some((tok, result)) = done
                    && tok.node == n
                {
                    k.on_pull_done(tok.request, result, ctx);
                }
            }
            _ => {}
        });
    }

    /// The pod's events as (reason, ms), in order.
    fn events(&self, p: PodId) -> Vec<(&'static str, u64)> {
        self.h.events_of(ObjRef::Pod(p)).iter().map(|e| (e.reason, e.time.as_millis())).collect()
    }

    /// The messages of the pod's events with `reason`, in order.
    fn messages(&self, p: PodId, reason: &str) -> Vec<Message> {
        self.h.events_of(ObjRef::Pod(p)).iter().filter(|e| e.reason == reason).map(|e| e.message.clone()).collect()
    }

    fn app(&self, p: PodId) -> ContainerStatus {
        self.h.api.pod(p).status.containers[0]
    }
}

/// One container `app` of `image` (pull policy IfNotPresent) doing `b`.
fn spec(image: ImageId, b: Behavior) -> PodSpec {
    PodSpec::of(vec![ContainerSpec::new("app", image, PullPolicy::IfNotPresent, b)])
}

fn fixed(ms: u64) -> DurationDist {
    DurationDist::fixed(ms)
}

/// The pod worker's syncs after a sync error, timed as upstream's `completeWork` (v1.34):
/// `backOffPeriod` 10 s stretched by `wait.Jitter(_, 0.5)` (a draw of the pod-worker stream
/// of the harness's seed 1), then the sync loop's first whole-second tick at or after it.
struct Syncs(crate::sim::rng::SimRng);

impl Syncs {
    fn new() -> Syncs {
        Syncs(crate::sim::rng::SimRng::new(1, crate::sim::rng::Stream::PodWorker))
    }
    fn after_error(&mut self, now: u64) -> u64 {
        let t = (now + 10_000 + self.0.below(5_000)).div_ceil(1_000) * 1_000;
        assert!((now + 10_000..=now + 15_000).contains(&t));
        t
    }
}

/// PLEG's first relist (whole seconds) after a change at `t`.
fn relist(t: u64) -> u64 {
    (t / 1_000 + 1) * 1_000
}

#[test]
fn a_missing_image_is_pulled_in_latency_plus_size_over_bandwidth_then_found_on_disk() {
    let mut w = World::new(&[("app:1", 100 * MI)], &[]);
    let img = ImageId(0);
    let p = w.pod("p", spec(img, Behavior::default()));
    w.run(5_000);
    // Pulling when the kubelet hears of the pod (10); the registry's 300 ms latency, then
    // 100Mi at the node's 100Mi/s: 10 + 300 + 1000 = 1310. Created at once, Started after
    // the default 1 s startup.
    assert_eq!(w.events(p), [("Pulling", 10), ("Pulled", 1310), ("Created", 1310), ("Started", 2310)]);
    let pulled = Message::Pulled { image: img, pull_ms: 1300, total_ms: 1300, size: 100 * MI };
    assert_eq!(w.messages(p, "Pulled"), [pulled]);
    let pod = w.h.api.pod(p);
    assert_eq!((pod.status.phase, pod.status.ready, pod.pull_ms), (PodPhase::Running, true, 1300));
    // The node reports the image in status.images, and the next pod finds it there.
    assert_eq!(w.h.api.node(w.n).images, [img]);
    let q = w.pod("q", spec(img, Behavior::default()));
    w.run(10_000);
    assert_eq!(w.events(q), [("Pulled", 5010), ("Created", 5010), ("Started", 6010)]);
    assert_eq!(w.messages(q, "Pulled"), [Message::AlreadyPresent { image: img }]);
    assert_eq!(w.h.api.pod(q).pull_ms, 0);
}

#[test]
fn serialized_pulls_make_the_second_image_wait_and_say_so() {
    // serializeImagePulls (default true): one pull at a time per node, FIFO.
    let mut w = World::new(&[("a:1", 100 * MI), ("b:1", 50 * MI)], &[]);
    let a = w.pod("a", spec(ImageId(0), Behavior::default()));
    let b = w.pod("b", spec(ImageId(1), Behavior::default()));
    w.run(5_000);
    assert_eq!(w.h.times_of("Pulling"), [10, 10]);
    let first = Message::Pulled { image: ImageId(0), pull_ms: 1300, total_ms: 1300, size: 100 * MI };
    assert_eq!(w.messages(a, "Pulled"), [first]);
    // b's pull starts when a's ends (1310): 300 ms latency + 50Mi at 100Mi/s = 800 ms, done at
    // 2110; asked for at 10, so 2100 ms "including waiting".
    let second = Message::Pulled { image: ImageId(1), pull_ms: 800, total_ms: 2100, size: 50 * MI };
    assert_eq!(w.messages(b, "Pulled"), [second]);
    assert_eq!(w.events(b)[1..], [("Pulled", 2110), ("Created", 2110), ("Started", 3110)]);
}

#[test]
fn a_container_starts_then_becomes_ready_when_its_readiness_probe_first_passes() {
    let mut w = World::new(&[("app:1", 50 * MI)], &[ImageId(0)]);
    // Up 1 s after Created, answering its probes 3 s after that; readiness every 10 s from
    // the container's start.
    let mut s = spec(ImageId(0), Behavior { ready: fixed(3_000), ..Behavior::default() });
    s.containers[0].readiness_probe = Some(Probe::default());
    let p = w.pod("p", s);
    w.run(10_000);
    // The first probe (at the start, 1010) is refused; the pod is Running but not Ready.
    let expected = [("Pulled", 10), ("Created", 10), ("Started", 1010), ("Unhealthy", 1010)];
    assert_eq!(w.events(p), expected);
    let ip = w.h.api.pod(p).status.pod_ip.unwrap_or(0);
    let refused = Message::Unhealthy { container: APP, kind: ProbeKind::Readiness, hung: false, slow: false, ip };
    assert_eq!(w.messages(p, "Unhealthy"), [refused]);
    let pod = w.h.api.pod(p);
    assert_eq!((pod.status.phase, pod.status.ready), (PodPhase::Running, false));
    assert_eq!(w.app(p).state, ContainerState::Running { started: SimTime(1010) });
    assert_eq!(pod.started_at, Some(SimTime(1010)));
    // The next probe, one period later (11010), passes: Ready, with no further event.
    w.run(60_000);
    let pod = w.h.api.pod(p);
    assert!(pod.status.ready && w.app(p).ready);
    assert_eq!(pod.ready_at, Some(SimTime(11_010)));
    assert_eq!(w.events(p).len(), 4);
}

#[test]
fn a_crashing_container_restarts_at_once_then_after_10_20_40_seconds_of_back_off() {
    let mut w = World::new(&[("app:1", 50 * MI)], &[ImageId(0)]);
    // It exits with code 1 five seconds after each start (Started = Created + 1 s).
    let p = w.pod("p", spec(ImageId(0), Behavior { exit: Some((fixed(5_000), 1)), ..Behavior::default() }));
    // The first crash (6010) is seen at the relist of 7000 and restarted at once (no back-off
    // entry yet: doBackOff). Each later crash is seen at the next relist, which finds it in
    // its back-off (10 s, doubling): a BackOff and a sync error, so the worker syncs again
    // 10-15 s later, with another BackOff while `now - finishedAt < back-off`, and restarts
    // at the first sync past it (`IsInBackOffSince`).
    let mut syncs = Syncs::new();
    let (mut created, mut backoffs) = (vec![10, relist(6_010)], Vec::new());
    let mut finished = relist(6_010) + 6_000;
    let mut lasts = Vec::new();
    for back_off in [10_000, 20_000, 40_000] {
        lasts.push(finished);
        let mut t = relist(finished);
        backoffs.push(t);
        t = syncs.after_error(t);
        while t - finished < back_off {
            backoffs.push(t);
            t = syncs.after_error(t);
        }
        created.push(t);
        finished = t + 6_000;
    }
    let end = created[4] + 1_000;
    w.run(created[4] - 1);
    assert_eq!(w.h.times_of("Created"), created[..4]);
    assert_eq!(w.h.times_of("BackOff"), backoffs);
    let (first, second) = (created[2] - lasts[0], created[3] - lasts[1]);
    assert!((10_000..=16_000).contains(&first), "a 10 s back-off restarts after 10-15 s (+ the relist): {first}");
    assert!((20_000..=31_000).contains(&second), "{second}");
    assert_eq!(w.messages(p, "BackOff")[0], Message::BackOff { container: APP });
    let st = w.app(p);
    assert_eq!(st.state, ContainerState::Waiting { reason: "CrashLoopBackOff" });
    assert_eq!((st.restart_count, st.last_terminated), (3, Some((1, "Error", SimTime(lasts[2])))));
    // restartPolicy Always: the pod stays Running while its container waits, not Ready.
    let pod = w.h.api.pod(p);
    assert_eq!((pod.status.phase, pod.status.ready), (PodPhase::Running, false));
    w.run(end);
    assert_eq!(w.h.times_of("Created").last(), Some(&created[4]));
    assert_eq!(w.app(p).restart_count, 4);
    assert_eq!(w.app(p).state, ContainerState::Running { started: SimTime(end) });
}

#[test]
fn a_hung_container_fails_its_liveness_probe_three_times_and_is_restarted() {
    let mut w = World::new(&[("app:1", 50 * MI)], &[ImageId(0)]);
    // Started at 1010, it stops answering 20 s later (21010). Liveness: every 10 s from the
    // start, failureThreshold 3.
    let mut s = spec(ImageId(0), Behavior { hang: Some(fixed(20_000)), ..Behavior::default() });
    s.containers[0].liveness_probe = Some(Probe::default());
    let p = w.pod("p", s);
    w.run(46_000);
    // The probes at 21010, 31010 and 41010 get no answer: each fails when its timeoutSeconds
    // (1 s) is up: 22010, 32010, 42010; the third kills it: SIGTERM, gone after the default
    // 500 ms termination (42510), and restarted at once (first restart, no back-off).
    assert_eq!(w.h.times_of("Unhealthy"), [22_010, 32_010, 42_010]);
    let ip = w.h.api.pod(p).status.pod_ip.unwrap_or(0);
    let timed_out = Message::Unhealthy { container: APP, kind: ProbeKind::Liveness, hung: true, slow: false, ip };
    assert!(w.messages(p, "Unhealthy").iter().all(|m| *m == timed_out));
    assert_eq!(w.h.times_of("Killing"), [42_010]);
    let killed = Message::ProbeKilled { container: APP, kind: ProbeKind::Liveness };
    assert_eq!(w.messages(p, "Killing"), [killed]);
    assert_eq!(w.h.times_of("Created"), [10, 42_510]);
    assert_eq!(w.h.times_of("Started"), [1010, 43_510]);
    // Stopped by the kubelet, it reports SIGTERM's 128 + 15.
    let st = w.app(p);
    assert_eq!((st.restart_count, st.last_terminated), (1, Some((143, "Error", SimTime(42_510)))));
    assert_eq!(st.state, ContainerState::Running { started: SimTime(43_510) });
}

#[test]
fn a_deleted_pod_gets_sigterm_and_leaves_the_api_when_its_process_exits() {
    let mut w = World::new(&[("app:1", 50 * MI)], &[ImageId(0)]);
    // The process needs 4 s to exit after SIGTERM; the grace period is the default 30 s.
    let p = w.pod("p", spec(ImageId(0), Behavior { termination: fixed(4_000), ..Behavior::default() }));
    w.run(5_000);
    assert!(!w.h.handle(|ctx| ctx.api.delete_pod(p, 30_000, ctx.now)), "a running pod is not gone at once");
    w.run(9_000);
    // Killing when the kubelet sees the deletion (5010); the pod is Terminating meanwhile.
    assert_eq!(w.h.times_of("Killing"), [5010]);
    assert_eq!(w.messages(p, "Killing"), [Message::Killing { container: APP }]);
    let pod = w.h.api.pod(p);
    assert!(pod.is_terminating());
    assert_eq!(pod.deletion, Some((SimTime(5_000), 30_000)));
    // Exited by itself at 5010 + 4000: code 0, so the pod ends Succeeded and is removed.
    w.run(10_000);
    let pod = w.h.api.pod(p);
    assert_eq!(pod.removed, Some(SimTime(9_010)));
    assert_eq!(pod.status.phase, PodPhase::Succeeded);
    let done = ContainerState::Terminated { exit_code: 0, reason: "Completed", finished: SimTime(9_010) };
    assert_eq!(w.app(p).state, done);
}

#[test]
fn a_process_that_ignores_sigterm_is_killed_when_the_grace_period_ends() {
    let mut w = World::new(&[("app:1", 50 * MI)], &[ImageId(0)]);
    let slow = Behavior { termination: fixed(60_000), ..Behavior::default() };
    let p = w.pod("p", spec(ImageId(0), slow));
    // With a preStop hook of 29 s, SIGTERM comes at 29 s and gets the 2 s minimum.
    let mut hooked = spec(ImageId(0), Behavior { pre_stop: fixed(29_000), ..slow });
    hooked.containers[0].pre_stop = true;
    let q = w.pod("q", hooked);
    w.run(5_000);
    // `kubectl delete --grace-period=5` for p; q keeps its spec's 30 s.
    w.h.handle(|ctx| {
        ctx.api.delete_pod(p, 5_000, ctx.now);
        ctx.api.delete_pod(q, 30_000, ctx.now);
    });
    w.run(60_000);
    // p: SIGKILL at 5010 + 5000; q: 5010 + 29000 + 2000. Both exit 137, so both end Failed.
    for (pod, gone) in [(p, 10_010), (q, 36_010)] {
        let killed = ContainerState::Terminated { exit_code: 137, reason: "Error", finished: SimTime(gone) };
        assert_eq!(w.app(pod).state, killed);
        let api = w.h.api.pod(pod);
        assert_eq!((api.removed, api.status.phase), (Some(SimTime(gone)), PodPhase::Failed));
    }
}

#[test]
fn a_pull_that_fails_is_retried_with_back_off_shown_as_image_pull_back_off() {
    let mut w = World::new(&[("app:bad", 50 * MI)], &[]);
    let img = ImageId(0);
    w.h.registry.set_missing(img, true);
    let p = w.pod("p", spec(img, Behavior::default()));
    w.run(1_000);
    // The registry answers "not found" after its 300 ms latency: ErrImagePull.
    assert_eq!(w.events(p), [("Pulling", 10), ("Failed", 310), ("Failed", 310)]);
    let failed =
        [Message::PullFailed { image: img, err: PullError::NotFound }, Message::Error { reason: "ErrImagePull" }];
    assert_eq!(w.messages(p, "Failed"), failed);
    assert_eq!(w.app(p).state, ContainerState::Waiting { reason: "ErrImagePull" });
    // The pod worker syncs again 10-15 s after each sync error. The first sync is past the
    // 10 s pull back-off (it is not "since < 10 s"): a second pull, failed 300 ms later,
    // doubles it to 20 s; the syncs inside it show ImagePullBackOff and pull nothing.
    let mut syncs = Syncs::new();
    let second = syncs.after_error(310);
    let failed_again = second + 300;
    let (mut t, mut backoffs) = (syncs.after_error(failed_again), Vec::new());
    while t - failed_again < 20_000 {
        backoffs.push(t);
        t = syncs.after_error(t);
    }
    w.run(t - 1);
    assert_eq!(w.h.times_of("Pulling"), [10, second]);
    assert_eq!(w.h.times_of("BackOff"), backoffs);
    assert_eq!(w.messages(p, "BackOff")[0], Message::BackOffPulling { image: img });
    assert_eq!(w.messages(p, "Failed").last(), Some(&Message::Error { reason: "ImagePullBackOff" }));
    assert_eq!(w.app(p).state, ContainerState::Waiting { reason: "ImagePullBackOff" });
    // The tag is fixed: the first sync 20 s after the last failure pulls, 300 + 500 ms.
    w.h.registry.set_missing(img, false);
    w.run(t + 10_000);
    assert_eq!(w.h.times_of("Pulling"), [10, second, t]);
    let pulled = Message::Pulled { image: img, pull_ms: 800, total_ms: 800, size: 50 * MI };
    assert_eq!(w.messages(p, "Pulled"), [pulled]);
    assert_eq!(w.h.times_of("Started"), [t + 800 + 1_000]);
    // The startup SLI's pulling time runs from the first Pulling to the last Pulled.
    assert_eq!(w.h.api.pod(p).pull_ms, t + 800 - 10);
}

#[test]
fn a_pod_that_does_not_fit_the_node_is_rejected_at_admission() {
    let mut w = World::new(&[("app:1", 50 * MI)], &[ImageId(0)]);
    let mut s = spec(ImageId(0), Behavior::default());
    s.containers[0].requests = Resources::new(5_000, GI);
    s.containers[0].has_cpu_request = true;
    let p = w.pod("p", s);
    w.run(1_000);
    // The node has 4000m allocatable: predicateAdmitHandler's OutOfcpu.
    let msg = "Node didn't have enough resource: cpu, requested: 5000, used: 0, capacity: 4000";
    assert_eq!(w.events(p), [("OutOfcpu", 10)]);
    assert_eq!(w.messages(p, "OutOfcpu"), [Message::Text(msg.into())]);
    let pod = w.h.api.pod(p);
    assert_eq!((pod.status.phase, pod.status.reason), (PodPhase::Failed, Some("OutOfcpu")));
    assert_eq!(pod.status.message.as_deref(), Some(format!("Pod was rejected: {msg}").as_str()));
}

#[test]
fn a_node_that_loses_power_stops_its_lease_and_restarts_its_containers_at_boot() {
    let mut w = World::new(&[("app:1", 50 * MI)], &[ImageId(0)]);
    let p = w.pod("p", spec(ImageId(0), Behavior::default()));
    w.run(10_000);
    w.h.handle(|ctx| w.k.handle(KubeletEvent::PowerOff, ctx));
    w.run(70_000);
    // The lease is renewed every 10 s (a quarter of its 40 s); the last renewal is at 10 s.
    assert_eq!(w.h.api.lease_renewed(w.n, SimTime(70_000)), SimTime(10_000));
    assert!(!w.h.api.lease_is_live(w.n, w.h.settings.node_monitor_grace_period_ms));
    // Nobody reports meanwhile: the API still shows what the kubelet last said.
    assert_eq!(w.h.api.pod(p).status.phase, PodPhase::Running);
    w.h.handle(|ctx| w.k.handle(KubeletEvent::PowerOn, ctx));
    w.run(85_000);
    assert_eq!(w.h.api.lease_renewed(w.n, SimTime(85_000)), SimTime(80_000));
    // The container was lost with the node (containerd: 255, Unknown) and starts again from
    // scratch in a new sandbox.
    assert_eq!(w.h.times_of("Created"), [10, 70_000]);
    assert_eq!(w.h.times_of("SandboxChanged"), [70_000]);
    let st = w.app(p);
    assert_eq!((st.restart_count, st.last_terminated), (1, Some((255, "Unknown", SimTime(70_000)))));
    assert_eq!(st.state, ContainerState::Running { started: SimTime(71_000) });
}

#[test]
fn sigterm_gets_the_2_second_minimum_even_when_the_grace_period_is_shorter() {
    // #21: kuberuntime's killContainer never gives SIGTERM less than
    // minimumGracePeriodInSeconds (2 s), with or without a preStop hook. A pod deleted with a
    // 1 s grace period whose process ignores SIGTERM is killed 2 s after the kubelet sees the
    // deletion (5010 ms), not 1 s; one that exits in 1.5 s gets to exit on its own.
    let mut w = World::new(&[("app:1", 50 * MI)], &[ImageId(0)]);
    let stubborn = w.pod("stubborn", spec(ImageId(0), Behavior { termination: fixed(60_000), ..Behavior::default() }));
    let quick = w.pod("quick", spec(ImageId(0), Behavior { termination: fixed(1_500), ..Behavior::default() }));
    w.run(5_000);
    w.h.handle(|ctx| {
        ctx.api.delete_pod(stubborn, 1_000, ctx.now);
        ctx.api.delete_pod(quick, 1_000, ctx.now);
    });
    w.run(20_000);
    let killed = ContainerState::Terminated { exit_code: 137, reason: "Error", finished: SimTime(5_010 + 2_000) };
    assert_eq!(w.app(stubborn).state, killed);
    let exited = ContainerState::Terminated { exit_code: 0, reason: "Completed", finished: SimTime(5_010 + 1_500) };
    assert_eq!(w.app(quick).state, exited);
    assert_eq!(w.h.api.pod(quick).status.phase, PodPhase::Succeeded);
}

/// An init container done 1 s after it is up, a sidecar, and an app container.
fn init_sidecar_app() -> PodSpec {
    let done = Behavior { exit: Some((fixed(1_000), 0)), ..Behavior::default() };
    let mut s = spec(ImageId(0), Behavior::default());
    let init = ContainerSpec::new("setup", ImageId(0), PullPolicy::IfNotPresent, done);
    let sidecar = ContainerSpec {
        sidecar: true,
        ..ContainerSpec::new("proxy", ImageId(0), PullPolicy::IfNotPresent, Behavior::default())
    };
    s.init_containers = vec![init, sidecar];
    s
}

#[test]
fn init_containers_a_sidecar_and_the_app_start_at_the_relists_that_see_the_last_step() {
    // #21 item 7: each step of the start sequence waits for the pod worker's next sync. An init
    // container's exit and a sidecar's start are seen at PLEG's next relist (whole seconds,
    // `genericPlegRelistPeriod` 1 s); the app containers start in that sync. Created at 10,
    // the init container is up at 1010 and done 1 s later (2010): relist 3000 creates the
    // sidecar, up at 4000; relist 5000 (strictly after) creates the app, up at 6000.
    let mut w = World::new(&[("app:1", 50 * MI)], &[ImageId(0)]);
    let p = w.pod("p", init_sidecar_app());
    w.run(10_000);
    assert_eq!(w.h.times_of("Created"), [10, relist(2_010), relist(relist(2_010) + 1_000)]);
    assert_eq!(w.h.times_of("Started"), [1_010, 4_000, 6_000]);
    // The init container's status keeps the exit's own time, not the relist's.
    let init = &w.h.api.pod(p).status.init_containers[0];
    assert_eq!(init.state, ContainerState::Terminated { exit_code: 0, reason: "Completed", finished: SimTime(2_010) });
}

#[test]
fn a_container_that_exited_before_the_relist_is_not_waited_for_when_its_pod_is_deleted() {
    // It exits at 6010 (code 1) and ignores SIGTERM (1 h); the pod is deleted at 6500, before
    // the relist of 7000 would show the exit. Stopping a process that is already gone takes no
    // time: the pod goes at once, not at the 30 s grace period; its status keeps the exit code.
    let mut w = World::new(&[("app:1", 50 * MI)], &[ImageId(0)]);
    let b = Behavior { exit: Some((fixed(5_000), 1)), termination: fixed(3_600_000), ..Behavior::default() };
    let p = w.pod("p", spec(ImageId(0), b));
    w.run(6_490);
    w.h.handle(|ctx| ctx.api.delete_pod(p, 30_000, ctx.now));
    w.run(8_000);
    let pod = w.h.api.pod(p);
    assert_eq!(pod.removed, Some(SimTime(6_500)));
    assert!(matches!(w.app(p).state, ContainerState::Terminated { exit_code: 1, .. }));
    assert!(w.h.times_of("BackOff").is_empty() && w.h.times_of("Created") == [10]);
}

#[test]
fn regression_an_on_failure_pod_is_not_dropped_while_a_failed_container_waits_to_restart() {
    // restartPolicy OnFailure: `a` fails 5 s after each start, `b` succeeds 13.5 s after its
    // start (14510, seen at 15000). By then `a` (restarted at 7000, up at 8000, failed at 13000)
    // shows its exit while it waits out its back-off: the pod is not done, `a` restarts.
    let mut w = World::new(&[("app:1", 50 * MI)], &[ImageId(0)]);
    let fails = Behavior { exit: Some((fixed(5_000), 1)), ..Behavior::default() };
    let ends = Behavior { exit: Some((fixed(13_500), 0)), ..Behavior::default() };
    let mut s = PodSpec::of(vec![
        ContainerSpec::new("a", ImageId(0), PullPolicy::IfNotPresent, fails),
        ContainerSpec::new("b", ImageId(0), PullPolicy::IfNotPresent, ends),
    ]);
    s.restart_policy = RestartPolicy::OnFailure;
    let p = w.pod("p", s);
    w.run(15_000);
    assert!(matches!(w.h.api.pod(p).status.containers[0].state, ContainerState::Terminated { exit_code: 1, .. }));
    w.run(60_000);
    let pod = w.h.api.pod(p);
    assert_eq!(pod.status.phase, PodPhase::Running);
    assert!(pod.status.containers[0].restart_count >= 2, "{:?}", pod.status.containers[0]);
    assert!(w.h.times_of("Created").len() >= 4, "a restarted after b finished");
}

#[test]
fn a_deleted_pod_with_a_sidecar_ends_succeeded_not_pending() {
    // #21: getPhase ignores terminated restartable init containers. An init container, a
    // sidecar and an app container all exit 0 on SIGTERM when the pod is deleted: the pod is
    // Succeeded (it was Pending, the stopped sidecar counting as an init container not done).
    let mut w = World::new(&[("app:1", 50 * MI)], &[ImageId(0)]);
    let p = w.pod("p", init_sidecar_app());
    w.run(10_000);
    assert_eq!(w.h.api.pod(p).status.phase, PodPhase::Running);
    assert!(matches!(w.h.api.pod(p).status.init_containers[1].state, ContainerState::Running { .. }));
    w.h.handle(|ctx| ctx.api.delete_pod(p, 30_000, ctx.now));
    w.run(60_000);
    let pod = w.h.api.pod(p);
    assert!(pod.removed.is_some());
    assert!(matches!(pod.status.init_containers[1].state, ContainerState::Terminated { exit_code: 0, .. }));
    assert_eq!(pod.status.phase, PodPhase::Succeeded);
}

#[test]
fn a_hard_eviction_fails_the_pod_once_stopped_and_gives_sigterm_the_2_second_minimum() {
    // #21: evictPod records Evicted and kills the pod with the grace override
    // immediateEvictionGracePeriodSeconds (1 s), raised by killContainer to
    // minimumGracePeriodInSeconds (2 s): a process that ignores SIGTERM is SIGKILLed 2 s later.
    // The status manager holds the Failed phase (reason Evicted) back until nothing runs.
    let mut w = World::new(&[("app:1", 50 * MI)], &[ImageId(0)]);
    let leak = Behavior { memory: Some((200 * MI, 0)), termination: fixed(60_000), ..Behavior::default() };
    let p = w.pod("p", spec(ImageId(0), leak));
    w.run(5_000);
    assert_eq!(w.h.api.pod(p).status.phase, PodPhase::Running);
    // A process outside pods leaves 250Mi of the node's 8Gi, 50Mi once the pod's 200Mi are
    // counted: below memory.available<100Mi at the eviction manager's next 10 s tick.
    let n = w.n;
    w.h.memory_hog[n.idx()] = 8 * GI - 250 * MI;
    w.h.handle(|ctx| ctx.at(SimTime(10_000), Event::Kubelet(n, KubeletEvent::EvictionMonitor)));
    w.run(10_000);
    let pod = w.h.api.pod(p);
    assert_eq!((pod.status.phase, pod.status.reason), (PodPhase::Running, None), "not terminal while it runs");
    assert_eq!(
        w.events(p).iter().filter(|e| e.0 == "Evicted" || e.0 == "Killing").collect::<Vec<_>>(),
        [&("Evicted", 10_000), &("Killing", 10_000)]
    );
    assert!(matches!(w.app(p).state, ContainerState::Running { .. }), "still stopping");
    w.run(20_000);
    let killed = ContainerState::Terminated { exit_code: 137, reason: "Error", finished: SimTime(12_000) };
    assert_eq!(w.app(p).state, killed);
    let pod = w.h.api.pod(p);
    assert_eq!(pod.removed, None, "an evicted pod stays in the API for its controller");
    assert_eq!(
        (pod.status.phase, pod.status.reason, pod.finished_at),
        (PodPhase::Failed, Some("Evicted"), Some(SimTime(12_000)))
    );
    let d = pod.status.conditions.get(crate::api::conditions::CondType::DisruptionTarget).copied().unwrap();
    assert_eq!((d.reason, d.since), (crate::api::conditions::CondReason::TerminationByKubelet, SimTime(12_000)));
}

#[test]
fn a_missing_configmap_volume_is_retried_with_the_mount_back_off_and_mounted_once_it_exists() {
    use crate::api::{ConfigKind, ConfigObject, VolumeSource, VolumeSpec};
    let mut w = World::new(&[("nginx:1", 10 * MI)], &[ImageId(0)]);
    let mut s = spec(ImageId(0), Behavior::default());
    s.volumes = vec![VolumeSpec {
        name: "config".into(),
        sources: vec![VolumeSource { kind: ConfigKind::ConfigMap, name: "cfg".into(), keys: vec![], optional: false }],
    }];
    let p = w.pod("web", s);
    w.run(5_000);
    // Heard of at 10 ms; tries 500 ms, 1 s, 2 s apart (operationexecutor's exponential back-off).
    let mounts: Vec<u64> = w.events(p).iter().filter(|e| e.0 == "FailedMount").map(|e| e.1).collect();
    assert_eq!(mounts, vec![10, 510, 1_510, 3_510]);
    assert_eq!(
        w.messages(p, "FailedMount")[0],
        Message::Text("MountVolume.SetUp failed for volume \"config\" : configmap \"cfg\" not found".into())
    );
    assert!(matches!(w.app(p).state, ContainerState::Waiting { reason: "ContainerCreating" }));
    w.h.api.gates.put_config(ConfigObject::new(ConfigKind::ConfigMap, "default".into(), "cfg".into(), None, vec![]));
    // The next try, 4 s after the last (7.51 s), mounts it and the container starts.
    w.run(8_000);
    let created = w.events(p).iter().find(|e| e.0 == "Created").map(|e| e.1);
    assert_eq!(created, Some(7_510));
    assert_eq!(w.events(p).iter().filter(|e| e.0 == "FailedMount").count(), 4);
}

#[test]
fn a_missing_secret_key_in_the_environment_fails_the_container_config_at_each_sync() {
    use crate::api::{ConfigKind, ConfigRef};
    let mut w = World::new(&[("nginx:1", 10 * MI)], &[ImageId(0)]);
    let mut s = spec(ImageId(0), Behavior::default());
    s.containers[0].env_refs =
        vec![ConfigRef { kind: ConfigKind::Secret, name: "db".into(), key: Some("password".into()), optional: false }];
    let p = w.pod("api", s);
    w.run(40_000);
    // The image is checked first (already present), then the environment: at every pod sync,
    // 10-15 s after the last error.
    let mut syncs = Syncs::new();
    let mut expected = vec![10];
    while let Some(&t) = expected.last().filter(|&&t| syncs_due(t) <= 40_000) {
        expected.push(syncs.after_error(t));
    }
    fn syncs_due(t: u64) -> u64 {
        t + 15_000
    }
    let failed: Vec<u64> = w.events(p).iter().filter(|e| e.0 == "Failed").map(|e| e.1).collect();
    assert_eq!(failed[..expected.len()], expected);
    assert_eq!(w.messages(p, "Failed")[0], Message::Text("Error: secret \"db\" not found".into()));
    assert!(matches!(w.app(p).state, ContainerState::Waiting { reason: "CreateContainerConfigError" }));
    assert_eq!(w.app(p).restart_count, 0);
}

/// `container-runtime-down` at 62 s: the last good `updateRuntimeUp` was at 60 s (a 5 s grid),
/// so "container runtime is down" from 90 s (`maxWaitForContainerRuntime` 30 s), posted by the
/// node status update of 90 s (a 10 s grid). The container crashing meanwhile is only seen once
/// the runtime is back at 127 s: the check of 130 s resumes pod syncs, and Ready is posted at 130 s.
#[test]
fn a_runtime_that_stops_answering_makes_the_node_not_ready_and_freezes_pod_work_until_it_is_back() {
    let mut w = World::new(&[("app:1", 50 * MI)], &[ImageId(0)]);
    let p = w.pod("p", spec(ImageId(0), Behavior { exit: Some((fixed(70_000), 1)), ..Behavior::default() }));
    w.run(62_000);
    let n = w.n;
    w.h.handle(|ctx| ctx.after(0, Event::Kubelet(n, KubeletEvent::RuntimeDown)));
    w.run(89_999);
    assert_eq!(w.h.api.node(n).ready, ConditionStatus::True);
    w.run(90_000);
    let node = w.h.api.node(n);
    assert_eq!((node.ready, node.not_ready_message), (ConditionStatus::False, runtime_state::RUNTIME_DOWN_MESSAGE));
    assert!(node.taints.iter().any(|t| t.key == crate::api::node::TAINT_NOT_READY));
    let e = w.h.event("NodeNotReady").expect("the kubelet's event");
    assert_eq!((e.time, e.source), (SimTime(90_000), Source::Kubelet));
    // The process exits at 1010 + 70000 = 71010, unseen: the API still shows it running.
    w.run(120_000);
    assert!(matches!(w.app(p).state, ContainerState::Running { .. }));
    assert!(w.h.times_of("BackOff").is_empty() && w.h.times_of("Created") == [10]);
    w.h.handle(|ctx| ctx.after(7_000, Event::Kubelet(n, KubeletEvent::RuntimeUp)));
    w.run(129_999);
    assert_eq!(w.h.api.node(n).ready, ConditionStatus::False);
    w.run(131_000);
    assert_eq!(w.h.api.node(n).ready, ConditionStatus::True);
    assert!(w.h.api.node(n).taints.is_empty());
    assert_eq!(w.h.times_of("NodeReady"), [130_000]);
    // Seen at 130 s: exit 1, restarted at once (its first restart).
    assert_eq!(w.app(p).last_terminated.map(|t| (t.0, t.1)), Some((1, "Error")));
    assert_eq!(w.h.times_of("Created"), [10, 130_000]);
}

/// nodefs.available<10% of a 10Gi disk: the threshold quantity is 10Gi * float64(float32(0.1))
/// truncated, 1073741840 bytes. A fill leaving nothing: DiskPressure and its taint at the next
/// 10 s tick, then the image garbage collector frees the unused 2Gi image, which is enough.
/// More fill: nothing left to collect, so the lower-priority pod is evicted; a new pod is then
/// refused by the eviction manager's admission.
#[test]
fn disk_pressure_collects_unused_images_first_then_evicts_by_priority_and_refuses_new_pods() {
    let mut w = World::new(&[("app:1", GI), ("junk:1", 2 * GI)], &[ImageId(0), ImageId(1)]);
    let n = w.n;
    w.h.api.update_node(n, |x| {
        x.capacity.storage = 10 * GI;
        x.images = vec![ImageId(0), ImageId(1)];
    });
    let p = w.pod("p", spec(ImageId(0), Behavior::default()));
    let mut high = spec(ImageId(0), Behavior::default());
    high.priority = 10;
    let q = w.pod("q", high);
    w.run(5_000);
    w.h.disk_fill[n.idx()] = 7 * GI;
    w.h.handle(|ctx| ctx.at(SimTime(10_000), Event::Kubelet(n, KubeletEvent::EvictionMonitor)));
    w.run(10_000);
    let node = w.h.api.node(n);
    assert!(node.disk_pressure);
    assert!(node.taints.iter().any(|t| t.key == eviction::TAINT_DISK_PRESSURE && t.effect == TaintEffect::NoSchedule));
    assert_eq!(node.images, [ImageId(0)], "junk:1, used by no container, was collected");
    assert!(w.h.times_of("Evicted").is_empty(), "10Gi - 7Gi - 1Gi = 2Gi is above the threshold again");
    w.h.disk_fill[n.idx()] += 3 * GI / 2;
    w.run(20_000);
    assert_eq!(w.h.times_of("Evicted"), [20_000]);
    let evicted = Message::Text(
        "The node was low on resource: ephemeral-storage. Threshold quantity: 1073741840, available: 512Mi. ".into(),
    );
    assert_eq!(w.messages(p, "Evicted"), [evicted]);
    assert!(w.messages(q, "Evicted").is_empty(), "higher priority: evicted after p");
    let r = w.pod("r", spec(ImageId(0), Behavior::default()));
    w.run(25_000);
    let pod = w.h.api.pod(r);
    assert_eq!((pod.status.phase, pod.status.reason), (PodPhase::Failed, Some("Evicted")));
    assert_eq!(pod.status.message.as_deref(), Some("Pod was rejected: The node had condition: [DiskPressure]. "));
}

/// A container of `spec` whose behaviour has this entrypoint fault and command.
fn bad_entrypoint(fault: crate::api::behavior::EntrypointFault, command: Option<&str>) -> PodSpec {
    let mut s = spec(ImageId(0), Behavior { entrypoint: Some(fault), ..Behavior::default() });
    s.containers[0].command = command.map(Into::into);
    s
}

fn text(m: &Message) -> String {
    match m {
        Message::Text(t) => t.to_string(),
        other => panic!("not a text message: {other:?}"),
    }
}

#[test]
fn a_missing_entrypoint_fails_each_start_as_start_error_128_and_backs_off_like_a_crash() {
    use crate::api::behavior::EntrypointFault;
    let mut w = World::new(&[("app:1", 50 * MI)], &[ImageId(0)]);
    let p = w.pod("p", bad_entrypoint(EntrypointFault::Missing, Some("/app/server")));
    w.run(10);
    // Created when the kubelet hears of the pod (10), and StartContainer fails at once: the
    // dead instance is containerd's StartError 128, the container waits in RunContainerError.
    let st = w.app(p);
    assert_eq!(st.state, ContainerState::Waiting { reason: "RunContainerError" });
    assert_eq!((st.restart_count, st.last_terminated), (0, Some((128, "StartError", SimTime(10)))));
    assert_eq!(
        text(&w.messages(p, "Failed")[0]),
        "Error: failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: exec: \"/app/server\": stat /app/server: no such file or directory: unknown"
    );
    // PLEG's relist (1000) sees it; no back-off entry yet, so that sync restarts it at once
    // (and fails again). The relist after that (2000) finds it inside its 10 s back-off:
    // BackOff, then the worker's 10-15 s requeues until a sync is past 10 s since 1000.
    let mut syncs = Syncs::new();
    let mut backoffs = vec![2_000];
    let mut t = syncs.after_error(2_000);
    while t - 1_000 < 10_000 {
        backoffs.push(t);
        t = syncs.after_error(t);
    }
    w.run(t);
    assert_eq!(w.h.times_of("Created"), [10, 1_000, t]);
    assert_eq!(w.h.times_of("Failed"), [10, 1_000, t]);
    assert_eq!(w.h.times_of("BackOff"), backoffs);
    assert!(w.h.times_of("Started").is_empty(), "nothing ever starts");
    let st = w.app(p);
    assert_eq!((st.restart_count, st.last_terminated), (2, Some((128, "StartError", SimTime(t)))));
    // restartPolicy Always: the pod is Running (its container counts as stopped), never Ready.
    assert_eq!((w.h.api.pod(p).status.phase, w.h.api.pod(p).status.ready), (PodPhase::Running, false));
}

#[test]
fn a_back_off_sync_after_a_failed_start_shows_run_container_error_then_crash_loop_back_off() {
    use crate::api::behavior::EntrypointFault;
    let mut w = World::new(&[("app:1", 50 * MI)], &[ImageId(0)]);
    let p = w.pod("p", bad_entrypoint(EntrypointFault::NotExecutable, Some("/app/run.sh")));
    // The status a sync writes is the last sync's outcome (the reason cache): the back-off
    // sync at 2000 still shows the failed start; the one after it shows the back-off.
    w.run(2_000);
    assert_eq!(w.app(p).state, ContainerState::Waiting { reason: "RunContainerError" });
    assert!(text(&w.messages(p, "Failed")[0]).ends_with("exec: \"/app/run.sh\": permission denied: unknown"));
    let mut syncs = Syncs::new();
    let next = syncs.after_error(2_000);
    w.run(next);
    let shown = if next - 1_000 < 10_000 { "CrashLoopBackOff" } else { "RunContainerError" };
    assert_eq!(w.app(p).state, ContainerState::Waiting { reason: shown });
}

#[test]
fn under_restart_policy_never_a_failed_start_ends_the_pod_failed() {
    use crate::api::behavior::EntrypointFault;
    let mut w = World::new(&[("app:1", 50 * MI)], &[ImageId(0)]);
    let mut s = bad_entrypoint(EntrypointFault::Missing, Some("migrate"));
    s.restart_policy = RestartPolicy::Never;
    let p = w.pod("p", s);
    w.run(30_000);
    let dead = ContainerState::Terminated { exit_code: 128, reason: "StartError", finished: SimTime(10) };
    assert_eq!(w.app(p).state, dead);
    assert_eq!(w.h.api.pod(p).status.phase, PodPhase::Failed);
    assert!(
        text(&w.messages(p, "Failed")[0]).ends_with("exec: \"migrate\": executable file not found in $PATH: unknown")
    );
    assert_eq!(w.h.times_of("Created"), [10], "never restarted");
}

#[test]
fn no_command_at_all_is_a_create_container_error_retried_at_each_sync_without_restarts() {
    use crate::api::behavior::EntrypointFault;
    let mut w = World::new(&[("app:1", 50 * MI)], &[ImageId(0)]);
    let p = w.pod("p", bad_entrypoint(EntrypointFault::Unset, None));
    let mut syncs = Syncs::new();
    let (a, b) = (10, syncs.after_error(10));
    let c = syncs.after_error(b);
    w.run(c);
    // CreateContainer fails: nothing is created, so nothing restarts or backs off.
    assert_eq!(w.h.times_of("Failed"), [a, b, c]);
    assert!(w.h.times_of("Created").is_empty() && w.h.times_of("BackOff").is_empty());
    let m = text(&w.messages(p, "Failed")[0]);
    assert!(m.starts_with("Error: failed to generate container \""), "{m}");
    assert!(m.ends_with("\" spec: failed to generate spec: no command specified"), "{m}");
    let st = w.app(p);
    assert_eq!((st.state, st.restart_count), (ContainerState::Waiting { reason: "CreateContainerError" }, 0));
}

#[test]
fn with_no_pid_left_sandboxes_cannot_start_until_the_leak_ends() {
    let mut w = World::new(&[("app:1", 50 * MI)], &[ImageId(0)]);
    let n = w.n;
    w.h.pid_hog[n.idx()] = w.h.settings.pid_max;
    let p = w.pod("p", spec(ImageId(0), Behavior::default()));
    let mut syncs = Syncs::new();
    let retry = syncs.after_error(10);
    w.run(retry - 1);
    assert_eq!(w.h.times_of("FailedCreatePodSandBox"), [10]);
    let m = text(&w.messages(p, "FailedCreatePodSandBox")[0]);
    assert!(
        m.ends_with("fork/exec /usr/bin/containerd-shim-runc-v2: resource temporarily unavailable: unknown"),
        "{m}"
    );
    assert_eq!(w.app(p).state, ContainerState::Waiting { reason: "ContainerCreating" });
    // The leak ends: the worker's next sync creates the sandbox and starts the container.
    w.h.pid_hog[n.idx()] = 0;
    w.run(retry + 1_000);
    assert_eq!(w.h.times_of("Created"), [retry]);
    assert_eq!(w.h.times_of("Started"), [retry + 1_000]);
}

#[test]
fn a_pid_available_threshold_reports_pid_pressure_and_evicts_the_lower_priority_pod_first() {
    use crate::api::settings::Threshold;
    let mut w = World::new(&[("app:1", 50 * MI)], &[ImageId(0)]);
    w.h.settings.eviction_hard.pid_available = Some(Threshold::Percent(0.05));
    let high = w.pod("high", spec(ImageId(0), Behavior::default()));
    let mut s = spec(ImageId(0), Behavior::default());
    s.priority = -10;
    let low = w.pod("low", s);
    w.run(5_000);
    // 96% of pid_max outside pods, plus each pod's pause and app processes: pid.available is
    // under 5% of pid_max at the eviction manager's next 10 s tick.
    let n = w.n;
    let max = w.h.settings.pid_max;
    w.h.pid_hog[n.idx()] = max * 96 / 100;
    w.h.handle(|ctx| ctx.at(SimTime(10_000), Event::Kubelet(n, KubeletEvent::EvictionMonitor)));
    w.run(10_000);
    let node = w.h.api.node(n);
    assert!(node.pid_pressure);
    assert!(node.taints.iter().any(|t| t.key == eviction::TAINT_PID_PRESSURE && t.effect == TaintEffect::NoSchedule));
    assert_eq!(w.h.times_of("NodeHasInsufficientPID"), [10_000]);
    let available = max - max * 96 / 100 - 4;
    let threshold = (max as f64 * 0.05f32 as f64) as u64;
    let msg = format!("The node was low on resource: pids. Threshold quantity: {threshold}, available: {available}. ");
    assert_eq!(w.messages(low, "Evicted"), [Message::Text(msg.into())]);
    assert!(w.messages(high, "Evicted").is_empty(), "one pod per pass, the lower priority first");
    // Admission refuses new pods while the condition holds.
    let mut later = spec(ImageId(0), Behavior::default());
    later.priority = 0;
    let refused = w.pod("later", later);
    w.run(11_000);
    let pod = w.h.api.pod(refused);
    assert_eq!((pod.status.phase, pod.status.reason), (PodPhase::Failed, Some("Evicted")));
    assert_eq!(pod.status.message.as_deref(), Some("Pod was rejected: The node had condition: [PIDPressure]. "));
}

#[test]
fn with_the_cni_config_gone_the_node_goes_not_ready_and_no_pod_sync_gets_past_the_network_check() {
    let mut w = World::new(&[("app:1", 50 * MI)], &[ImageId(0)]);
    // It exits 5 s after each start: the first exit (6010) is restarted at the relist of 7000.
    let p = w.pod("p", spec(ImageId(0), Behavior { exit: Some((fixed(5_000), 1)), ..Behavior::default() }));
    let n = w.n;
    w.h.handle(|ctx| ctx.at(SimTime(8_000), Event::Kubelet(n, KubeletEvent::CniDown)));
    // The runtime check (5 s grid) reads NetworkReady=false at 10000, and the node status
    // update of the same moment (10 s grid) posts Ready=False with the runtime's message.
    w.run(10_000);
    let node = w.h.api.node(n);
    assert_eq!(
        (node.ready, node.not_ready_message),
        (ConditionStatus::False, runtime_state::NETWORK_NOT_READY_MESSAGE)
    );
    // The second instance (started 8000) exits at 13000; the relist's sync (14000) shows the
    // exit but stops at the network check, and so does every sync until the error clears.
    // The config is back at 20000 (read by the check of that moment): the next requeued
    // sync, past the 10 s back-off since 13000, restarts it.
    let mut syncs = Syncs::new();
    let (first, second) = (14_000, syncs.after_error(14_000));
    w.h.handle(|ctx| ctx.at(SimTime(20_000), Event::Kubelet(n, KubeletEvent::CniUp)));
    w.run(second - 1);
    assert_eq!(w.h.times_of("NetworkNotReady"), [first]);
    assert_eq!(w.app(p).state, ContainerState::Terminated { exit_code: 1, reason: "Error", finished: SimTime(13_000) });
    assert_eq!(w.h.api.node(n).ready, ConditionStatus::True, "Ready again at the status update of 20000");
    w.run(second);
    assert_eq!(w.h.times_of("Created"), [10, 7_000, second]);
}

#[test]
fn a_cni_config_that_changes_while_the_node_is_off_is_what_the_boot_finds() {
    let mut w = World::new(&[("app:1", 50 * MI)], &[ImageId(0)]);
    let n = w.n;
    let at = |t: u64, ev: KubeletEvent| move |ctx: &mut Ctx| ctx.at(SimTime(t), Event::Kubelet(n, ev));
    // Gone while the machine is off: the boot at 20000 reads it at its first runtime check
    // (20000) and posts Ready=False with that status update.
    w.h.handle(at(1_000, KubeletEvent::PowerOff));
    w.h.handle(at(5_000, KubeletEvent::CniDown));
    w.h.handle(at(20_000, KubeletEvent::PowerOn));
    w.run(20_000);
    let node = w.h.api.node(n);
    assert_eq!(
        (node.ready, node.not_ready_message),
        (ConditionStatus::False, runtime_state::NETWORK_NOT_READY_MESSAGE)
    );
    // Back while it is off again: the next boot finds nothing wrong.
    w.h.handle(at(30_000, KubeletEvent::PowerOff));
    w.h.handle(at(35_000, KubeletEvent::CniUp));
    w.h.handle(at(40_000, KubeletEvent::PowerOn));
    w.run(60_000);
    assert_eq!(w.h.api.node(n).ready, ConditionStatus::True);
    let p = w.pod("p", spec(ImageId(0), Behavior::default()));
    w.run(62_000);
    assert!(matches!(w.app(p).state, ContainerState::Running { .. }));
}
