//! Workload traces (`spec.trace`): nodes, pods and node removals from the neutral CSV traces
//! of `shared/bench` (gzip accepted). Each trace pod arrives as a one-completion Job whose
//! container runs `running_duration` and exits 0; a removal is a node lost for good.

use std::io::Read;
use std::path::Path;

/// Where the format is described (shown with every trace error).
pub const TRACE_FORMAT_HELP: &str =
    "the trace format is in kubesim's README (Scenario files, `spec.trace`) and scenarios/bench/README.md";

/// One pod of a trace.
#[derive(Clone, Debug, PartialEq)]
pub struct TracePod {
    pub name: String,
    pub arrival_ms: u64,
    pub cpu_milli: u64,
    pub memory: u64,
    pub run_ms: u64,
}

/// A trace file problem: which file, which line, what.
#[derive(Debug)]
pub struct TraceError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

fn read(path: &Path) -> Result<String, TraceError> {
    let err = |m: String| TraceError { file: path.display().to_string(), line: 0, message: m };
    let bytes = std::fs::read(path).map_err(|e| err(format!("cannot read it: {e}")))?;
    // gzip by its magic number, whatever the name says.
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut s = String::new();
        flate2::read::MultiGzDecoder::new(&bytes[..])
            .read_to_string(&mut s)
            .map_err(|e| err(format!("not valid gzip'd UTF-8 text: {e}")))?;
        Ok(s)
    } else {
        String::from_utf8(bytes).map_err(|_| err("not UTF-8 text".into()))
    }
}

/// Seconds with a fraction (`2597.437`) to whole milliseconds, rounded.
fn secs_ms(s: &str) -> Option<u64> {
    let v: f64 = s.trim().parse().ok()?;
    (v.is_finite() && (0.0..1e12).contains(&v)).then(|| (v * 1000.0).round() as u64)
}

fn whole(s: &str) -> Option<u64> {
    s.trim().parse().ok()
}

/// Read a CSV with the given header; call `row` for every record with its line number.
fn records(
    path: &Path,
    want: &[&str],
    mut row: impl FnMut(usize, &csv::StringRecord) -> Result<(), String>,
) -> Result<(), TraceError> {
    let text = read(path)?;
    let mut r = csv::ReaderBuilder::new().has_headers(true).from_reader(text.as_bytes());
    let file = path.display().to_string();
    let headers = r.headers().map_err(|e| TraceError { file: file.clone(), line: 1, message: e.to_string() })?.clone();
    let got: Vec<&str> = headers.iter().collect();
    if got != want {
        // Say which column differs without quoting the file: it may not be the user's own.
        let col = got.iter().zip(want).position(|(g, w)| g != w).unwrap_or(got.len().min(want.len())) + 1;
        return Err(TraceError {
            file,
            line: 1,
            message: format!("the header is not `{}` ({} columns; column {col} differs)", want.join(","), got.len()),
        });
    }
    for rec in r.records() {
        let rec = rec.map_err(|e| TraceError {
            file: file.clone(),
            line: e.position().map_or(0, |p| p.line() as usize),
            message: e.to_string(),
        })?;
        let line = rec.position().map_or(0, |p| p.line() as usize);
        row(line, &rec).map_err(|message| TraceError { file: file.clone(), line, message })?;
    }
    Ok(())
}

/// `name,create_time,cpu_millicores,ram_bytes`.
pub fn nodes(path: &Path) -> Result<Vec<(String, u64, u64)>, TraceError> {
    let mut out = Vec::new();
    records(path, &["name", "create_time", "cpu_millicores", "ram_bytes"], |_, r| {
        let name = r[0].trim().to_string();
        if name.is_empty() {
            return Err("a node without a name".into());
        }
        if secs_ms(&r[1]) != Some(0) {
            return Err("create_time is not 0: kubesim creates trace nodes at time 0 only".to_string());
        }
        let cpu = whole(&r[2])
            .filter(|&c| c > 0)
            .ok_or_else(|| "cpu_millicores is not a positive whole number".to_string())?;
        let ram =
            whole(&r[3]).filter(|&c| c > 0).ok_or_else(|| "ram_bytes is not a positive whole number".to_string())?;
        out.push((name, cpu, ram));
        Ok(())
    })?;
    Ok(out)
}

/// `name,arrival_time,cpu_millicores,ram_bytes,running_duration`, in arrival order (stable).
pub fn pods(path: &Path) -> Result<Vec<TracePod>, TraceError> {
    let mut out = Vec::new();
    records(path, &["name", "arrival_time", "cpu_millicores", "ram_bytes", "running_duration"], |_, r| {
        let name = r[0].trim().to_string();
        if name.is_empty() {
            return Err("a pod without a name".into());
        }
        let arrival_ms = secs_ms(&r[1]).ok_or_else(|| "arrival_time is not a time in seconds".to_string())?;
        let cpu_milli = whole(&r[2]).ok_or_else(|| "cpu_millicores is not a whole number".to_string())?;
        let memory = whole(&r[3]).ok_or_else(|| "ram_bytes is not a whole number".to_string())?;
        let run_ms = secs_ms(&r[4]).ok_or_else(|| "running_duration is not a time in seconds".to_string())?;
        out.push(TracePod { name, arrival_ms, cpu_milli, memory, run_ms });
        Ok(())
    })?;
    out.sort_by_key(|p| p.arrival_ms);
    Ok(out)
}

/// `name,remove_time`.
pub fn removals(path: &Path) -> Result<Vec<(String, u64)>, TraceError> {
    let mut out = Vec::new();
    records(path, &["name", "remove_time"], |_, r| {
        let t = secs_ms(&r[1]).ok_or_else(|| "remove_time is not a time in seconds".to_string())?;
        out.push((r[0].trim().to_string(), t));
        Ok(())
    })?;
    Ok(out)
}
