//! Why a service did not come up, read from `compose ps`, the failing container's health log or exit
//! code, and its last log lines, so that a CI log says more than "container is unhealthy".

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use serde::Deserialize;

use super::process;
use super::wire::tail;
use super::{Compose, DockerHost, ServiceFailure, ServiceState, neutral_dir};

impl Compose {
    /// Every service of `project` that is not running and healthy (or finished well), and why: the causes (unhealthy,
    /// exited) before the services that never started because of them. Best effort: a failure while
    /// finding out is reported as a failure's reason rather than hiding the original one.
    pub(super) fn failures(&self, project: &str, host: &DockerHost) -> Vec<ServiceFailure> {
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
        self.docker_env(&mut command, Some(host));
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
