//! The compose operations a deploy needs, each bounded in time: `up` (and what it changed), `down`, and
//! the reads (`ls`, `ps`, `inspect`, `config`).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;

use super::process::{self, RunError};
use super::state::published_of;
use super::wire::{PsEntry, changes, json_values, tail};
use super::{
    COMPOSE_FILE, Compose, ComposeError, ComposeProject, ContainerDetails, DockerHost, DownReport, PublishedPort,
    ServiceState, UpReport, check_project_name, neutral_dir,
};

impl Compose {
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
            Ok(out) => Err(self.ssh_refusal(ComposeError::UpFailed {
                project: project.into(),
                failures: self.failures(project, host),
                compose_said: tail(&out.stderr, 20),
            })),
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
        self.docker_env(&mut command, Some(host));
        let shown = format!("DOCKER_HOST={host} {} inspect --type container ...", docker.display());
        let out = process::run(command, self.command_timeout)
            .map_err(|source| ComposeError::Run { command: shown.clone(), source })?;
        // A container removed since `ps` listed it is not an error: inspect says so and describes the rest.
        let vanished =
            |line: &str| line.starts_with("Error: No such container") || line.starts_with("Error: No such object");
        if !out.success() && !out.stderr.lines().filter(|l| !l.trim().is_empty()).all(vanished) {
            return Err(self.ssh_refusal(ComposeError::Failed {
                command: shown,
                code: out.code,
                said: tail(&out.stderr, 5),
            }));
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
}
