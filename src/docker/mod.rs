//! The Docker engine through the Docker Compose v2 command line: the counterpart of `cloud` for compose
//! targets, on the floor (it imports no engine module).
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
//!
//! - [`host`]: where an engine is (`DockerHost`); [`process`]: running the CLI, bounded in time;
//! - [`operations`]: `up`, `down`, `ps`, `ls`, `config`; [`wire`]: reading what the CLI prints;
//! - [`diagnose`]: why a service did not come up; [`state`]: the results as data; [`error`]: the errors;
//! - [`images`]: building, saving, loading and pushing images (the docker CLI of the machine slipway runs
//!   on); [`registry`]: whether an image registry has a tag (its HTTP API v2).

mod diagnose;
mod error;
mod host;
pub mod images;
mod operations;
pub mod process;
pub mod registry;
mod ssh;
mod state;
mod wire;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

pub use error::ComposeError;
pub use host::DockerHost;
pub use ssh::{SshAccess, host_key_refused};
pub use state::{
    ComposeProject, ContainerDetails, DownReport, PublishedPort, ServiceChange, ServiceFailure, ServiceState, UpReport,
};

use process::Output;
use wire::tail;

/// The file a bundle's services are in (what `slipway synth` writes beside `.env.example`).
pub const COMPOSE_FILE: &str = "docker-compose.yml";

/// The file names compose looks for when it is not given one.
const DEFAULT_FILES: [&str; 4] = ["compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"];

/// How long `up` waits for every service to be healthy, unless told otherwise.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(300);

/// How long any other compose or docker command may take, unless told otherwise.
pub const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_secs(120);

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
    /// How `ssh://` hosts are logged in to (their keys always checked).
    ssh: Option<SshAccess>,
    /// Without `ssh`: the access made on first use (the user's known hosts, keys still checked), kept as
    /// long as this `Compose` is, so that its `ssh` is there for every command.
    default_ssh: std::sync::OnceLock<Option<SshAccess>>,
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
            ssh: None,
            default_ssh: std::sync::OnceLock::new(),
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

    /// Logs in to `ssh://` hosts as `ssh` says (the host keys it trusts, the key it logs in with). Without
    /// it, an `ssh://` host is still reached with its key checked against the user's known hosts.
    pub fn with_ssh(mut self, ssh: SshAccess) -> Self {
        self.ssh = Some(ssh);
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

    /// The compose command line with `args`, for `host` (or none, for commands that need no engine).
    fn command(&self, host: Option<&DockerHost>, dir: &Path, args: &[&str]) -> Command {
        let mut command = Command::new(&self.program);
        if self.plugin {
            command.arg("compose");
        }
        command.args(["--ansi", "never"]).args(args).current_dir(dir);
        self.docker_env(&mut command, host);
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
            Err(self.ssh_refusal(ComposeError::Failed { command: shown, code: out.code, said: tail(&out.stderr, 20) }))
        }
    }
}

/// The major version and the version of `version --short`'s output (`2.40.3`, `v2.5.0`, `1.29.2`).
fn parse_version(output: &str) -> Option<(u32, String)> {
    let version = output.trim().trim_start_matches('v');
    let major = version.split('.').next()?.parse().ok()?;
    Some((major, version.to_string()))
}

impl Compose {
    /// Sets `DOCKER_HOST` to `host` and clears what could send the command elsewhere; for an `ssh://`
    /// host, puts slipway's `ssh` (host keys always checked) first on `PATH`.
    fn docker_env(&self, command: &mut Command, host: Option<&DockerHost>) {
        if let Some(host) = host {
            command.env("DOCKER_HOST", host.as_str());
            // A context would be a second, conflicting answer to "which engine".
            command.env_remove("DOCKER_CONTEXT");
            if host.as_str().starts_with("ssh://") {
                let ssh = self
                    .ssh
                    .as_ref()
                    .or_else(|| self.default_ssh.get_or_init(|| SshAccess::new(None, None).ok()).as_ref());
                if let Some(ssh) = ssh {
                    command.env("PATH", ssh.path());
                }
            }
        }
    }

    /// `error`, or, when what the command said is ssh refusing the host's key, that said plainly.
    fn ssh_refusal(&self, error: ComposeError) -> ComposeError {
        let said = match &error {
            ComposeError::Failed { said, .. } => said.clone(),
            ComposeError::UpFailed { compose_said, .. } => compose_said.clone(),
            _ => return error,
        };
        match host_key_refused(&said, self.ssh.as_ref().and_then(SshAccess::known_hosts)) {
            Some(why) => ComposeError::Ssh(why),
            None => error,
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_names_are_what_compose_accepts() {
        for ok in ["shop-dark-mode", "a", "0x", "a_b"] {
            assert!(check_project_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "-a", "_a", "A", "a.b", "a/b", "é"] {
            assert!(check_project_name(bad).is_err(), "{bad}");
        }
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
