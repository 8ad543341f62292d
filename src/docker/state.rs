//! What the engine reports, as data rather than progress text: containers and their health, projects,
//! published ports, what an `up` changed.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde::Serialize;

/// One container of a compose project, as `docker compose ps` reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ServiceState {
    /// The service's key in the compose file.
    pub service: String,
    /// The container's name.
    pub container: String,
    /// The container's ID.
    pub id: String,
    /// The image it runs.
    pub image: String,
    /// `running`, `exited`, `restarting`, `created`, `paused` or `dead`.
    pub state: String,
    /// `healthy`, `unhealthy`, `starting`, or empty when the service has no health check.
    pub health: String,
    /// The exit code of its last run (0 while it runs).
    pub exit_code: i32,
    /// The container's labels: compose's own (`com.docker.compose.*`) and the file's.
    pub labels: BTreeMap<String, String>,
    /// The ports it publishes on the host.
    pub published: Vec<PublishedPort>,
}

impl ServiceState {
    /// Running, and healthy if it has a health check.
    pub fn is_ready(&self) -> bool {
        self.state == "running" && (self.health.is_empty() || self.health == "healthy")
    }

    /// Ready, or a one-off that finished with status 0 (what compose's `service_completed_successfully`
    /// waits for): nothing wrong with it.
    pub fn is_settled(&self) -> bool {
        self.is_ready() || (self.state == "exited" && self.exit_code == 0)
    }
}

/// One container of a project, as `docker inspect` reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerDetails {
    /// Its service.
    pub service: String,
    /// When it was created, RFC 3339 (`2026-11-24T06:23:45.123456789Z`).
    pub created: String,
    /// The environment it runs with.
    pub env: BTreeMap<String, String>,
}

/// A port a service publishes on the Docker host.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct PublishedPort {
    /// The service.
    pub service: String,
    /// The host address it is bound to (`0.0.0.0`, `127.0.0.1`, `::`).
    pub host_ip: String,
    /// The port on the host.
    pub published: u16,
    /// The port inside the container.
    pub target: u16,
    /// `tcp` or `udp`.
    pub protocol: String,
}

impl PublishedPort {
    /// The service's URL on `host` (the name users reach the Docker host by): `http://host:port`.
    pub fn url(&self, host: &str) -> String {
        let host = if host.contains(':') && !host.starts_with('[') { format!("[{host}]") } else { host.to_string() };
        format!("http://{host}:{}", self.published)
    }
}

/// A compose project on a Docker host.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ComposeProject {
    /// Its name.
    pub name: String,
    /// Compose's summary of its containers' states (`running(3)`, `exited(1)`).
    pub status: String,
    /// The compose files it was brought up from, on the machine that ran `up`.
    pub config_files: Vec<String>,
    /// Its containers.
    pub services: Vec<ServiceState>,
}

impl ComposeProject {
    /// The value of label `key` on its containers, when they all agree on one (a label slipway's compose
    /// files put on every service, say).
    pub fn label(&self, key: &str) -> Option<&str> {
        let mut values = self.services.iter().map(|s| s.labels.get(key).map(String::as_str));
        let first = values.next()??;
        values.all(|v| v == Some(first)).then_some(first)
    }
}

/// What `up` changed about one service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServiceChange {
    /// It had no container before.
    Created,
    /// Its container was replaced (its definition or image changed).
    Recreated,
    /// Its container existed but was not running, and was started.
    Started,
    /// Its container was already running as defined.
    Unchanged,
    /// Its container was removed (the service is no longer in the file).
    Removed,
}

/// A successful `up`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UpReport {
    /// The project.
    pub project: String,
    /// What happened to each service, sorted by service.
    pub changes: BTreeMap<String, ServiceChange>,
    /// Every container, running and healthy.
    pub services: Vec<ServiceState>,
    /// How long compose took.
    #[serde(skip)]
    pub elapsed: Duration,
}

impl UpReport {
    /// Whether anything changed.
    pub fn changed(&self) -> bool {
        self.changes.values().any(|c| *c != ServiceChange::Unchanged)
    }

    /// Every port the project publishes.
    pub fn published(&self) -> Vec<PublishedPort> {
        published_of(&self.services)
    }
}

/// A `down`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DownReport {
    /// The project.
    pub project: String,
    /// The containers it had before (none: it was not there, which is success too).
    pub removed: Vec<String>,
}

/// A service that is not running and healthy after `up`, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ServiceFailure {
    /// The service.
    pub service: String,
    /// Its container.
    pub container: String,
    /// Its state (`running`, `exited`, `restarting`, `created`).
    pub state: String,
    /// Its health (`unhealthy`, `starting`, or empty).
    pub health: String,
    /// Why, in a sentence.
    pub why: String,
    /// What it said: the last health check's output, or its last log lines.
    pub said: Vec<String>,
}

impl fmt::Display for ServiceFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "service `{}` (container {}): {}", self.service, self.container, self.why)?;
        match self.said.as_slice() {
            [] => Ok(()),
            [one] => write!(f, ": {one}"),
            lines => write!(f, ":\n      {}", lines.join("\n      ")),
        }
    }
}

/// The ports of `services`, one per service and host port (a port bound on both IPv4 and IPv6 once).
pub(super) fn published_of(services: &[ServiceState]) -> Vec<PublishedPort> {
    let mut seen = std::collections::BTreeSet::new();
    services
        .iter()
        .flat_map(|s| s.published.iter())
        .filter(|p| seen.insert((p.service.clone(), p.published, p.protocol.clone())))
        .cloned()
        .collect()
}
