//! Feature demos: throwaway instances of the app, made from a name or a branch (`feature-demo/<name>`),
//! one command each way, and swept when they expire.
//!
//! A demo is an environment the project's demo factory makes, named by its slug (one name that fits every
//! limit it meets, [`crate::model::NameBudget`]). `up` synthesizes it and applies every target it has,
//! under its lock, as one run of the ledger: its CloudFormation stacks (with all of deploy's rollback
//! behaviour, tagged as a demo with its expiry), then its compose bundle on a Docker host; then its smoke
//! checks. When the compose project or a smoke check fails, the demo's rollback rule decides:
//! `Rollback::Leave` leaves it as it is for a person to look at; `Rollback::PreviousRelease` brings it
//! back to its last good bundle (kept in the store), or, on its first `up`, down, so that nothing is left
//! half made. `down` removes its compose project with its volumes, then its stacks, dependents first,
//! waiting until they are gone. [`list`] says what demos there are (from the ledger, the stacks' tags and
//! the Docker host's projects together, orphans included) and which `gc` removes.

mod bundle;
pub mod list;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::time::Duration;

use super::deploy::{LockOptions, cause_of, outcome_of, reconcile, smoke_records, stack_records};
use super::{Context, OpsError};
use crate::apply::cloudformation::{self as cfn, ApprovalMode, Approver, InFlight, Options, Plan, Removed, Reporter};
use crate::apply::compose::{Change, Compose, ComposeError, DockerHost};
use crate::apply::smoke::{self, SmokeResult};
use crate::clock::Timestamp;
use crate::cloud::Cloud;
use crate::diff::StackDiff;
use crate::ledger::demos::DemoState;
use crate::ledger::lock::{self, LockInfo};
use crate::ledger::{self, DemoRecord, Kind, Outcome, Phase, Record, StackRecord};
use crate::model::{
    DemoSlug, Environment, NameBudget, Problems, Project, Rollback, SlugCollision, SlugError, SmokeUrl, check_slug,
};
use crate::synth::compose::ComposeBundle;
use crate::synth::{ArtifactKey, Artifacts, sha256_hex};

/// The tag naming the demo a stack belongs to (the name it was given; the environment tag holds its slug).
pub const TAG_DEMO: &str = "slipway:demo";
/// The tag saying when the demo expires (RFC 3339).
pub const TAG_EXPIRES: &str = "slipway:expires";
/// The tag naming the branch the demo was made from.
pub const TAG_BRANCH: &str = "slipway:branch";

/// A demo, resolved: its slug, the project with it added, and its environment.
#[derive(Clone, Debug)]
pub struct Demo {
    /// Its name and slug, and why they differ.
    pub slug: DemoSlug,
    /// The project, with the demo among its environments.
    pub project: Project,
    /// The demo's environment (named by the slug).
    pub env: Environment,
}

/// Why a demo cannot be made, found, or brought up.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The project makes no demos.
    #[error(
        "the definitions make no feature demos; give the project a demo factory (`Project::demos_from`) in \
         environments/mod.rs"
    )]
    NoFactory,
    /// No slug can be made.
    #[error(transparent)]
    Slug(#[from] SlugError),
    /// The slug is taken.
    #[error(transparent)]
    Collision(#[from] SlugCollision),
    /// Another demo publishes the same port on the same host.
    #[error(
        "demo `{name}` would publish port {port} on {host}, which demo `{other}` already publishes; choose \
         another demo name, or bring `{other}` down first"
    )]
    PortClash {
        /// The demo's name.
        name: String,
        /// The other demo's name.
        other: String,
        /// The host.
        host: String,
        /// The port.
        port: u16,
    },
    /// The demo's definition is refused.
    #[error("the demo's definition is refused: {0}")]
    Definitions(Problems),
    /// A compose target and no Docker host to run it on.
    #[error(
        "demo `{0}` runs with docker-compose, and nothing says on which Docker engine: pass --host \
         (ssh://user@server, tcp://host:2376, unix:///var/run/docker.sock), set DOCKER_HOST, or name it in the \
         definition with `ComposeTarget::docker_host`"
    )]
    NoDockerHost(String),
    /// The compose command line failed outside of `up`.
    #[error(transparent)]
    Compose(#[from] ComposeError),
    /// A variable of the compose bundle that slipway cannot make up.
    #[error("the demo's compose file reads `{0}`, which is not a secret slipway generates: set it in the environment")]
    MissingVariable(String),
    /// The demo's containers exist but lost a secret they were made with.
    #[error(
        "the demo's containers exist but none holds secret `{0}` any more, and a new value would not match the \
         data they keep; bring the demo down (`slipway demo down`) and up again"
    )]
    SecretLost(String),
    /// No random bytes for a secret.
    #[error("cannot read random bytes for the demo's secrets: {0}")]
    NoRandom(String),
    /// A scratch directory for the compose files could not be made.
    #[error("cannot write the demo's compose files to a temporary directory: {0}")]
    Scratch(String),
}

impl From<DemoError> for OpsError {
    fn from(e: DemoError) -> Self {
        OpsError::Demo(e)
    }
}

/// Demo `name_or_branch`, as `up` makes it: refused when its slug is a permanent environment's or another
/// demo's that exists (`known`, from the ledger), or when it would publish a port on its host that such a
/// demo publishes.
pub fn resolve(
    project: &Project,
    name_or_branch: &str,
    known: &BTreeMap<String, DemoState>,
) -> Result<Demo, DemoError> {
    let slug = NameBudget::for_project(project)?.slug(name_or_branch)?;
    let live: Vec<DemoSlug> = known
        .values()
        .filter(|d| d.status.exists())
        .map(|d| DemoSlug { name: d.demo.name.clone(), slug: d.slug.clone(), why: Vec::new() })
        .collect();
    check_slug(&slug, project.environments.iter().map(|e| e.name.as_str()), &live)?;
    let demo = with_slug(project, slug)?;
    if let Some(target) = demo.env.compose_target() {
        let mine = target.host.ports_for(&demo.slug.slug);
        for other in live.iter().filter(|d| d.slug != demo.slug.slug) {
            let theirs = with_slug(project, other.clone())?;
            let Some(their_target) = theirs.env.compose_target() else { continue };
            if their_target.host != target.host {
                continue;
            }
            let ports = their_target.host.ports_for(&other.slug);
            for port in [mine.frontend, mine.backend] {
                if port == ports.frontend || port == ports.backend {
                    return Err(DemoError::PortClash {
                        name: demo.slug.name.clone(),
                        other: other.name.clone(),
                        host: target.host.describe(),
                        port,
                    });
                }
            }
        }
    }
    Ok(demo)
}

/// The demo whose slug is `slug` (one found by `ls` or `gc`, or brought down by name).
pub fn existing(project: &Project, name_or_branch: &str) -> Result<Demo, DemoError> {
    let slug = NameBudget::for_project(project)?.slug(name_or_branch)?;
    with_slug(project, slug)
}

fn with_slug(project: &Project, slug: DemoSlug) -> Result<Demo, DemoError> {
    let with = project.clone().with_demo(&slug.slug).ok_or(DemoError::NoFactory)?;
    let env = with.demos.last().expect("with_demo adds the demo").clone();
    Ok(Demo { slug, project: with, env })
}

/// The Docker engine demo `env`'s compose project runs on: `flag` (`--host`), else the definition's, else
/// `DOCKER_HOST`; `None` when the demo has no compose target.
pub fn docker_host(env: &Environment, flag: Option<&str>) -> Result<Option<DockerHost>, DemoError> {
    let Some(target) = env.compose_target() else { return Ok(None) };
    if let Some(host) = flag.or(target.docker_host.as_deref()) {
        return Ok(Some(DockerHost::parse(host)?));
    }
    match DockerHost::from_env()? {
        Some(host) => Ok(Some(host)),
        None => Err(DemoError::NoDockerHost(env.name.clone())),
    }
}

/// Where a demo's targets are reached: its AWS account, and the Docker engine with the compose CLI.
#[derive(Clone, Copy)]
pub struct At<'a> {
    /// The demo's AWS account and region, when it has stacks.
    pub cloud: Option<&'a Cloud>,
    /// The compose CLI and the Docker engine, when it has a compose target.
    pub compose: Option<(&'a Compose, &'a DockerHost)>,
}

/// What `up` is asked to do.
pub struct UpRequest<'a> {
    /// The demo.
    pub demo: &'a Demo,
    /// The branch it is made from, when there is one.
    pub branch: Option<String>,
    /// The release its stacks get as their `Release` parameter and its compose project as `RELEASE`
    /// (the tag of the app's images).
    pub release: String,
    /// The commit it is made from.
    pub commit: Option<String>,
    /// How long it lives, from this `up`.
    pub ttl: Duration,
    /// How its stacks are applied (nobody is asked about a demo's changes).
    pub apply: &'a Options,
    /// The lock's waits.
    pub lock: LockOptions,
}

/// What `up` did.
#[derive(Debug)]
pub struct UpOutcome {
    /// The run's id in the ledger.
    pub run: String,
    /// How it ended.
    pub outcome: Outcome,
    /// Why, when it did not come up.
    pub cause: Option<String>,
    /// Each stack's result.
    pub stacks: Vec<StackRecord>,
    /// What `compose up` changed, by service.
    pub compose: BTreeMap<String, Change>,
    /// The smoke checks run.
    pub smoke: Vec<SmokeResult>,
    /// Where it answers, by what answers there.
    pub urls: BTreeMap<String, String>,
    /// When it expires.
    pub expires: Timestamp,
    /// What the rollback rule did after a failure, a line each.
    pub undone: Vec<String>,
    /// What was said about earlier runs that died.
    pub reconciled: Vec<String>,
    /// The stale lock this run took over.
    pub took_over: Option<LockInfo>,
}

/// A demo's changes are nobody's to approve.
struct Nobody;

impl Approver for Nobody {
    fn approve(&mut self, _: &str, _: &StackDiff) -> bool {
        true
    }
}

/// A CloudFormation tag value: what tags may hold (letters, digits, spaces and `_.:/=+-@`), at most 256.
fn tag_value(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_alphanumeric() || c == ' ' || "_.:/=+-@".contains(c) { c } else { '_' })
        .take(256)
        .collect()
}

/// The demo's stacks, for release `release`, tagged as a demo that expires at `expires`.
fn plan_of(
    demo: &Demo,
    release: &str,
    commit: Option<&str>,
    artifacts: &Artifacts,
    branch: Option<&str>,
    expires: Timestamp,
) -> Result<Option<Plan>, OpsError> {
    if demo.env.aws_target().is_none() {
        return Ok(None);
    }
    let mut tags =
        vec![(TAG_DEMO.to_string(), tag_value(&demo.slug.name)), (TAG_EXPIRES.to_string(), expires.to_string())];
    if let Some(branch) = branch {
        tags.push((TAG_BRANCH.to_string(), tag_value(branch)));
    }
    Ok(Some(Plan::new(&demo.project.name, &demo.env, release, commit, artifacts)?.with_tags(tags)))
}

/// The demo's artifacts: its templates and compose bundle, as `synth --demo` writes them.
fn synthesize(demo: &Demo) -> Result<Artifacts, DemoError> {
    let slug = &demo.slug.slug;
    let set = crate::synth::synth(&demo.project, std::slice::from_ref(slug)).map_err(DemoError::Definitions)?;
    Ok(set.artifacts.into_iter().filter(|(k, _)| k.environment() == Some(slug.as_str())).collect())
}

/// The Docker engine and compose CLI, or why a compose demo has none.
fn compose_at<'a>(at: &At<'a>, demo: &Demo) -> Result<Option<(&'a Compose, &'a DockerHost)>, DemoError> {
    match (demo.env.compose_target(), at.compose) {
        (None, _) => Ok(None),
        (Some(_), Some(c)) => Ok(Some(c)),
        (Some(_), None) => Err(DemoError::NoDockerHost(demo.env.name.clone())),
    }
}

/// Brings demo `req.demo` up (or updates it in place) as one run of the ledger, under its lock.
pub async fn up(
    cx: &Context<'_>,
    req: &UpRequest<'_>,
    at: &At<'_>,
    reporter: &mut dyn Reporter,
) -> Result<UpOutcome, OpsError> {
    let demo = req.demo;
    let slug = demo.slug.slug.clone();
    let artifacts = synthesize(demo)?;
    let compose = compose_at(at, demo)?;
    let bundle = crate::synth::compose::bundle(&demo.project, &demo.env);
    let started = cx.clock.now();
    let expires = started.plus(req.ttl);
    let plan = plan_of(demo, &req.release, req.commit.as_deref(), &artifacts, req.branch.as_deref(), expires)?;
    let run = ledger::new_run_id(started);
    let held = take_lock(cx, &slug, &run, &format!("demo up of {}", demo.slug.name), req.lock).await?;
    let work = Up { cx, req, at, compose, bundle: bundle.as_ref(), plan: plan.as_ref(), artifacts: &artifacts };
    let result = work.locked(&run, expires, reporter).await;
    let released = lock::release(cx.store, &held).await;
    let mut outcome = result?;
    if let Err(e) = released {
        reporter.report(cfn::Report::Note(&format!(
            "warning: the lock of {slug} could not be given back ({e}); remove it with `slipway unlock --env {slug}`"
        )));
    }
    outcome.took_over = held.took_over;
    Ok(outcome)
}

async fn take_lock(
    cx: &Context<'_>,
    slug: &str,
    run: &str,
    reason: &str,
    options: LockOptions,
) -> Result<lock::Held, OpsError> {
    let now = cx.clock.now();
    let info = LockInfo {
        environment: slug.to_string(),
        run: run.to_string(),
        holder: cx.actor.clone(),
        reason: reason.to_string(),
        started_at: now,
        expires_at: now.plus(options.ttl),
        host: lock::this_host(),
        pid: std::process::id(),
    };
    Ok(lock::acquire(cx.store, info, options.wait, options.poll, cx.clock).await?)
}

/// One `up`, everything it works with.
struct Up<'a> {
    cx: &'a Context<'a>,
    req: &'a UpRequest<'a>,
    at: &'a At<'a>,
    compose: Option<(&'a Compose, &'a DockerHost)>,
    bundle: Option<&'a ComposeBundle>,
    plan: Option<&'a Plan>,
    artifacts: &'a Artifacts,
}

impl Up<'_> {
    fn slug(&self) -> &str {
        &self.req.demo.slug.slug
    }

    async fn locked(&self, run: &str, expires: Timestamp, reporter: &mut dyn Reporter) -> Result<UpOutcome, OpsError> {
        let cx = self.cx;
        let slug = self.slug().to_string();
        let stack_names: Vec<String> = self.plan.iter().flat_map(|p| p.stacks.iter().map(|s| s.name.clone())).collect();
        let reconciled = reconcile(cx, &slug, &stack_names, self.at.cloud).await?;
        for line in &reconciled {
            reporter.report(cfn::Report::Note(line));
        }
        let known = ledger::demos::demos(&ledger::records(cx.store, &slug).await?);
        let last_good = known.get(&slug).and_then(|d| d.last_good_run.clone());
        bundle::save(cx.store, &slug, run, self.artifacts).await?;

        let urls: BTreeMap<String, String> = self.bundle.map(|b| b.urls.iter().cloned().collect()).unwrap_or_default();
        let started_at = cx.clock.now();
        let mut started = Record::new(run, Phase::Started, Kind::DemoUp, &slug, started_at, cx.actor);
        started.release = Some(self.req.release.clone());
        started.commit = self.req.commit.clone();
        started.until = Some(expires);
        started.artifacts = self.artifacts.iter().map(|(k, bytes)| (k.path(), sha256_hex(bytes))).collect();
        started.demo = Some(DemoRecord {
            name: self.req.demo.slug.name.clone(),
            branch: self.req.branch.clone(),
            docker_host: self.compose.map(|(_, h)| h.to_string()),
            compose_project: self.bundle.map(|b| b.project.clone()),
            urls: urls.clone(),
        });
        ledger::append(cx.store, &started).await?;

        let mut out = UpOutcome {
            run: run.to_string(),
            outcome: Outcome::Deployed,
            cause: None,
            stacks: Vec::new(),
            compose: BTreeMap::new(),
            smoke: Vec::new(),
            urls,
            expires,
            undone: Vec::new(),
            reconciled,
            took_over: None,
        };
        self.apply(&mut out, reporter, last_good.as_deref()).await?;

        let mut finished =
            Record { phase: Phase::Finished, at: cx.clock.now(), started_at: Some(started_at), ..started };
        finished.outcome = Some(out.outcome);
        finished.stacks = out.stacks.clone();
        finished.smoke = smoke_records(&out.smoke);
        finished.reason = out.cause.clone().map(|cause| match out.undone.as_slice() {
            [] => cause,
            undone => format!("{cause}; then: {}", undone.join("; ")),
        });
        ledger::append(cx.store, &finished).await?;
        Ok(out)
    }

    /// Stacks, compose project, smoke checks; on a failure after the stacks, the demo's rollback rule.
    async fn apply(
        &self,
        out: &mut UpOutcome,
        reporter: &mut dyn Reporter,
        last_good: Option<&str>,
    ) -> Result<(), OpsError> {
        if let (Some(plan), Some(cloud)) = (self.plan, self.at.cloud) {
            let outcome = self.stacks(cloud, plan, reporter).await;
            out.stacks = stack_records(&outcome);
            if let Some(cause) = cause_of(&outcome.verdict) {
                // The stacks rolled back as a deploy's do; the compose project was not touched.
                out.outcome = outcome_of(&outcome.verdict);
                out.cause = Some(cause);
                return Ok(());
            }
        }
        let mut failure = None;
        if let (Some((compose, host)), Some(bundle)) = (self.compose, self.bundle) {
            note(reporter, &format!("compose: bringing up project {} on {host}", bundle.project));
            match self.compose_up(compose, host, bundle, self.artifacts, &self.req.release) {
                Ok(changes) => {
                    for (service, change) in &changes {
                        note(reporter, &format!("compose: {service}: {}", change_text(*change)));
                    }
                    out.compose = changes;
                }
                Err(e) => failure = Some(e),
            }
        }
        if failure.is_none() {
            (out.smoke, failure) = self.smoke(&out.urls, reporter).await;
        }
        let Some(cause) = failure else { return Ok(()) };
        note(reporter, &format!("demo up failed: {cause}"));
        out.cause = Some(cause);
        match self.req.demo.env.rollback {
            Rollback::Leave => {
                out.outcome = Outcome::Failed;
                out.undone.push(format!(
                    "left as it is for a person to look at (the demo's rollback rule is Leave); `slipway demo down {}` \
                     removes it",
                    self.req.demo.slug.name
                ));
            }
            Rollback::PreviousRelease => {
                let (undone, complete) = match last_good {
                    Some(run) => self.restore(run, reporter).await?,
                    None => self.remove_all(reporter).await,
                };
                out.undone = undone;
                out.outcome = if complete { Outcome::RolledBack } else { Outcome::RollbackIncomplete };
            }
        }
        for line in &out.undone {
            note(reporter, line);
        }
        Ok(())
    }

    async fn stacks(&self, cloud: &Cloud, plan: &Plan, reporter: &mut dyn Reporter) -> cfn::Outcome {
        let options = Options { approval: ApprovalMode::Never, smoke: false, ..self.req.apply.clone() };
        let in_flight = RefCell::new(InFlight::default());
        cfn::run(cloud, plan, &options, reporter, &mut Nobody, &in_flight).await
    }

    /// Writes `files`' compose bundle and its `.env` to a scratch directory and brings it up; what changed,
    /// or why it failed.
    fn compose_up(
        &self,
        compose: &Compose,
        host: &DockerHost,
        bundle: &ComposeBundle,
        files: &Artifacts,
        release: &str,
    ) -> Result<BTreeMap<String, Change>, String> {
        let containers = compose.containers(&bundle.project, host).map_err(|e| e.to_string())?;
        let running: BTreeMap<String, String> = containers.iter().flat_map(|c| c.env.clone()).collect();
        let env_file =
            bundle::env_file(&bundle.variables, release, &running, containers.is_empty()).map_err(|e| e.to_string())?;
        let dir = tempfile::Builder::new()
            .prefix("slipway-demo-")
            .tempdir()
            .map_err(|e| DemoError::Scratch(e.to_string()).to_string())?;
        let compose_file = ArtifactKey::env_file(self.slug(), crate::synth::Kind::Compose, "docker-compose.yml");
        let Some(yml) = files.get(&compose_file) else {
            return Err(format!("the demo's bundle has no {}", compose_file.path()));
        };
        std::fs::write(dir.path().join("docker-compose.yml"), yml)
            .and_then(|()| std::fs::write(dir.path().join(".env"), env_file))
            .map_err(|e| DemoError::Scratch(e.to_string()).to_string())?;
        let report = compose.up(dir.path(), &bundle.project, host).map_err(|e| e.to_string())?;
        Ok(report.changes.into_iter().collect())
    }

    /// Runs the demo's smoke checks: stack outputs read from its stacks, app URLs from its compose bundle.
    async fn smoke(
        &self,
        urls: &BTreeMap<String, String>,
        reporter: &mut dyn Reporter,
    ) -> (Vec<SmokeResult>, Option<String>) {
        let mut results = Vec::new();
        let poll = &self.req.apply.poll;
        for check in &self.req.demo.env.smoke_checks {
            let base = match &check.url {
                SmokeUrl::App(component) => urls.get(component.as_str()).cloned(),
                SmokeUrl::Stack(output) => {
                    let name = cfn::stack_name(&self.req.demo.project.name, self.slug(), &output.stack);
                    match self.at.cloud {
                        Some(cloud) => cloud
                            .describe_stack(&name)
                            .await
                            .ok()
                            .flatten()
                            .and_then(|s| s.outputs.get(&output.output).cloned()),
                        None => None,
                    }
                }
            };
            let Some(base) = base else {
                let why = format!("{} has no URL", check.url);
                results.push(SmokeResult { name: check.name.clone(), passed: false, detail: why.clone() });
                return (results, Some(format!("smoke check `{}`: {why}", check.name)));
            };
            note(reporter, &format!("smoke check `{}`: GET {base}{}", check.name, check.path));
            match smoke::get(check, &base, poll).await {
                Ok(status) => {
                    note(reporter, &format!("smoke check `{}` passed ({status})", check.name));
                    let detail = format!("GET {base}{} answered {status}", check.path);
                    results.push(SmokeResult { name: check.name.clone(), passed: true, detail });
                }
                Err(why) => {
                    results.push(SmokeResult { name: check.name.clone(), passed: false, detail: why.clone() });
                    return (results, Some(format!("smoke check `{}` failed: {why}", check.name)));
                }
            }
        }
        (results, None)
    }

    /// Brings the demo back to run `run`'s bundle: its stacks, then its compose project.
    async fn restore(&self, run: &str, reporter: &mut dyn Reporter) -> Result<(Vec<String>, bool), OpsError> {
        let demo = self.req.demo;
        let slug = self.slug();
        let files = bundle::load(self.cx.store, slug, run).await?;
        let release = self.release_of(run).await?;
        let mut undone = Vec::new();
        let mut complete = true;
        if let (Some(cloud), Some(plan)) = (self.at.cloud, self.plan) {
            let previous =
                Plan::new(&demo.project.name, &demo.env, &release, None, &files)?.with_tags(plan.tags.clone());
            let outcome = self.stacks(cloud, &previous, reporter).await;
            match cause_of(&outcome.verdict) {
                None => undone.push(format!("the stacks are back on the bundle of release {release}")),
                Some(cause) => {
                    complete = false;
                    undone.push(format!("the stacks could not go back to release {release}: {cause}"));
                }
            }
        }
        if let (Some((compose, host)), Some(bundle)) = (self.compose, self.bundle) {
            match self.compose_up(compose, host, bundle, &files, &release) {
                Ok(_) => undone.push(format!("the compose project is back on release {release}")),
                Err(why) => {
                    complete = false;
                    undone.push(format!("the compose project could not go back to release {release}: {why}"));
                }
            }
        }
        Ok((undone, complete))
    }

    /// The release run `run` of this demo applied, as its started record says.
    async fn release_of(&self, run: &str) -> Result<String, OpsError> {
        let records = ledger::records(self.cx.store, self.slug()).await?;
        Ok(records.iter().find(|r| r.run == run).and_then(|r| r.release.clone()).unwrap_or_default())
    }

    /// Brings down everything a first `up` made: the compose project with its volumes, then the stacks.
    async fn remove_all(&self, reporter: &mut dyn Reporter) -> (Vec<String>, bool) {
        let mut undone = Vec::new();
        let mut complete = true;
        if let (Some((compose, host)), Some(bundle)) = (self.compose, self.bundle) {
            match compose.down(&bundle.project, host, true) {
                Ok(_) => undone.push(format!("compose project {} removed with its volumes", bundle.project)),
                Err(e) => {
                    complete = false;
                    undone.push(format!("compose project {} could not be removed: {e}", bundle.project));
                }
            }
        }
        if let (Some(cloud), Some(plan)) = (self.at.cloud, self.plan) {
            for (stack, fate) in cfn::remove(cloud, plan, &[], self.req.apply, reporter).await {
                match fate {
                    Removed::Deleted => undone.push(format!("{stack} deleted")),
                    Removed::Absent => {}
                    Removed::Stuck(why) => {
                        complete = false;
                        undone.push(format!("{stack} could not be deleted: {why}"));
                    }
                }
            }
        }
        if complete {
            undone.push("nothing of the demo is left".into());
        }
        (undone, complete)
    }
}

fn note(reporter: &mut dyn Reporter, text: &str) {
    reporter.report(cfn::Report::Note(text));
}

fn change_text(change: Change) -> &'static str {
    match change {
        Change::Created => "created",
        Change::Recreated => "recreated",
        Change::Started => "started",
        Change::Unchanged => "unchanged",
        Change::Removed => "removed",
    }
}

/// What `down` did.
#[derive(Debug)]
pub struct DownOutcome {
    /// How it ended: done, or failed with what is left.
    pub outcome: Outcome,
    /// What was removed, a line each.
    pub removed: Vec<String>,
    /// What could not be removed, a line each.
    pub left: Vec<String>,
    /// What was said about earlier runs that died.
    pub reconciled: Vec<String>,
}

/// Brings demo `demo` down as one run of the ledger, under its lock: its compose project with its volumes,
/// then its stacks (those its definition makes and any others tagged as its own), dependents first, each
/// waited on until gone, then the store's copies of its bundles. A demo with nothing left succeeds.
pub async fn down(
    cx: &Context<'_>,
    demo: &Demo,
    at: &At<'_>,
    apply: &Options,
    lock_options: LockOptions,
    reporter: &mut dyn Reporter,
) -> Result<DownOutcome, OpsError> {
    let slug = demo.slug.slug.clone();
    let compose = compose_at(at, demo)?;
    let artifacts = synthesize(demo)?;
    let plan = plan_of(demo, "down", None, &artifacts, None, cx.clock.now())?;
    let run = ledger::new_run_id(cx.clock.now());
    let held = take_lock(cx, &slug, &run, &format!("demo down of {}", demo.slug.name), lock_options).await?;
    let result = down_locked(cx, demo, at, compose, plan.as_ref(), apply, &run, reporter).await;
    let released = lock::release(cx.store, &held).await;
    let outcome = result?;
    if let Err(e) = released {
        note(reporter, &format!("warning: the lock of {slug} could not be given back ({e})"));
    }
    Ok(outcome)
}

#[allow(clippy::too_many_arguments)]
async fn down_locked(
    cx: &Context<'_>,
    demo: &Demo,
    at: &At<'_>,
    compose: Option<(&Compose, &DockerHost)>,
    plan: Option<&Plan>,
    apply: &Options,
    run: &str,
    reporter: &mut dyn Reporter,
) -> Result<DownOutcome, OpsError> {
    let slug = &demo.slug.slug;
    let stack_names: Vec<String> = plan.iter().flat_map(|p| p.stacks.iter().map(|s| s.name.clone())).collect();
    let reconciled = reconcile(cx, slug, &stack_names, at.cloud).await?;
    let known = ledger::demos::demos(&ledger::records(cx.store, slug).await?);
    let started_at = cx.clock.now();
    let mut started = Record::new(run, Phase::Started, Kind::DemoDown, slug, started_at, cx.actor);
    started.demo = Some(
        known
            .get(slug)
            .map(|d| d.demo.clone())
            .unwrap_or_else(|| DemoRecord { name: demo.slug.name.clone(), ..DemoRecord::default() }),
    );
    ledger::append(cx.store, &started).await?;

    let mut removed = Vec::new();
    let mut left = Vec::new();
    if let Some((compose, host)) = compose {
        let project = crate::synth::compose::bundle(&demo.project, &demo.env).map(|b| b.project).unwrap_or_default();
        match compose.down(&project, host, true) {
            Ok(report) if report.removed.is_empty() => {}
            Ok(report) => removed.push(format!(
                "compose project {project} on {host}: {} container(s), its network and volumes",
                report.removed.len()
            )),
            Err(e) => left.push(format!("compose project {project} on {host}: {e}")),
        }
    }
    if let (Some(cloud), Some(plan)) = (at.cloud, plan) {
        let tagged = tagged_stacks(cloud, &demo.project.name, slug).await?;
        let extra: Vec<String> = tagged.into_iter().filter(|t| !stack_names.contains(t)).collect();
        for (stack, fate) in cfn::remove(cloud, plan, &extra, apply, reporter).await {
            match fate {
                Removed::Deleted => removed.push(format!("stack {stack}")),
                Removed::Absent => {}
                Removed::Stuck(why) => left.push(format!("stack {stack}: {why}")),
            }
        }
    }
    let forgotten = bundle::forget(cx.store, slug).await?;
    if forgotten > 0 {
        removed.push(format!("{forgotten} kept bundle file(s) in the store"));
    }
    let outcome = if left.is_empty() { Outcome::Done } else { Outcome::Failed };
    let mut finished = Record { phase: Phase::Finished, at: cx.clock.now(), started_at: Some(started_at), ..started };
    finished.outcome = Some(outcome);
    finished.reason = Some(if !left.is_empty() {
        format!("could not remove: {}", left.join("; "))
    } else if removed.is_empty() {
        "nothing of the demo was left".to_string()
    } else {
        format!("removed: {}", removed.join("; "))
    });
    ledger::append(cx.store, &finished).await?;
    Ok(DownOutcome { outcome, removed, left, reconciled })
}

/// The stacks of `cloud` tagged as project `project`'s environment `slug` and as a demo.
async fn tagged_stacks(cloud: &Cloud, project: &str, slug: &str) -> Result<Vec<String>, OpsError> {
    Ok(cloud
        .list_stacks()
        .await?
        .into_iter()
        .filter(|s| {
            s.tags.get(crate::synth::TAG_PROJECT).map(String::as_str) == Some(project)
                && s.tags.get(crate::synth::TAG_ENVIRONMENT).map(String::as_str) == Some(slug)
                && s.tags.contains_key(TAG_DEMO)
        })
        .map(|s| s.name)
        .collect())
}
