//! Container probes (`v1.Probe`): what each checks and its timing, with upstream's defaults,
//! and how a failure reads (the prober's messages per handler) and how `kubectl describe`
//! prints one.

use super::network::Ip;
use super::pod::ContainerSpec;
use std::sync::Arc;

/// Upstream probe defaults (`v1.Probe`).
pub const DEFAULT_PROBE_PERIOD_SECONDS: u64 = 10;
pub const DEFAULT_PROBE_TIMEOUT_SECONDS: u64 = 1;
pub const DEFAULT_PROBE_SUCCESS_THRESHOLD: u32 = 1;
pub const DEFAULT_PROBE_FAILURE_THRESHOLD: u32 = 3;

/// A probe port: a number or the name of one of the container's ports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PortRef {
    Number(i32),
    Name(Arc<str>),
}

impl std::fmt::Display for PortRef {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            PortRef::Number(n) => write!(f, "{n}"),
            PortRef::Name(n) => f.write_str(n),
        }
    }
}

/// What a probe checks. Whether it passes is the behaviour's: the process answers once it is
/// `ready` and until it `hang`s; a hung process still accepts TCP connections.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProbeAction {
    /// `httpGet`: scheme lower-cased, host (default the pod IP), port, path.
    HttpGet {
        scheme: &'static str,
        host: Option<Arc<str>>,
        port: PortRef,
        path: Arc<str>,
    },
    TcpSocket {
        host: Option<Arc<str>>,
        port: PortRef,
    },
    /// `exec.command`, kept as its words.
    Exec {
        command: Arc<[String]>,
    },
    Grpc {
        port: i32,
        service: Option<Arc<str>>,
    },
}

impl Default for ProbeAction {
    fn default() -> Self {
        ProbeAction::HttpGet { scheme: "http", host: None, port: PortRef::Number(80), path: "/".into() }
    }
}

/// A probe: what it checks and its timing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Probe {
    pub action: ProbeAction,
    pub initial_delay_ms: u64,
    pub period_ms: u64,
    pub timeout_ms: u64,
    pub success_threshold: u32,
    pub failure_threshold: u32,
}

impl Default for Probe {
    fn default() -> Self {
        Probe {
            action: ProbeAction::default(),
            initial_delay_ms: 0,
            period_ms: DEFAULT_PROBE_PERIOD_SECONDS * 1000,
            timeout_ms: DEFAULT_PROBE_TIMEOUT_SECONDS * 1000,
            success_threshold: DEFAULT_PROBE_SUCCESS_THRESHOLD,
            failure_threshold: DEFAULT_PROBE_FAILURE_THRESHOLD,
        }
    }
}

/// Go's `net.JoinHostPort` for IPv4 and names.
fn host_port(host: &str, port: &str) -> String {
    format!("{host}:{port}")
}

impl PortRef {
    /// The port number as the prober resolves it (`findPortByName` over the container's ports);
    /// an unknown name stays as written.
    fn resolve(&self, c: &ContainerSpec) -> String {
        match self {
            PortRef::Number(n) => n.to_string(),
            PortRef::Name(n) => (c.ports.iter())
                .find(|(name, ..)| name.as_deref() == Some(&**n))
                .map_or_else(|| n.to_string(), |(_, p, ..)| p.to_string()),
        }
    }
}

impl Probe {
    /// What a template hash takes from the probe: its timing as kubesim has always written it,
    /// then its handler unless it is the default `httpGet` on port 80 at `/` (so that names
    /// made before handlers were kept stay as they were).
    pub fn hash_key(p: &Option<Probe>) -> String {
        let Some(p) = p else { return "None".into() };
        let timing = format!(
            "Some(Probe {{ initial_delay_ms: {}, period_ms: {}, timeout_ms: {}, success_threshold: {}, failure_threshold: {} }})",
            p.initial_delay_ms, p.period_ms, p.timeout_ms, p.success_threshold, p.failure_threshold
        );
        if p.action == ProbeAction::default() { timing } else { format!("{timing}{:?}", p.action) }
    }

    /// The text after "<Kind> probe failed: " (pkg/probe/{http,tcp,exec,grpc}): a refused
    /// connection, or no answer within `timeoutSeconds` (`timed_out`). An exec check that exits
    /// non-zero prints the command's output, which kubesim does not have: empty.
    /// `slow`: the process took the connection and answered too late (gRPC says so apart).
    pub fn failure_message(&self, c: &ContainerSpec, pod_ip: Option<u32>, timed_out: bool, slow: bool) -> String {
        let ip = pod_ip.map(|i| Ip(i).to_string()).unwrap_or_default();
        match &self.action {
            ProbeAction::HttpGet { scheme, host, port, path } => {
                let addr = host_port(host.as_deref().unwrap_or(&ip), &port.resolve(c));
                let slash = if path.is_empty() || path.starts_with('/') { "" } else { "/" };
                let url = format!("{scheme}://{addr}{slash}{path}");
                if timed_out {
                    format!("Get {url:?}: context deadline exceeded (Client.Timeout exceeded while awaiting headers)")
                } else {
                    format!("Get {url:?}: dial tcp {addr}: connect: connection refused")
                }
            }
            ProbeAction::TcpSocket { host, port } => {
                let addr = host_port(host.as_deref().unwrap_or(&ip), &port.resolve(c));
                if timed_out {
                    format!("dial tcp {addr}: i/o timeout")
                } else {
                    format!("dial tcp {addr}: connect: connection refused")
                }
            }
            ProbeAction::Exec { command } if timed_out => format!("command {:?} timed out", command.join(" ")),
            ProbeAction::Exec { .. } => String::new(),
            ProbeAction::Grpc { .. } if timed_out && slow => format!(
                "timeout: health rpc did not complete within {}",
                super::duration::format_go_duration_ms(self.timeout_ms)
            ),
            ProbeAction::Grpc { port, .. } => format!(
                "timeout: failed to connect service {:?} within {}: context deadline exceeded",
                host_port(&ip, &port.to_string()),
                super::duration::format_go_duration_ms(self.timeout_ms)
            ),
        }
    }

    /// `DescribeProbe` (kubectl 1.34): the handler, then the timing.
    pub fn describe(&self) -> String {
        let attrs = format!(
            "delay={}s timeout={}s period={}s #success={} #failure={}",
            self.initial_delay_ms / 1000,
            self.timeout_ms / 1000,
            self.period_ms / 1000,
            self.success_threshold,
            self.failure_threshold
        );
        match &self.action {
            ProbeAction::Exec { command } => format!("exec [{}] {attrs}", command.join(" ")),
            ProbeAction::HttpGet { scheme, host, port, path } => {
                let host = host_port(host.as_deref().unwrap_or(""), &port.to_string());
                let slash = if path.is_empty() || path.starts_with('/') { "" } else { "/" };
                format!("http-get {scheme}://{host}{slash}{path} {attrs}")
            }
            ProbeAction::TcpSocket { host, port } => {
                format!("tcp-socket {}:{port} {attrs}", host.as_deref().unwrap_or(""))
            }
            ProbeAction::Grpc { port, service } => {
                format!("grpc <pod>:{port} {} {attrs}", service.as_deref().unwrap_or(""))
            }
        }
    }
}
