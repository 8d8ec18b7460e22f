//! The `kubesim` command line: parse arguments, call the library, choose the exit code.

use clap::{Parser, Subcommand};
use kubesim::report::csv::print;
use kubesim::scenario;
use std::path::PathBuf;
use std::process::ExitCode;

/// A deterministic discrete-event simulator of a Kubernetes cluster.
#[derive(Parser)]
#[command(name = "kubesim", version, about)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Simulate a scenario and write its outputs (CSV) to reports/<name>/.
    Run {
        /// The scenario file (YAML: a Scenario document plus Kubernetes manifests).
        file: PathBuf,
        /// Output folder (default: reports/<scenario name>).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Override the scenario's seed.
        #[arg(long)]
        seed: Option<u64>,
        /// Print nothing but errors.
        #[arg(long, short)]
        quiet: bool,
        /// Stop cleanly after this many events; the outputs are marked incomplete.
        #[arg(long)]
        max_events: Option<u64>,
        /// Check the invariants at every sample (always done in debug builds, and at the end).
        #[arg(long)]
        check_invariants: bool,
        /// Run scenarios above the size limits (pods, samples, events) anyway.
        #[arg(long)]
        allow_large: bool,
    },
    /// Run scenarios and check their `expect:` blocks; exit 1 if any expectation fails.
    Check {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Override the scenarios' seed.
        #[arg(long)]
        seed: Option<u64>,
    },
    /// Parse and validate scenario files without running them.
    Validate {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Accept scenarios above the size limits.
        #[arg(long)]
        allow_large: bool,
    },
}

/// Exit code for bad input (nothing was written).
const EXIT_BAD_INPUT: u8 = 2;
/// Exit code when an expectation failed.
const EXIT_EXPECTATION_FAILED: u8 = 1;
/// Exit code for an invariant violation: a kubesim bug (nothing was written).
const EXIT_BUG: u8 = 3;

fn report_error(e: scenario::LoadError) {
    let r = miette::Report::new(e);
    eprintln!("{r:?}");
}

fn warn(s: &scenario::Scenario) {
    for w in &s.warnings {
        eprintln!("warning: {w}");
    }
}

fn main() -> ExitCode {
    // One line per message: file:line:column must stay greppable, whatever the terminal width.
    miette::set_hook(Box::new(|_| Box::new(miette::MietteHandlerOpts::new().wrap_lines(false).build()))).ok();
    let cli = Cli::parse();
    match cli.cmd {
        Cmd::Validate { files, allow_large } => {
            let mut bad = false;
            let opts = scenario::LoadOptions { allow_large };
            for f in files {
                match scenario::load_with(&f, &opts) {
                    Ok(s) => {
                        warn(&s);
                        print(&format!(
                            "{}: ok ({} nodes, {} deployments, {} replicasets, {} pods, {} faults, {} warnings)\n",
                            f.display(),
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
        Cmd::Check { files, seed } => {
            let mut bad_input = false;
            let mut failed = 0usize;
            for f in files {
                let mut s = match scenario::load(&f) {
                    Ok(s) => s,
                    Err(e) => {
                        report_error(e);
                        bad_input = true;
                        continue;
                    }
                };
                if let Some(seed) = seed {
                    s.seed = seed;
                }
                let r = match kubesim::simulate(s, &kubesim::RunOptions::default()) {
                    Ok(r) => r,
                    Err(v) => {
                        eprintln!("error: {v}");
                        return ExitCode::from(EXIT_BUG);
                    }
                };
                let verdicts = kubesim::report::check::check(&r);
                print(&format!("{} (seed {}):\n", f.display(), r.cluster.scenario.seed));
                if verdicts.is_empty() {
                    print("  no expectations\n");
                }
                for v in &verdicts {
                    let mark = if v.pass { "PASS" } else { "FAIL" };
                    print(&format!("  {mark}  {}  (actual: {})\n", v.expectation, v.actual));
                    failed += usize::from(!v.pass);
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
        Cmd::Run { file, out, seed, quiet, max_events, check_invariants, allow_large } => {
            let mut s = match scenario::load_with(&file, &scenario::LoadOptions { allow_large }) {
                Ok(s) => s,
                Err(e) => {
                    report_error(e);
                    return ExitCode::from(EXIT_BAD_INPUT);
                }
            };
            if !quiet {
                warn(&s);
            }
            if let Some(seed) = seed {
                s.seed = seed;
            }
            let dir = out.unwrap_or_else(|| PathBuf::from("reports").join(&s.name));
            let result = match kubesim::simulate(s, &kubesim::RunOptions { max_events, check_invariants }) {
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
            if let Err(e) = kubesim::write_outputs(&dir, &result) {
                eprintln!("error: cannot write the outputs to {}: {e}", dir.display());
                return ExitCode::FAILURE;
            }
            if !quiet {
                print(&kubesim::text_summary(&result, &dir));
            }
            ExitCode::SUCCESS
        }
    }
}
