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
mod down;
pub mod list;
mod up;

use std::collections::BTreeMap;
use std::path::Path;

use super::OpsError;
use crate::app::{App, AppError, Assembly};
use crate::apply::cloudformation::Plan;
use crate::apply::report::{Report, Reporter};
use crate::cloud::{Cloud, Connector};
use crate::docker::{Compose, ComposeError, DockerHost};
use crate::ledger::demos::DemoState;
use crate::model::{ComposeHost, DemoSlug, Environment, NameBudget, Project, SlugCollision, SlugError, check_slug};
use crate::synth::Artifacts;
use crate::synth::rules::Rules;

pub use down::{DownOutcome, down};
pub use up::{UpOutcome, UpRequest, up};

/// The tag naming the demo a stack belongs to (the name it was given; the environment tag holds its slug).
pub const TAG_DEMO: &str = "slipway:demo";
/// The tag naming the branch the demo was made from.
pub const TAG_BRANCH: &str = "slipway:branch";

/// A demo, resolved: its slug, the project with it added, its environment, and what it synthesizes.
#[derive(Clone, Debug)]
pub struct Demo {
    /// Its name and slug, and why they differ.
    pub slug: DemoSlug,
    /// The project, with the demo among its environments.
    pub project: Project,
    /// The demo's environment (named by the slug).
    pub env: Environment,
    /// Its templates and compose bundle, as `synth --demo` writes them.
    pub artifacts: Artifacts,
    /// The project's assets' files as the synthesis wrote them (an image's build context among them), by key.
    pub assets: BTreeMap<String, Vec<u8>>,
}

/// Why a demo cannot be made, found, or brought up.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The project makes no demos.
    #[error("the definitions make no feature demos; give the project a demo factory (`Project::demos_from`)")]
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
    /// The definitions could not make the demo.
    #[error(transparent)]
    App(#[from] AppError),
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
    /// The compose bundle could not be brought up.
    #[error(transparent)]
    Bundle(#[from] crate::apply::compose::BundleError),
}

impl From<DemoError> for OpsError {
    fn from(e: DemoError) -> Self {
        OpsError::Demo(e)
    }
}

/// Demo `name_or_branch`, as `up` makes it: refused when its slug is a permanent environment's or another
/// demo's that exists (`known`, from the ledger), or when it would publish a port on its host that such a
/// demo publishes. The definitions (`app`, whose rules are `rules`) make it and the live ones together.
pub fn resolve(
    app: &dyn App,
    rules: &Rules,
    name_or_branch: &str,
    known: &BTreeMap<String, DemoState>,
) -> Result<Demo, DemoError> {
    let slug = budget(rules)?.slug(name_or_branch)?;
    let live: Vec<DemoSlug> = known
        .values()
        .filter(|d| d.status.exists() && d.slug != slug.slug)
        .map(|d| DemoSlug { name: d.demo.name.clone(), slug: d.slug.clone(), why: Vec::new() })
        .collect();
    check_slug(&slug, rules.project.environments.iter().map(|e| e.name.as_str()), &live)?;
    let server = |env: &Environment| match env.compose_target().map(|t| &t.host) {
        Some(host @ ComposeHost::Server(_)) => Some(host.clone()),
        _ => None,
    };
    let example_on_server = rules.demos.as_ref().is_some_and(|d| server(&d.example).is_some());
    // Only demos on a server publish ports that can clash: make the live ones only then.
    let mut asked = vec![slug.slug.clone()];
    if example_on_server {
        asked.extend(live.iter().map(|d| d.slug.clone()));
    }
    let assembly = app.assembly(&asked)?;
    let demo = of_assembly(&assembly, slug)?;
    let Some(host) = server(&demo.env) else { return Ok(demo) };
    let ports_of = |env: &Environment| {
        let services = assembly.project().services_in(env);
        host.ports_for(&env.name, &services.iter().collect::<Vec<_>>())
    };
    let mine = ports_of(&demo.env);
    for other in &live {
        let Some(theirs) = assembly.project().demos.iter().find(|e| e.name == other.slug) else { continue };
        if server(theirs).as_ref() != Some(&host) {
            continue;
        }
        let taken = ports_of(theirs);
        if let Some(port) = mine.values().find(|p| taken.values().any(|t| t == *p)) {
            return Err(DemoError::PortClash {
                name: demo.slug.name.clone(),
                other: other.name.clone(),
                host: host.describe(),
                port: *port,
            });
        }
    }
    Ok(demo)
}

/// The demo `name_or_branch` names (one found by `ls` or `gc`, or brought down by name), as the
/// definitions `app` make it now.
pub fn existing(app: &dyn App, rules: &Rules, name_or_branch: &str) -> Result<Demo, DemoError> {
    let slug = budget(rules)?.slug(name_or_branch)?;
    let assembly = app.assembly(std::slice::from_ref(&slug.slug))?;
    of_assembly(&assembly, slug)
}

fn budget(rules: &Rules) -> Result<NameBudget, DemoError> {
    Ok(rules.demo_budget().ok_or(DemoError::NoFactory)??)
}

/// Demo `slug` of an assembly that made it.
fn of_assembly(assembly: &Assembly, slug: DemoSlug) -> Result<Demo, DemoError> {
    let project = assembly.project().clone();
    let env = project.demos.iter().find(|e| e.name == slug.slug).cloned().ok_or(DemoError::NoFactory)?;
    let artifacts = assembly.set.of_environment(&slug.slug);
    Ok(Demo { slug, project, env, artifacts, assets: assembly.set.assets.clone() })
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

/// What a demo's run reaches: its AWS account (when it has stacks), the compose CLI and its Docker engine
/// (when it has a compose target).
pub struct Reach {
    /// The demos' account and region.
    pub cloud: Option<Cloud>,
    /// The compose CLI and the Docker engine.
    pub compose: Option<(Compose, DockerHost)>,
}

impl Reach {
    /// Connects to what `demo` has: its account (through `role`, or its definition's, when the credentials
    /// are for another) only when it has stacks; the compose CLI (`compose_cli`, else `docker compose`, else
    /// `docker-compose`) and its Docker engine (`host`, else the definition's, else `DOCKER_HOST`) only when
    /// it has a compose target.
    pub async fn of(
        connector: &Connector,
        demo: &Demo,
        host: Option<&str>,
        role: Option<&str>,
        compose_cli: Option<&Path>,
    ) -> Result<Self, OpsError> {
        let cloud = match demo.env.aws_target() {
            Some(_) => Some(crate::ops::deploy::connect(connector, &demo.env, role).await?),
            None => None,
        };
        let compose = match docker_host(&demo.env, host)? {
            Some(host) => Some((Compose::locate(compose_cli).map_err(DemoError::Compose)?, host)),
            None => None,
        };
        Ok(Reach { cloud, compose })
    }

    /// Where `ls` and `gc` look: the account and region the demos' stacks go to, and the Docker engine
    /// their compose projects run on, as the definitions' demo factory says; a place that cannot be
    /// reached is said (a line each in the second value) and skipped.
    pub async fn places(
        connector: &Connector,
        rules: &Rules,
        host: Option<&str>,
        role: Option<&str>,
        compose_cli: Option<&Path>,
    ) -> Result<(Self, Vec<String>), OpsError> {
        let Some(demos) = &rules.demos else { return Err(DemoError::NoFactory.into()) };
        let example = &demos.example;
        let mut skipped = Vec::new();
        let cloud = match example.aws_target() {
            None => None,
            Some(t) => match crate::ops::deploy::connect(connector, example, role).await {
                Ok(cloud) => Some(cloud),
                Err(e) => {
                    skipped.push(format!("demos' stacks not checked (account {}, {}): {e}", t.account, t.region));
                    None
                }
            },
        };
        let compose = match docker_host(example, host) {
            Ok(Some(host)) => Some((Compose::locate(compose_cli).map_err(DemoError::Compose)?, host)),
            Ok(None) => None,
            Err(DemoError::NoDockerHost(_)) => {
                skipped.push(
                    "demos' compose projects not checked: nothing says which Docker engine they run on; pass \
                     --host, set DOCKER_HOST, or name it in the definition with `ComposeTarget::docker_host`"
                        .into(),
                );
                None
            }
            Err(e) => {
                skipped.push(format!("demos' compose projects not checked: {e}"));
                None
            }
        };
        Ok((Reach { cloud, compose }, skipped))
    }

    /// Where a run reaches them.
    pub fn at(&self) -> At<'_> {
        At { cloud: self.cloud.as_ref(), compose: self.compose.as_ref().map(|(c, h)| (c, h)) }
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

/// A CloudFormation tag value: what tags may hold (letters, digits, spaces and `_.:/=+-@`), at most 256.
fn tag_value(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_alphanumeric() || c == ' ' || "_.:/=+-@".contains(c) { c } else { '_' })
        .take(256)
        .collect()
}

/// The demo's stacks, for release `release`, tagged as a demo (its name, and its branch when it has one).
/// Nothing in the tags changes from one `up` to the next (its expiry is in the ledger): a stack tag that
/// changed would make CloudFormation update every taggable resource of every stack on every `up`.
fn plan_of(demo: &Demo, release: &str, artifacts: &Artifacts, branch: Option<&str>) -> Result<Option<Plan>, OpsError> {
    if demo.env.aws_target().is_none() {
        return Ok(None);
    }
    let mut tags = vec![(TAG_DEMO.to_string(), tag_value(&demo.slug.name))];
    if let Some(branch) = branch {
        tags.push((TAG_BRANCH.to_string(), tag_value(branch)));
    }
    Ok(Some(Plan::new(&demo.project.name, &demo.env, release, artifacts)?.with_tags(tags)))
}

/// The Docker engine and compose CLI, or why a compose demo has none.
fn compose_at<'a>(at: &At<'a>, demo: &Demo) -> Result<Option<(&'a Compose, &'a DockerHost)>, DemoError> {
    match (demo.env.compose_target(), at.compose) {
        (None, _) => Ok(None),
        (Some(_), Some(c)) => Ok(Some(c)),
        (Some(_), None) => Err(DemoError::NoDockerHost(demo.env.name.clone())),
    }
}

fn note(reporter: &mut dyn Reporter, text: &str) {
    reporter.report(Report::Note(text));
}
