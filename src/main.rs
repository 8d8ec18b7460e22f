//! The `kubesim` command line: parse arguments, call the library, choose the exit code.

use clap::Parser;
use kubesim::cli::*;
use kubesim::report::csv::print;
use kubesim::report::listing::ListQuery;
use kubesim::report::output::OutGuard;
use kubesim::scenario;
use std::path::PathBuf;
use std::process::ExitCode;

/// Refuse an `--out` folder kubesim may not replace, before anything runs.
fn check_out(guard: &OutGuard, dir: &std::path::Path) -> Result<(), ExitCode> {
    guard.check(dir).map_err(|e| {
        eprintln!("error: {e}");
        ExitCode::from(EXIT_BAD_INPUT)
    })
}

/// A failed write: bad input (exit 2) when the folder was refused, a failure otherwise.
fn write_failed(dir: &std::path::Path, e: &std::io::Error) -> ExitCode {
    if let Some(refused) = e.get_ref().and_then(|x| x.downcast_ref::<kubesim::report::output::OutError>()) {
        eprintln!("error: {refused}");
        return ExitCode::from(EXIT_BAD_INPUT);
    }
    eprintln!("error: cannot write the outputs to {}: {e}", dir.display());
    ExitCode::FAILURE
}

fn report_error(e: scenario::LoadError) {
    let r = miette::Report::new(e);
    eprintln!("{r:?}");
}

fn warn(s: &scenario::Scenario) {
    for w in &s.warnings {
        eprintln!("warning: {w}");
    }
    refusals(s);
}

/// What the API server refused at apply, as kubectl prints it (always shown: these objects are
/// missing from the run).
fn refusals(s: &scenario::Scenario) {
    for r in &s.refused {
        eprintln!("{r}");
    }
}

/// How an input is named in messages: the scenario file, else the manifests.
fn input_name(inp: &scenario::input::Input) -> String {
    match &inp.scenario {
        Some(f) => f.display().to_string(),
        None => inp.manifests.iter().map(|m| m.display().to_string()).collect::<Vec<_>>().join(", "),
    }
}

fn main() -> ExitCode {
    // One line per message: file:line:column must stay greppable, whatever the terminal width.
    miette::set_hook(Box::new(|_| Box::new(miette::MietteHandlerOpts::new().wrap_lines(false).build()))).ok();
    let cli = Cli::parse();
    let outside = cli.allow_outside_paths;
    match cli.cmd {
        Cmd::Validate { files, manifests, allow_large } => match manifests.inputs(&files) {
            Ok(inputs) => validate(inputs, allow_large, outside),
            Err(code) => code,
        },
        Cmd::Check { files, manifests, seed } => match manifests.inputs(&files) {
            Ok(inputs) => check(inputs, seed, outside),
            Err(code) => code,
        },
        Cmd::Sweep { file, jobs, shard, out, dry_run, quiet } => sweep(file, jobs, shard, out, dry_run, quiet, outside),
        Cmd::Merge { parts, out, sweep } => merge(parts, out, sweep, outside),
        Cmd::Get { what: GetCmd::Pods { list, output, selector, show_labels } } => {
            get_pods(list, output, selector, show_labels, outside)
        }
        Cmd::Describe { kind, name, list } => describe(&kind, name, list, outside),
        Cmd::Trace { target, list } => trace(&target, list, outside),
        Cmd::Get { what: GetCmd::Events { input, at, for_object, why, seed } } => {
            get_events(input, at, for_object, why, seed, outside)
        }
        Cmd::Get { what: GetCmd::Nodes { list, output, labels } } => {
            get_listed("nodes".into(), list, output, labels, outside)
        }
        Cmd::Get { what: GetCmd::Other(args) } => get_other(args, outside),
        Cmd::Run(args) => run(args, outside),
    }
}

/// `kubesim validate`: parse and check each file; every error of every file is printed.
fn validate(inputs: Vec<scenario::input::Input>, allow_large: bool, outside: bool) -> ExitCode {
    let mut bad = false;
    let opts = scenario::LoadOptions { allow_large, allow_outside_paths: outside };
    for inp in inputs {
        // The variants too: each is the scenario with its changes, validated as a whole.
        match kubesim::load_variants(&inp, &[], &opts).map(|mut all| all.swap_remove(0).1) {
            Ok(s) => {
                warn(&s);
                print(&format!(
                    "{}: ok ({} nodes, {} deployments, {} replicasets, {} pods, {} faults, {} warnings)\n",
                    input_name(&inp),
                    s.nodes.len(),
                    s.deployments.len(),
                    s.replicasets.len(),
                    s.pods.len(),
                    s.faults.len(),
                    s.warnings.len()
                ));
            }
            Err(e) => {
                report_error(e);
                bad = true;
            }
        }
    }
    if bad { ExitCode::from(EXIT_BAD_INPUT) } else { ExitCode::SUCCESS }
}

/// `kubesim check`: run each scenario and evaluate its `expect:` block.
fn check(inputs: Vec<scenario::input::Input>, seed: Option<u64>, outside: bool) -> ExitCode {
    let mut bad_input = false;
    let mut failed = 0usize;
    for inp in inputs {
        let opts = scenario::LoadOptions { allow_outside_paths: outside, ..Default::default() };
        let all = match kubesim::load_variants(&inp, &[], &opts) {
            Ok(all) => all,
            Err(e) => {
                report_error(e);
                bad_input = true;
                continue;
            }
        };
        // The base, and each variant with an `expect:` of its own.
        let own = all[0].1.checked_variants().into_iter().map(String::from).collect::<Vec<_>>();
        let mut runs: Vec<(String, scenario::Scenario)> =
            all.into_iter().filter(|(n, _)| n == "base" || own.contains(n)).collect();
        for (_, s) in &mut runs {
            s.seed = seed.unwrap_or(s.seed);
        }
        // The history answers `get:` expectations (kubectl's STATUS at a moment).
        let opts = kubesim::RunOptions { history: true, ..Default::default() };
        let results = match kubesim::simulate_variants(runs, &opts) {
            Ok(r) => r,
            Err(v) => {
                eprintln!("error: {v}");
                return ExitCode::from(EXIT_BUG);
            }
        };
        for (name, r) in &results {
            let verdicts = kubesim::report::check::check(r);
            let which = if name == "base" { String::new() } else { format!(", variant {name}") };
            print(&format!("{}{which} (seed {}):\n", input_name(&inp), r.cluster.scenario.seed));
            if verdicts.is_empty() {
                print("  no expectations\n");
            }
            for v in &verdicts {
                let mark = if v.pass { "PASS" } else { "FAIL" };
                print(&format!("  {mark}  {}  (actual: {})\n", v.expectation, v.actual));
                failed += usize::from(!v.pass);
            }
        }
    }
    if bad_input {
        ExitCode::from(EXIT_BAD_INPUT)
    } else if failed > 0 {
        eprintln!("{failed} expectation(s) failed");
        ExitCode::from(EXIT_EXPECTATION_FAILED)
    } else {
        ExitCode::SUCCESS
    }
}

/// `kubesim run --check-determinism`: two runs of the scenario, event by event. The environment
/// variable `KUBESIM_TEST_PERTURB` (tests only) makes the second run draw its scheduling ties
/// from another stream, so that there is a divergence to find.
fn determinism(s: &scenario::Scenario, opts: &kubesim::RunOptions) -> ExitCode {
    let opts = kubesim::RunOptions { perturb: std::env::var_os("KUBESIM_TEST_PERTURB").is_some(), ..*opts };
    match kubesim::run::determinism::check_determinism(s, &opts) {
        Ok(Ok(events)) => {
            print(&format!("deterministic: two runs dispatched the same {events} events (seed {})\n", s.seed));
            ExitCode::SUCCESS
        }
        Ok(Err(d)) => {
            eprint!("error: {d}");
            ExitCode::from(EXIT_BUG)
        }
        Err(v) => {
            eprintln!("error: {v}");
            ExitCode::from(EXIT_BUG)
        }
    }
}

/// `kubesim get events`, optionally for one object and with `--why`.
fn get_events(
    input: InputArgs,
    at: Option<String>,
    for_object: Option<String>,
    why: bool,
    seed: Option<u64>,
    outside: bool,
) -> ExitCode {
    let only = match for_object.as_deref().map(|f| f.split_once('/')) {
        None => None,
        Some(Some((k, n))) if !k.is_empty() && !n.is_empty() => Some((k.to_string(), n.to_string())),
        Some(_) => {
            eprintln!("error: --for takes KIND/NAME, e.g. --for pod/web-7d9c8b5f4-x2k9q");
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    let mut failed = None;
    let code = get_view(input, at, seed, None, outside, |r| {
        let only = only.as_ref().map(|(k, n)| (k.as_str(), n.as_str()));
        match kubesim::report::kubectl::get_events(&r.cluster, r.outcome.end, only, why) {
            Ok(t) => t,
            Err(m) => {
                failed = Some(m);
                String::new()
            }
        }
    });
    if let Some(m) = failed {
        eprintln!("error: {m}");
        return ExitCode::from(EXIT_BAD_INPUT);
    }
    code
}

/// `kubesim run`: the scenario (or its variants), then the outputs into `--out`.
fn run(args: RunArgs, outside: bool) -> ExitCode {
    let RunArgs {
        input,
        no_warnings,
        out,
        seed,
        quiet,
        max_events,
        check_invariants,
        allow_large,
        sets,
        no_charts,
        trace_scheduling,
        variant,
        check_determinism,
    } = args;
    let inp = match input.input() {
        Ok(i) => i,
        Err(code) => return code,
    };
    let load = scenario::LoadOptions { allow_large, allow_outside_paths: outside };
    let mut all = match kubesim::load_variants(&inp, &sets, &load) {
        Ok(v) => v,
        Err(e) => {
            report_error(e);
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    if let Some(v) = &variant {
        let Some(i) = all.iter().position(|(n, _)| n == v) else {
            let known: Vec<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
            eprintln!("error: {}: no variant {v:?} (known: {})", input_name(&inp), known.join(", "));
            return ExitCode::from(EXIT_BAD_INPUT);
        };
        all = vec![all.swap_remove(i)];
    }
    for (_, s) in all.iter_mut() {
        if let Some(seed) = seed {
            s.seed = seed;
        }
    }
    if no_warnings {
        refusals(&all[0].1);
    } else {
        warn(&all[0].1);
    }
    // The progress line only on a terminal, and not for several variants at once.
    let progress = !quiet && all.len() == 1 && std::io::IsTerminal::is_terminal(&std::io::stderr());
    let opts = kubesim::RunOptions {
        max_events,
        check_invariants,
        stop_at: None,
        trace_scheduling,
        progress,
        history: !no_charts,
        ..Default::default()
    };
    if check_determinism {
        return determinism(&all[0].1, &opts);
    }
    let guard = OutGuard::new(&inp.paths());
    let dir = out.unwrap_or_else(|| PathBuf::from("reports").join(&all[0].1.name));
    if let Err(code) = check_out(&guard, &dir) {
        return code;
    }
    if all.len() > 1 {
        let runs = match kubesim::simulate_variants(all, &opts) {
            Ok(r) => r,
            Err(v) => {
                eprintln!("error: {v}");
                return ExitCode::from(EXIT_BUG);
            }
        };
        if let Err(e) = kubesim::write_variant_outputs(&dir, &runs, !no_charts, &guard) {
            return write_failed(&dir, &e);
        }
        if !quiet {
            print(&kubesim::variants_summary(&runs, &dir));
        }
        std::mem::forget(runs);
        return ExitCode::SUCCESS;
    }
    let (_, s) = all.pop().expect("the base at least");
    let result = match kubesim::simulate(s, &opts) {
        Ok(r) => r,
        Err(v) => {
            eprintln!("error: {v}");
            return ExitCode::from(EXIT_BUG);
        }
    };
    if !result.outcome.complete {
        eprintln!(
            "warning: stopped after {} events (--max-events) at t={}s of {}s; the outputs are marked incomplete",
            result.outcome.events_processed, result.outcome.end, result.cluster.scenario.duration
        );
    }
    if let Err(e) = kubesim::write_outputs_with(&dir, &result, !no_charts, &guard) {
        return write_failed(&dir, &e);
    }
    if !quiet {
        print(&kubesim::text_summary(&result, &dir));
    }
    // The process ends here: freeing every object one by one would only cost time.
    std::mem::forget(result);
    ExitCode::SUCCESS
}

fn sweep(
    file: PathBuf,
    jobs: Option<usize>,
    shard: Option<String>,
    out: Option<PathBuf>,
    dry_run: bool,
    quiet: bool,
    outside: bool,
) -> ExitCode {
    use kubesim::sweep::{Sweep, SweepError, SweepOptions, shard_from};
    let opts = scenario::LoadOptions { allow_outside_paths: outside, ..Default::default() };
    let sw = match Sweep::load_with(&file, &opts) {
        Ok(s) => s,
        Err(e) => {
            report_error(e);
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    let shard = match shard_from(shard.as_deref(), |k| std::env::var(k).ok()) {
        Ok(s) => s,
        Err(m) => {
            eprintln!("error: {m}");
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    let jobs = jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())).max(1);
    let dir = out.unwrap_or_else(|| {
        let base = PathBuf::from("reports").join(&sw.name);
        match shard {
            Some((i, n)) => base.join(format!("part-{i}-of-{n}")),
            None => base,
        }
    });
    let points = sw.points();
    let (mine, runs) = match shard {
        Some((i, n)) => {
            let p = (0..points).filter(|p| p % n as usize == i as usize).count();
            (p, p as u64 * sw.seed_count as u64)
        }
        None => (points, sw.runs()),
    };
    if dry_run {
        print(&format!(
            "sweep {}: scenario {}, {} grid points x {} seeds = {} runs{}
",
            sw.name,
            sw.scenario_name(),
            points,
            sw.seed_count,
            sw.runs(),
            shard.map_or(String::new(), |(i, n)| format!("; shard {i}/{n}: {mine} points, {runs} runs"))
        ));
        match sw.estimate(jobs, 3) {
            Ok((secs, n)) => {
                let secs = secs * runs as f64 / sw.runs().max(1) as f64;
                print(&format!(
                    "estimate: {} with {jobs} jobs (from {n} sample run(s) of the first grid point)\n",
                    kubesim::api::duration::format_go_duration_ms((secs * 1000.0) as u64)
                ));
            }
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(EXIT_BUG);
            }
        }
        return ExitCode::SUCCESS;
    }
    let guard = OutGuard::new(&[&file, &sw.scenario_file]);
    if let Err(code) = check_out(&guard, &dir) {
        return code;
    }
    let start = std::time::Instant::now();
    match sw.run(&dir, &SweepOptions { jobs, shard, progress: !quiet, guard: guard.clone() }) {
        Ok(done) => {
            if !quiet {
                let secs = start.elapsed().as_secs_f64();
                print(&format!(
                    "sweep {}: {done} runs in {secs:.2}s ({:.1} runs/s, {jobs} jobs)\noutputs {}/ (runs.csv, aggregate.csv, manifest.yaml{})\n",
                    sw.name,
                    done as f64 / secs.max(1e-9),
                    dir.display(),
                    if shard.is_none() && !sw.params.is_empty() { ", charts/" } else { "" }
                ));
            }
            ExitCode::SUCCESS
        }
        Err(e @ (SweepError::Bug { .. } | SweepError::Scenario { .. })) => {
            eprintln!("error: {e}\nthe sweep stopped; nothing was written");
            ExitCode::from(EXIT_BUG)
        }
        Err(SweepError::Io(e)) => write_failed(&dir, &e),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn merge(parts: Vec<PathBuf>, out: Option<PathBuf>, sweep: Option<PathBuf>, outside: bool) -> ExitCode {
    let opts = scenario::LoadOptions { allow_outside_paths: outside, ..Default::default() };
    let sw = match sweep.as_ref().map(|f| kubesim::sweep::Sweep::load_with(f, &opts)).transpose() {
        Ok(s) => s,
        Err(e) => {
            report_error(e);
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    let name = std::fs::read_to_string(parts[0].join("manifest.yaml"))
        .ok()
        .and_then(|t| t.lines().find_map(|l| l.strip_prefix("sweep: ").map(str::to_string)))
        .unwrap_or_else(|| "merged".into());
    let dir = out.unwrap_or_else(|| PathBuf::from("reports").join(name));
    let mut inputs: Vec<&std::path::Path> = parts.iter().map(PathBuf::as_path).collect();
    inputs.extend(sweep.as_deref());
    let guard = OutGuard::new(&inputs);
    if let Err(code) = check_out(&guard, &dir) {
        return code;
    }
    match kubesim::sweep::merge(&parts, &dir, sw.as_ref(), &guard) {
        Ok(()) => {
            print(&format!("merged {} parts into {}/\n", parts.len(), dir.display()));
            ExitCode::SUCCESS
        }
        Err(kubesim::sweep::SweepError::Merge(m)) => {
            eprintln!("error: {m}");
            ExitCode::from(EXIT_BAD_INPUT)
        }
        Err(kubesim::sweep::SweepError::Io(e)) => write_failed(&dir, &e),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn get_pods(
    list: ListArgs,
    output: Option<String>,
    selector: Option<String>,
    show_labels: bool,
    outside: bool,
) -> ExitCode {
    use kubesim::report::kubectl::PodsOutput;
    let output = match output.as_deref() {
        None => PodsOutput::Table,
        Some("wide") => PodsOutput::Wide,
        Some("name") => PodsOutput::Name,
        Some("yaml") => PodsOutput::Yaml,
        Some("json") => PodsOutput::Json,
        Some(o) => {
            eprintln!(
                "error: unable to match a printer suitable for the output format {o:?}, allowed formats are: json,name,wide,yaml"
            );
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    let Ok(selector) = parse_selector(selector.as_deref()) else { return ExitCode::from(EXIT_BAD_INPUT) };
    let ns = list.namespace();
    get_view(list.input, list.at, list.seed, list.variant, outside, move |r| {
        let q = kubesim::report::kubectl::PodQuery {
            namespace: ns.as_deref(),
            selector: selector.as_ref(),
            output,
            show_labels,
        };
        kubesim::report::kubectl::get_pods(&r.cluster, r.outcome.end, &q)
    })
}

/// `-l SELECTOR`, its error printed as kubectl prints it.
fn parse_selector(s: Option<&str>) -> Result<Option<kubesim::api::LabelSelector>, ()> {
    s.map(kubesim::api::LabelSelector::parse).transpose().map_err(|e| eprintln!("error: {e}"))
}

/// `get KIND` for a kind without its own subcommand.
fn get_other(args: Vec<String>, outside: bool) -> ExitCode {
    let a = match OtherGet::try_parse_from(std::iter::once("kubesim get".to_string()).chain(args)) {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_BAD_INPUT } else { 0 });
        }
    };
    get_listed(a.kind, a.list, a.output, a.labels, outside)
}

/// A `get` of any kind but pods and events: the table (`-o wide` too), or the objects.
fn get_listed(kind: String, list: ListArgs, output: Option<String>, labels: LabelArgs, outside: bool) -> ExitCode {
    let Some(view) = kubesim::report::listing::view_of(&kind) else {
        eprintln!("error: the server doesn't have a resource type {kind:?}");
        return ExitCode::from(EXIT_BAD_INPUT);
    };
    if let Some(o) = output.as_deref().filter(|o| !matches!(*o, "wide" | "name" | "yaml" | "json")) {
        eprintln!(
            "error: unable to match a printer suitable for the output format {o:?}, allowed formats are: json,name,wide,yaml"
        );
        return ExitCode::from(EXIT_BAD_INPUT);
    }
    let Ok(selector) = parse_selector(labels.selector.as_deref()) else { return ExitCode::from(EXIT_BAD_INPUT) };
    let ns = list.namespace();
    get_view(list.input, list.at, list.seed, list.variant, outside, move |r| {
        let (c, now, sel) = (&r.cluster, r.outcome.end, selector.as_ref());
        match output.as_deref() {
            None | Some("wide") => {
                let wide = output.is_some();
                let q = ListQuery { namespace: ns.as_deref(), selector: sel, wide, show_labels: labels.show_labels };
                view(c, now, &q)
            }
            Some(o) => kubesim::report::resources::print(c, now, &kind, ns.as_deref(), sel, o)
                .unwrap_or_else(|| format!("(-o {o} is not available for {kind} yet: use the table)\n")),
        }
    })
}

/// `kubesim describe pod NAME`.
fn describe(kind: &str, name: String, list: ListArgs, outside: bool) -> ExitCode {
    let pod = matches!(kind, "pod" | "pods" | "po");
    if !kubesim::report::describe_rest::KINDS.contains(&kind) {
        eprintln!(
            "error: describe supports pods, deployments, replicasets, statefulsets, daemonsets, jobs, cronjobs, services, poddisruptionbudgets, namespaces, limitranges, resourcequotas, serviceaccounts, configmaps, secrets and nodes so far, not {kind:?}"
        );
        return ExitCode::from(EXIT_BAD_INPUT);
    }
    let ns = list.namespace().unwrap_or_else(|| "default".into());
    view_or_not_found(list, outside, |r| {
        let (c, now) = (&r.cluster, r.outcome.end);
        match pod {
            true => kubesim::report::describe::describe_pod(c, now, &ns, &name),
            false => kubesim::report::describe_more::describe(c, now, kind, &ns, &name)
                .or_else(|| kubesim::report::describe_rest::describe(c, now, kind, &ns, &name))
                .or_else(|| kubesim::report::describe_node::describe(c, now, kind, &ns, &name))
                .expect("a kind it describes"),
        }
    })
}

/// Print the view of the run cut at `--at`, or kubectl's NotFound (exit 1).
fn view_or_not_found(
    list: ListArgs,
    outside: bool,
    view: impl FnOnce(&kubesim::RunResult) -> Result<String, String>,
) -> ExitCode {
    let mut failed = None;
    let code = get_view(list.input, list.at, list.seed, list.variant, outside, |r| match view(r) {
        Ok(t) => t,
        Err(m) => {
            failed = Some(m);
            String::new()
        }
    });
    if let Some(m) = failed {
        eprintln!("Error from server (NotFound): {m}");
        return ExitCode::from(1);
    }
    code
}

/// `kubesim trace pod/NAME`: the pod's steps up to `--at`.
fn trace(target: &str, list: ListArgs, outside: bool) -> ExitCode {
    let Some(("pod" | "pods" | "po", name)) = target.split_once('/') else {
        eprintln!("error: trace takes pod/NAME (only pods can be traced), not {target:?}");
        return ExitCode::from(EXIT_BAD_INPUT);
    };
    let (ns, name) = (list.namespace().unwrap_or_else(|| "default".into()), name.to_string());
    view_or_not_found(list, outside, |r| kubesim::report::podtrace::trace_pod(&r.cluster, r.outcome.end, &ns, &name))
}

/// Run the scenario up to `--at` (the same run, cut there) and print a kubectl view of it.
fn get_view(
    input: InputArgs,
    at: Option<String>,
    seed: Option<u64>,
    variant: Option<String>,
    outside: bool,
    view: impl FnOnce(&kubesim::RunResult) -> String,
) -> ExitCode {
    let inp = match input.input() {
        Ok(i) => i,
        Err(code) => return code,
    };
    let opts = scenario::LoadOptions { allow_outside_paths: outside, ..Default::default() };
    let loaded = match &variant {
        None => scenario::load_input(&inp, &opts).map(|s| vec![("base".to_string(), s)]),
        Some(_) => kubesim::load_variants(&inp, &[], &opts),
    };
    let all = match loaded {
        Ok(all) => all,
        Err(e) => {
            report_error(e);
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    let want = variant.as_deref().unwrap_or("base");
    let known: Vec<String> = all.iter().map(|(n, _)| n.clone()).collect();
    let Some((_, mut s)) = all.into_iter().find(|(n, _)| n == want) else {
        eprintln!("error: {}: no variant {want:?} (known: {})", input_name(&inp), known.join(", "));
        return ExitCode::from(EXIT_BAD_INPUT);
    };
    refusals(&s);
    if let Some(seed) = seed {
        s.seed = seed;
    }
    let mut stop_at = None;
    if let Some(a) = at {
        match kubesim::report::objects::parse_at(&a) {
            Ok(ms) if ms <= s.duration.as_millis() => stop_at = Some(kubesim::sim::SimTime(ms)),
            Ok(_) => {
                eprintln!("error: --at {a} is after the end of the run ({}s)", s.duration);
                return ExitCode::from(EXIT_BAD_INPUT);
            }
            Err(e) => {
                eprintln!("error: --at {a:?}: {e}");
                return ExitCode::from(EXIT_BAD_INPUT);
            }
        }
    }
    let r = match kubesim::simulate(s, &kubesim::RunOptions { stop_at, ..kubesim::RunOptions::default() }) {
        Ok(r) => r,
        Err(v) => {
            eprintln!("error: {v}");
            return ExitCode::from(EXIT_BUG);
        }
    };
    print(&view(&r));
    std::mem::forget(r);
    ExitCode::SUCCESS
}
