//! Determinism as madsim checks it: the same scenario run twice in one process, every
//! dispatched event hashed as it goes (time, sequence number, the event); the first event where
//! the two runs part is named with the seed and its virtual time, not just "events.csv differs".

use crate::cluster::{Cluster, EventLog, EventStamp, RunOptions};
use crate::invariants::Violation;
use crate::scenario::Scenario;
use std::fmt;

/// Where two runs of one scenario part.
#[derive(Clone, Debug)]
pub struct Divergence {
    /// The index of the first differing event (0 = the first dispatched).
    pub index: usize,
    pub seed: u64,
    /// That event in each run (its stamp and description), or None where a run had no more.
    pub first: Option<(EventStamp, String)>,
    pub second: Option<(EventStamp, String)>,
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let time = self.first.as_ref().or(self.second.as_ref()).map_or(String::from("?"), |(s, _)| s.time.to_string());
        writeln!(f, "the two runs diverge at event #{} (seed {}, virtual time {time}s):", self.index, self.seed)?;
        for (run, e) in [(1, &self.first), (2, &self.second)] {
            match e {
                Some((s, text)) => writeln!(f, "  run {run}: t={}s seq {}: {text}", s.time, s.seq)?,
                None => writeln!(f, "  run {run}: no more events")?,
            }
        }
        Ok(())
    }
}

/// Run `s` twice (the second with `opts.perturb`, a test-only hook) and compare every dispatched
/// event. Ok(Ok(events)) when both runs dispatched the same events; Ok(Err(d)) names the first
/// difference; Err is an invariant violation of either run.
pub fn check_determinism(s: &Scenario, opts: &RunOptions) -> Result<Result<usize, Divergence>, Violation> {
    let a = event_log(s, opts, false, None)?;
    let b = event_log(s, opts, opts.perturb, None)?;
    let differs = |i: &usize| a.stamps.get(*i) != b.stamps.get(*i);
    let Some(index) = (0..a.stamps.len().max(b.stamps.len())).find(differs) else {
        return Ok(Ok(a.stamps.len()));
    };
    // Run each again up to that event, to describe it.
    let describe = |perturb: bool, stamps: &[EventStamp]| -> Result<Option<(EventStamp, String)>, Violation> {
        let Some(&stamp) = stamps.get(index) else { return Ok(None) };
        let log = event_log(s, opts, perturb, Some(index))?;
        Ok(Some((stamp, log.described.unwrap_or_default())))
    };
    let first = describe(false, &a.stamps)?;
    let second = describe(opts.perturb, &b.stamps)?;
    Ok(Err(Divergence { index, seed: s.seed, first, second }))
}

/// One run's event log (up to event `describe`, described, when given).
fn event_log(s: &Scenario, opts: &RunOptions, perturb: bool, describe: Option<usize>) -> Result<EventLog, Violation> {
    let mut c = Cluster::new(s.clone());
    c.event_log = Some(EventLog { describe, ..EventLog::default() });
    let o = RunOptions {
        log_events: true,
        perturb,
        progress: false,
        max_events: describe.map_or(opts.max_events, |i| Some(i as u64 + 1)),
        ..*opts
    };
    c.run(&o)?;
    Ok(c.event_log.take().unwrap_or_default())
}
