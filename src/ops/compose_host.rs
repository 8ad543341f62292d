//! An environment's compose host in a deploy, promotion or rollback: one unit the run applies after the
//! environment's stacks and before its smoke checks, and undoes when anything after it fails.
//!
//! - [`reach`]: which Docker engine the environment's compose target runs on, and the compose CLI to
//!   reach it with (a `ComposeHost::Local` target is a developer's own machine and stays out of deploys);
//! - [`HostRun::prepare`] (under the environment's lock): the release's bundle for the environment (its
//!   `docker-compose.yml`, and its variables read from its `.env.example`) and the bundle of the release
//!   the environment runs now, both from the store, what a failure goes back to; and the image assets the
//!   bundle names pushed to the registry the host pulls from ([`super::images::publish`]), before anything
//!   changes;
//! - [`HostRun`] as [`AfterStacks`]: `apply` brings the bundle up (the `.env` made as a demo's is: the
//!   release, the secrets the running containers hold), waits for every service to be healthy and runs
//!   the smoke checks of the URLs the host publishes; `undo` brings the previous release's bundle back up
//!   (or, on the environment's first deploy, takes the project down, its volumes kept);
//! - [`HostRun::apply_alone`]: the same, in a run with no stacks (an environment whose only server is its
//!   compose host);
//! - [`HostRun::records`]: what the ledger keeps of it: host, compose project, each service's image and
//!   health.

use std::collections::BTreeMap;
use std::path::Path;

use super::{Context, OpsError};
use crate::apply::cloudformation::{AfterStacks, Applied, Ending, Plan, StackResult, Undone};
use crate::apply::compose::{Bundle, BundleError};
use crate::apply::report::{Report, Reporter};
use crate::apply::smoke::{SmokeFailure, SmokeResult, run_all};
use crate::cloud::Poll;
use crate::docker::{COMPOSE_FILE, Compose, ComposeError, DockerHost, ServiceState, SshAccess};
use crate::ledger::{self, EnvState, HostRecord, ServiceRecord};
use crate::model::{ComposeHost, Environment, SmokeUrl};
use crate::release::Release;
use crate::synth::compose::{ComposeVariable, read_env_example};
use crate::synth::{ArtifactKey, ArtifactKind, Artifacts};

/// Why an environment's compose host cannot be deployed to.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// A compose target on a server and no Docker engine named for it.
    #[error(
        "environment `{0}` runs with docker-compose on a server, and nothing says how to reach its Docker engine: \
         pass --docker-host (ssh://user@server, tcp://host:2376), set DOCKER_HOST, or name it in the definition \
         with `ComposeTarget::docker_host`"
    )]
    NoDockerHost(String),
    /// The release holds no compose bundle for the environment.
    #[error("release {release} holds no docker-compose bundle for environment `{env}`; make a new release")]
    NoBundle {
        /// The release.
        release: String,
        /// The environment.
        env: String,
    },
    /// The compose command line failed outside of `up`.
    #[error(transparent)]
    Compose(#[from] ComposeError),
}

/// The compose CLI and the Docker engine an environment's compose project runs on.
#[derive(Clone, Debug)]
pub struct HostReach {
    /// The compose CLI.
    pub compose: Compose,
    /// The engine.
    pub host: DockerHost,
}

/// Where `env`'s compose project is deployed: `None` when it has no compose target or runs on a
/// developer's machine. The engine is `flag` (`--docker-host`), else the definition's, else
/// `DOCKER_HOST`; the CLI is `compose_cli`, else `docker compose`; `ssh://` hosts are logged in to as
/// `ssh` says, their keys always checked.
pub fn reach(
    env: &Environment,
    flag: Option<&str>,
    compose_cli: Option<&Path>,
    ssh: Option<SshAccess>,
) -> Result<Option<HostReach>, HostError> {
    let Some(target) = env.compose_target() else { return Ok(None) };
    if target.host == ComposeHost::Local {
        return Ok(None);
    }
    let host = match flag.or(target.docker_host.as_deref()) {
        Some(host) => DockerHost::parse(host)?,
        None => DockerHost::from_env()?.ok_or_else(|| HostError::NoDockerHost(env.name.clone()))?,
    };
    let mut compose = Compose::locate(compose_cli)?;
    if let Some(ssh) = ssh {
        compose = compose.with_ssh(ssh);
    }
    Ok(Some(HostReach { compose, host }))
}

/// One release's bundle for the environment.
#[derive(Clone, Debug)]
struct Files {
    release: String,
    compose_file: Vec<u8>,
    variables: Vec<ComposeVariable>,
}

impl Files {
    /// `release`'s bundle for `env`, when it holds one.
    fn of(env: &str, release: &str, artifacts: &Artifacts) -> Option<Files> {
        let file = |name: &str| artifacts.get(&ArtifactKey::env_file(env, ArtifactKind::Compose, name));
        let compose_file = file(COMPOSE_FILE)?.clone();
        let variables = file(".env.example").map(|b| read_env_example(&String::from_utf8_lossy(b))).unwrap_or_default();
        Some(Files { release: release.to_string(), compose_file, variables })
    }
}

/// The compose host's part of one run.
pub struct HostRun<'a> {
    reach: &'a HostReach,
    env: &'a Environment,
    project: String,
    new: Files,
    /// What the environment ran before (none on its first deploy, or before it had a compose host).
    previous: Option<Files>,
    urls: BTreeMap<String, String>,
    poll: Poll,
    /// What `up` left, once it ran.
    services: Vec<ServiceState>,
    changes: BTreeMap<String, String>,
    /// Whether `up` ran (and so may have changed the host).
    touched: bool,
    outcome: Option<String>,
    restored: Option<String>,
    /// The smoke checks of the host's URLs.
    pub smoke: Vec<SmokeResult>,
}

impl<'a> HostRun<'a> {
    /// The run of `release` onto `env`'s host through `reach`: the bundle from the release, and the one
    /// the environment runs now (as the ledger says) from the store. Call it under the environment's lock.
    pub async fn prepare(
        cx: &Context<'_>,
        env: &'a Environment,
        release: &Release,
        reach: &'a HostReach,
        poll: Poll,
        reporter: &mut dyn Reporter,
    ) -> Result<HostRun<'a>, OpsError> {
        let new = Files::of(&env.name, &release.info.id, &release.artifacts)
            .ok_or_else(|| HostError::NoBundle { release: release.info.id.clone(), env: env.name.clone() })?;
        let state = EnvState::of(&ledger::records(cx.store, &env.name).await?, cx.clock.now());
        let previous = match state.current {
            Some(current) if current.release != release.info.id => {
                let before = crate::release::read(cx.store, &current.release).await?;
                Files::of(&env.name, &current.release, &before.artifacts)
            }
            Some(current) => {
                // A redeploy of the release it runs: going back means this same bundle.
                Some(Files { release: current.release, ..new.clone() })
            }
            None => None,
        };
        let bundle = crate::synth::compose::bundle(cx.project, env);
        let project =
            bundle.as_ref().map_or_else(|| format!("{}-{}", cx.project.name, env.name), |b| b.project.clone());
        // Before anything changes: the host answers (over SSH, its key checked), and its project can be read.
        reach.compose.services(&project, &reach.host).map_err(HostError::from)?;
        // The images it runs, in the registry it pulls them from, before anything changes.
        let docker = super::images::docker();
        super::images::publish(cx.store, &docker, &release.info.id, &release.assets, &new.compose_file, reporter)
            .await?;
        Ok(HostRun {
            reach,
            env,
            project,
            new,
            previous,
            urls: bundle.map(|b| b.urls.into_iter().collect()).unwrap_or_default(),
            poll,
            services: Vec::new(),
            changes: BTreeMap::new(),
            touched: false,
            outcome: None,
            restored: None,
            smoke: Vec::new(),
        })
    }

    /// Brings `files` up on the host.
    fn up(&self, files: &Files) -> Result<crate::docker::UpReport, BundleError> {
        let bundle = Bundle {
            project: &self.project,
            compose_file: &files.compose_file,
            variables: &files.variables,
            release: &files.release,
        };
        crate::apply::compose::apply(&self.reach.compose, &self.reach.host, &bundle)
    }

    /// What the ledger keeps of the host: where, which project, each service's image and health, what
    /// happened, and what the undo did.
    pub fn records(&self) -> Vec<HostRecord> {
        let services = if self.services.is_empty() {
            self.reach.compose.services(&self.project, &self.reach.host).unwrap_or_default()
        } else {
            self.services.clone()
        };
        vec![HostRecord {
            host: self.reach.host.to_string(),
            project: self.project.clone(),
            release: self.new.release.clone(),
            result: self.outcome.clone().unwrap_or_else(|| "not started".into()),
            restored: self.restored.clone(),
            services: services
                .iter()
                .map(|s| ServiceRecord {
                    service: s.service.clone(),
                    image: s.image.clone(),
                    state: s.state.clone(),
                    health: s.health.clone(),
                    change: self.changes.get(&s.service).cloned(),
                })
                .collect(),
        }]
    }

    /// The host alone, in a run that applies no stacks (an environment whose only server is its compose
    /// host, or `--target compose`): brought up and its smoke checks run; when either fails, undone (the
    /// previous release's bundle, or `down` on a first deploy). It ends as a run of stacks does: deployed,
    /// rolled back, or with a rollback that could not bring the host back, naming it. The smoke checks' results
    /// are in [`HostRun::smoke`], not in the [`Applied`].
    pub async fn apply_alone(&mut self, reporter: &mut dyn Reporter) -> Applied {
        let (env, release) = (self.env.name.clone(), self.new.release.clone());
        Self::note(reporter, &format!("deploying release {release} to {env}: compose host {} alone", self.reach.host));
        let applied = self.up_or_undo(reporter, Vec::new()).await;
        if applied.ending == Ending::Deployed {
            Self::note(reporter, &format!("deployed release {release} to {env}"));
        }
        applied
    }

    /// Whether the definition brings this host up before the environment's stacks
    /// ([`crate::model::ComposeTarget::before_stacks`]).
    pub fn goes_first(&self) -> bool {
        self.env.compose_target().is_some_and(|t| t.before_stacks)
    }

    /// The host first, then `plan`'s stacks (through `stacks`, which applies them): when the host fails the
    /// stacks are never started; when the stacks, their smoke checks or the bake fail (CloudFormation rolls
    /// them back), the host goes back too, and a refusal of the stacks after the host changed is a rollback
    /// of the host.
    pub async fn before_stacks(
        &mut self,
        plan: &Plan,
        reporter: &mut dyn Reporter,
        stacks: impl AsyncFnOnce(&mut dyn Reporter) -> Applied,
    ) -> Applied {
        Self::note(reporter, &format!("compose host {} first, before the stacks", self.reach.host));
        let not_started = plan.stacks.iter().map(|s| (s.name.clone(), StackResult::NotStarted)).collect();
        let first = self.up_or_undo(reporter, not_started).await;
        if first.ending != Ending::Deployed {
            return first;
        }
        let mut applied = stacks(reporter).await;
        if applied.ending != Ending::Deployed {
            let undone = self.undo(reporter).await;
            applied.with_others_put_back(undone.restored, undone.stuck, true);
        }
        applied
    }

    /// Brings the host up and runs its smoke checks; when either fails, undoes it. How the run ends so far,
    /// with `stacks` as they stand (none started).
    async fn up_or_undo(&mut self, reporter: &mut dyn Reporter, stacks: Vec<(String, StackResult)>) -> Applied {
        let mut applied = Applied { ending: Ending::Deployed, stacks, restored: vec![], smoke: vec![], bake: None };
        if let Err(cause) = AfterStacks::apply(self, reporter).await {
            Self::note(reporter, &format!("deploy failed: {cause}"));
            let undone = self.undo(reporter).await;
            applied.ending = Ending::RolledBack { cause };
            applied.with_others_put_back(undone.restored, undone.stuck, true);
        }
        applied
    }

    fn note(reporter: &mut dyn Reporter, text: &str) {
        reporter.report(Report::Note(text));
    }
}

impl AfterStacks for HostRun<'_> {
    async fn apply(&mut self, reporter: &mut dyn Reporter) -> Result<(), String> {
        let (host, project) = (self.reach.host.to_string(), self.project.clone());
        Self::note(
            reporter,
            &format!("compose: bringing up project {project} on {host} (release {})", self.new.release),
        );
        self.touched = true;
        match self.up(&self.new) {
            Ok(report) => {
                for (service, change) in &report.changes {
                    let text = serde_json::to_value(change).ok().and_then(|v| v.as_str().map(String::from));
                    let text = text.unwrap_or_default();
                    Self::note(reporter, &format!("compose: {service}: {text}"));
                    self.changes.insert(service.clone(), text);
                }
                self.outcome = Some(if report.changed() { "updated" } else { "unchanged" }.into());
                self.services = report.services;
            }
            Err(e) => {
                let cause = format!("compose host {host}: {e}");
                self.outcome = Some(format!("FAILED: {e}"));
                return Err(cause);
            }
        }
        let urls = self.urls.clone();
        let resolve = async |url: &SmokeUrl| match url {
            SmokeUrl::Service(service) => match urls.get(service.as_str()) {
                Some(url) => Ok(Some(url.clone())),
                None => Err(SmokeFailure::NoUrl(format!("the compose host publishes no URL for `{service}`"))),
            },
            SmokeUrl::Stack(_) => Ok(None),
        };
        let (smoke, failure) = run_all(&self.env.smoke_checks, resolve, &self.poll, |t| Self::note(reporter, t)).await;
        self.smoke = smoke;
        match failure {
            Some(cause) => Err(cause),
            None => Ok(()),
        }
    }

    async fn undo(&mut self, reporter: &mut dyn Reporter) -> Undone {
        let mut undone = Undone::default();
        if !self.touched {
            return undone;
        }
        let name = format!("compose project {} on {}", self.project, self.reach.host);
        let result = match self.previous.clone() {
            Some(previous) => {
                Self::note(reporter, &format!("compose: returning {name} to release {}", previous.release));
                self.up(&previous).map(|_| format!("back on release {}", previous.release)).map_err(|e| e.to_string())
            }
            None => {
                Self::note(reporter, &format!("compose: removing {name}, which this deploy made (volumes kept)"));
                self.reach
                    .compose
                    .down(&self.project, &self.reach.host, false)
                    .map(|_| "removed: it did not run before this deploy (its volumes kept)".into())
                    .map_err(|e| e.to_string())
            }
        };
        self.services = self.reach.compose.services(&self.project, &self.reach.host).unwrap_or_default();
        match result {
            Ok(what) => {
                self.restored = Some(what.clone());
                undone.restored.push((name, what));
            }
            Err(why) => {
                self.restored = Some(format!("NOT restored: {why}"));
                undone.stuck.push(format!("{name} could not be restored: {why}"));
            }
        }
        undone
    }
}

/// One compose host as `status` sees it: each service as it runs there, and how that differs from what
/// the ledger says the last deploy left.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostStatus {
    /// The Docker engine.
    pub host: String,
    /// The compose project.
    pub project: String,
    /// Each service: the release its label names (`change` holds it here), image, state and health.
    pub services: Vec<ServiceRecord>,
    /// What differs from what the last deploy left (empty: nothing); `Err` when the host could not be read.
    pub drift: Result<Vec<String>, String>,
}

/// Where `env`'s compose host is, for reading it (`status`): as a deploy finds it, from the definition or
/// `DOCKER_HOST`, with the compose CLI `SLIPWAY_COMPOSE` names (else `docker compose`) and the SSH
/// settings of `SLIPWAY_SSH_KNOWN_HOSTS` and `SLIPWAY_SSH_KEY`. `None` when it has no compose host.
pub fn reach_to_read(env: &Environment) -> Result<Option<HostReach>, HostError> {
    let file = |name: &str| crate::vars::var(name).map(std::path::PathBuf::from);
    let (known, key) = (file("SLIPWAY_SSH_KNOWN_HOSTS"), file("SLIPWAY_SSH_KEY"));
    let ssh = match (&known, &key) {
        (None, None) => None,
        _ => Some(SshAccess::new(known.as_deref(), key.as_deref())?),
    };
    reach(env, None, file("SLIPWAY_COMPOSE").as_deref(), ssh)
}

/// What `project` runs on `reach`'s host against `applied` (what the ledger says the deploy of `release`
/// left there): another image, another release's label, a service stopped, unhealthy or gone.
pub fn look(reach: &HostReach, project: &str, release: Option<&str>, applied: Option<&HostRecord>) -> HostStatus {
    let mut status = HostStatus {
        host: reach.host.to_string(),
        project: project.to_string(),
        services: Vec::new(),
        drift: Ok(Vec::new()),
    };
    let running = match reach.compose.services(project, &reach.host) {
        Ok(running) => running,
        Err(e) => {
            status.drift = Err(e.to_string());
            return status;
        }
    };
    let label = crate::synth::compose::LABEL_RELEASE;
    status.services = running
        .iter()
        .map(|s| ServiceRecord {
            service: s.service.clone(),
            image: s.image.clone(),
            state: s.state.clone(),
            health: s.health.clone(),
            change: s.labels.get(label).cloned(),
        })
        .collect();
    let mut drift = Vec::new();
    let was = |service: &str| applied.and_then(|a| a.services.iter().find(|w| w.service == service));
    for s in &running {
        // A service the deploy left running must still run (one that exited 0, say, was stopped by hand);
        // any other must at least have ended well.
        let left_running = was(&s.service).is_some_and(|w| w.state == "running");
        if !s.is_settled() || (left_running && !s.is_ready()) {
            let health = if s.health.is_empty() { String::new() } else { format!(" ({})", s.health) };
            drift.push(format!("`{}` is {}{health}", s.service, s.state));
        }
        if let (Some(release), Some(found)) = (release, s.labels.get(label))
            && found != release
        {
            drift.push(format!("`{}` runs release {found}, not {release}", s.service));
        }
    }
    if let Some(applied) = applied {
        for was in &applied.services {
            match running.iter().find(|s| s.service == was.service) {
                None => drift.push(format!("`{}` is gone", was.service)),
                Some(s) if s.image != was.image => {
                    drift.push(format!("`{}` runs {}, not {} as the deploy left it", s.service, s.image, was.image));
                }
                Some(_) => {}
            }
        }
    } else if running.is_empty() {
        drift.push(format!("compose project {project} is not there"));
    }
    status.drift = Ok(drift);
    status
}
