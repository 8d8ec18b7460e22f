//! The `kubesim` command line's arguments (clap): what each command takes. `main.rs` parses them
//! and calls the library.

use crate::scenario;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// Exit code for bad input (nothing was written).
pub const EXIT_BAD_INPUT: u8 = 2;
/// Exit code when an expectation failed.
pub const EXIT_EXPECTATION_FAILED: u8 = 1;
/// Exit code for an invariant violation: a kubesim bug (nothing was written).
pub const EXIT_BUG: u8 = 3;

/// A deterministic discrete-event simulator of a Kubernetes cluster.
#[derive(Parser)]
#[command(name = "kubesim", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub cmd: Cmd,
    /// Let paths written in a scenario (`spec.trace`) be absolute or leave the scenario's folder.
    /// Off by default: a scenario is often someone else's file.
    #[arg(long, global = true)]
    pub allow_outside_paths: bool,
}

#[derive(Subcommand)]
pub enum Cmd {
    /// Simulate a scenario and write its outputs (CSV) to reports/<name>/.
    Run(RunArgs),
    /// Run a parameter sweep (`kind: Sweep`) on all cores: runs.csv, aggregate.csv, charts.
    Sweep {
        file: PathBuf,
        /// Worker threads (default: every core).
        #[arg(long)]
        jobs: Option<usize>,
        /// Run only shard I of N (every N-th grid point). Default from JOB_COMPLETION_INDEX and
        /// JOB_COMPLETIONS (a Kubernetes Indexed Job) or SLURM_ARRAY_TASK_ID and
        /// SLURM_ARRAY_TASK_COUNT (a Slurm array).
        #[arg(long, value_name = "I/N")]
        shard: Option<String>,
        /// Output folder (default: reports/<sweep name>, or reports/<name>/part-I-of-N).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print the number of runs and a time estimate from a short sample, run nothing else.
        #[arg(long)]
        dry_run: bool,
        #[arg(long, short)]
        quiet: bool,
    },
    /// What kubectl would show at a moment of the run (the run is simulated up to it).
    #[command(
        after_help = "Other kinds: deployments (deploy), replicasets (rs), statefulsets (sts), daemonsets (ds), jobs, cronjobs (cj), services (svc), configmaps (cm), secrets, serviceaccounts (sa), namespaces (ns), resourcequotas (quota), limitranges (limits), poddisruptionbudgets (pdb), endpointslices: kubesim get KIND [SCENARIO] [-f PATH]... [--at T] [-n NS | -A] [--seed N]"
    )]
    Get {
        #[command(subcommand)]
        what: GetCmd,
    },
    /// Join the parts of a sharded sweep; refuses missing, doubled or mismatched parts.
    Merge {
        #[arg(required = true)]
        parts: Vec<PathBuf>,
        /// Output folder (default: reports/<sweep name>).
        #[arg(long)]
        out: Option<PathBuf>,
        /// The sweep file, to draw the charts of the merged result.
        #[arg(long)]
        sweep: Option<PathBuf>,
    },
    /// Run scenarios (and each variant with an `expect:` of its own) and check their `expect:` blocks; exit 1 if any expectation fails.
    Check {
        /// Scenario files (each is run with the `-f` manifests); none: the default cluster.
        files: Vec<PathBuf>,
        #[command(flatten)]
        manifests: ManifestArgs,
        /// Override the scenarios' seed.
        #[arg(long)]
        seed: Option<u64>,
    },
    /// What `kubectl describe` would print at a moment of the run (pods so far).
    Describe {
        /// The kind (`pod`, `pods`, `po`).
        kind: String,
        /// The object's name.
        name: String,
        #[command(flatten)]
        list: ListArgs,
    },
    /// One pod's path through the cluster as numbered steps between the components, in virtual
    /// time: its creation, the scheduler's watch and binding, the kubelet's sandbox, pulls,
    /// containers and status writes, and its deletion.
    Trace {
        /// `pod/NAME` (or `po/NAME`, `pods/NAME`).
        target: String,
        #[command(flatten)]
        list: ListArgs,
    },
    /// Parse and validate scenario files without running them.
    Validate {
        /// Scenario files (each is checked with the `-f` manifests); none: the default cluster.
        files: Vec<PathBuf>,
        #[command(flatten)]
        manifests: ManifestArgs,
        /// Accept scenarios above the size limits.
        #[arg(long)]
        allow_large: bool,
    },
}

/// What to simulate: a scenario file, manifests beside it (`-f`), or manifests alone (on the
/// default cluster).
#[derive(clap::Args, Clone)]
pub struct InputArgs {
    /// The scenario file (YAML: a Scenario document plus Kubernetes manifests). Without it, the
    /// default cluster: 3 workers of 4 cpu, 16Gi, 110 pods; 10m; seed 1.
    pub scenario: Option<PathBuf>,
    /// Manifests, as `kubectl apply -f` takes them: a file, a folder (its .yaml, .yml and .json
    /// files, sorted) or `-` for standard input; repeatable.
    #[arg(short = 'f', long = "filename", value_name = "PATH")]
    pub manifests: Vec<PathBuf>,
    /// Read `-f` folders recursively.
    #[arg(short = 'R', long)]
    pub recursive: bool,
}

impl InputArgs {
    pub fn input(&self) -> Result<scenario::input::Input, ExitCode> {
        if self.scenario.is_none() && self.manifests.is_empty() {
            eprintln!("error: give a scenario file, or manifests with -f (a file, a folder or - for stdin)");
            return Err(ExitCode::from(EXIT_BAD_INPUT));
        }
        Ok(scenario::input::Input {
            scenario: self.scenario.clone(),
            manifests: self.manifests.clone(),
            recursive: self.recursive,
        })
    }
}

/// `-f` and `-R` for commands that take several scenarios.
#[derive(clap::Args, Clone)]
pub struct ManifestArgs {
    /// Manifests, as `kubectl apply -f` takes them: a file, a folder or `-`; repeatable.
    #[arg(short = 'f', long = "filename", value_name = "PATH")]
    pub manifests: Vec<PathBuf>,
    /// Read `-f` folders recursively.
    #[arg(short = 'R', long)]
    pub recursive: bool,
}

impl ManifestArgs {
    /// One input per scenario file, or the manifests alone on the default cluster.
    pub fn inputs(&self, files: &[PathBuf]) -> Result<Vec<scenario::input::Input>, ExitCode> {
        let one = |scenario: Option<PathBuf>| scenario::input::Input {
            scenario,
            manifests: self.manifests.clone(),
            recursive: self.recursive,
        };
        if files.is_empty() {
            if self.manifests.is_empty() {
                eprintln!("error: give scenario files, or manifests with -f (a file, a folder or - for stdin)");
                return Err(ExitCode::from(EXIT_BAD_INPUT));
            }
            return Ok(vec![one(None)]);
        }
        Ok(files.iter().map(|f| one(Some(f.clone()))).collect())
    }
}

/// `kubesim run`.
#[derive(clap::Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Output folder (default: reports/<scenario name>). It must be new, empty or an earlier
    /// kubesim output: any other folder is refused, never replaced.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Override the scenario's seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Print no progress and no summary (warnings still show; see --no-warnings).
    #[arg(long, short)]
    pub quiet: bool,
    /// Print no warnings about the input (what the API server refused still shows).
    #[arg(long)]
    pub no_warnings: bool,
    /// Stop cleanly after this many events; the outputs are marked incomplete.
    #[arg(long)]
    pub max_events: Option<u64>,
    /// Check the invariants at every sample (always done in debug builds, and at the end).
    #[arg(long)]
    pub check_invariants: bool,
    /// Run scenarios above the size limits (pods, samples, events) anyway.
    #[arg(long)]
    pub allow_large: bool,
    /// Write no charts (charts/*.png and *.svg), only the CSV files.
    #[arg(long)]
    pub no_charts: bool,
    /// Also write scheduling.csv: every scheduling attempt's filter verdict and reasons per
    /// node, each score plugin's raw and normalized score, the weighted total, the choice.
    #[arg(long)]
    pub trace_scheduling: bool,
    /// Run the scenario twice, hashing every event, and name the first event where the runs
    /// part (a kubesim bug); writes nothing.
    #[arg(long, hide = true)]
    pub check_determinism: bool,
    /// Run only this one of the scenario's variants (`base` is the scenario as written).
    #[arg(long, value_name = "NAME")]
    pub variant: Option<String>,
    /// Change one value of the scenario first: PATH=VALUE, e.g. `deployment/web.spec.replicas=5`
    /// or `spec.kubernetes.defaultUnreachableTolerationSeconds=30` (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub sets: Vec<String>,
}

#[derive(Subcommand)]
pub enum GetCmd {
    /// `kubectl get pods` at a virtual time.
    #[command(visible_aliases = ["po", "pod"])]
    Pods {
        #[command(flatten)]
        list: ListArgs,
        /// `wide` (also IP, NODE, NOMINATED NODE, READINESS GATES), `name`, `yaml` or `json`.
        #[arg(short = 'o', long = "output", value_name = "FORMAT")]
        output: Option<String>,
        /// Only the pods this label selector matches: `app=web`, `tier in (a,b)`, `!canary`, ...
        #[arg(short = 'l', long = "selector", value_name = "SELECTOR")]
        selector: Option<String>,
        /// Add a LABELS column.
        #[arg(long)]
        show_labels: bool,
    },
    /// `kubectl get nodes` at a virtual time.
    #[command(visible_aliases = ["no", "node"])]
    Nodes {
        #[command(flatten)]
        list: ListArgs,
        /// `wide` (also INTERNAL-IP, EXTERNAL-IP, OS-IMAGE, KERNEL-VERSION, CONTAINER-RUNTIME),
        /// `name`, `yaml` or `json`.
        #[arg(short = 'o', long = "output", value_name = "FORMAT")]
        output: Option<String>,
        #[command(flatten)]
        labels: LabelArgs,
    },
    /// `kubectl get events` (in time order); `--why` follows each event's causes to the root.
    #[command(visible_aliases = ["ev", "event"])]
    Events {
        #[command(flatten)]
        input: InputArgs,
        #[arg(long)]
        at: Option<String>,
        /// Only the events about one object: `pod/NAME`, `node/NAME`, `deployment/NAME`, ...
        #[arg(long = "for", value_name = "KIND/NAME")]
        for_object: Option<String>,
        /// Walk the `cause` links back to the root, naming the rule behind each step.
        #[arg(long)]
        why: bool,
        #[arg(long)]
        seed: Option<u64>,
    },
    /// Any other kind, as kubectl names it: deployments (deploy), replicasets (rs), statefulsets
    /// (sts), daemonsets (ds), jobs, cronjobs (cj), services (svc), configmaps (cm), secrets,
    /// serviceaccounts (sa), namespaces (ns), resourcequotas (quota), limitranges (limits),
    /// poddisruptionbudgets (pdb), endpointslices; then [SCENARIO] [-f PATH]... [--at T] [-n NS | -A] [--seed N].
    #[command(external_subcommand)]
    Other(Vec<String>),
}

/// `kubesim get KIND ...` for the kinds without their own subcommand.
#[derive(Parser)]
#[command(name = "kubesim get")]
pub struct OtherGet {
    pub kind: String,
    #[command(flatten)]
    pub list: ListArgs,
    /// `wide` (kubectl's extra columns), `name`, `yaml` or `json` (default: the table).
    #[arg(short = 'o', long = "output", value_name = "FORMAT")]
    pub output: Option<String>,
    #[command(flatten)]
    pub labels: LabelArgs,
}

/// `-l` and `--show-labels`, as every `get` takes them.
#[derive(clap::Args)]
pub struct LabelArgs {
    /// Only the objects this label selector matches: `app=web`, `tier in (a,b)`, `!canary`, ...
    #[arg(short = 'l', long = "selector", value_name = "SELECTOR")]
    pub selector: Option<String>,
    /// Add a LABELS column.
    #[arg(long)]
    pub show_labels: bool,
}

/// What `get` takes for a namespaced kind: the input, the moment, the namespace(s), the seed.
#[derive(clap::Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// The moment (a Go duration from the start: `6m`, `1h30m`); default the end of the run.
    #[arg(long)]
    pub at: Option<String>,
    /// Namespace (default: default).
    #[arg(short = 'n', long)]
    pub namespace: Option<String>,
    /// Every namespace.
    #[arg(short = 'A', long)]
    pub all_namespaces: bool,
    /// Override the scenario's seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Show this variant of the scenario (`spec.variants`; `base` is the scenario as written).
    #[arg(long, value_name = "NAME")]
    pub variant: Option<String>,
}

impl ListArgs {
    /// The namespace to list, `None` for all.
    pub fn namespace(&self) -> Option<String> {
        if self.all_namespaces { None } else { Some(self.namespace.clone().unwrap_or_else(|| "default".into())) }
    }
}
