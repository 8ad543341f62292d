//! A release onto a cloud.gov target (a Cloud Foundry space), through the v3 client in
//! [`crate::cloudfoundry`]: each app of the release's manifest, in dependency order, made to have the
//! manifest's settings, given the release's code, and rolled out with a deployment that is waited on; and,
//! when anything of the run fails, each app this run changed put back on the droplet (and the variables)
//! it ran before.
//!
//! Three entry points, so that a run over several targets can call them in its own order: [`apply`],
//! [`restore`] (what `apply` changed, undone) and [`state`] (what runs now, for `diff --against deployed`
//! and `status`).

mod manifest;
mod restore;
mod state;

use std::collections::BTreeMap;
use std::time::Duration;

use crate::apply::report::{Report, Reporter};
use crate::cloudfoundry::{
    CfError, CloudFoundry, HealthCheck, HealthCheckData, HealthCheckType, Lifecycle, NewApp, NewDeployment,
};
use crate::model::Rollout;

pub use manifest::{AppSpec, Manifest, ManifestError, megabytes, read};
pub use restore::{Restored, restore};
pub use state::{AppState, Deployed, differences, state};

/// Where the apps go and how they roll out.
#[derive(Clone, Copy, Debug)]
pub struct Space<'a> {
    /// The organization.
    pub org: &'a str,
    /// The space.
    pub space: &'a str,
    /// Rolling, or canary with its steps.
    pub rollout: &'a Rollout,
}

/// How long the slow steps may take.
#[derive(Clone, Copy, Debug)]
pub struct Waits {
    /// A build staging (and a bits package processing its upload).
    pub staging: Duration,
    /// A deployment, until every new instance runs.
    pub deployment: Duration,
}

impl Default for Waits {
    fn default() -> Self {
        Waits { staging: Duration::from_secs(15 * 60), deployment: Duration::from_secs(15 * 60) }
    }
}

/// The code an app is given.
#[derive(Clone, Debug)]
pub enum Code {
    /// The manifest's docker image (already tagged with the release).
    Image(String),
    /// A zip of the app's files, staged with its buildpacks.
    Bits(Vec<u8>),
    /// A droplet the app already has (a rollback to an earlier release).
    Droplet(String),
}

/// What happened to one app.
#[derive(Clone, Debug, Default)]
pub struct AppOutcome {
    /// The app's name.
    pub name: String,
    /// Its guid, once it was found or made.
    pub guid: Option<String>,
    /// Whether this run made the app.
    pub created: bool,
    /// The droplet it ran before.
    pub previous_droplet: Option<String>,
    /// Its environment variables before, to put back (values stay in memory, never in a log or record).
    pub previous_env: Option<BTreeMap<String, Option<String>>>,
    /// The droplet it was given.
    pub droplet: Option<String>,
    /// The deployment that rolled it out, once made.
    pub deployment: Option<String>,
    /// The revision it ended on (`3 (guid)`).
    pub revision: Option<String>,
    /// `deployed`, `not started`, `failed: ...`.
    pub result: String,
    /// Whether the run changed it at all (its variables, code or instances).
    pub changed: bool,
    /// Its web process's settings before the run changed them, to put back.
    pub previous_process: Option<ProcessSettings>,
}

/// The web process's settings a run may change. A deployment replaces the process (a new guid) with one
/// of these settings, so they are put back on whichever process is the app's web process then.
#[derive(Clone, Debug)]
pub struct ProcessSettings {
    /// Its health check.
    pub health_check: HealthCheck,
    /// Its start command, where the run changed it (`Some(None)`: it had none of its own).
    pub command: Option<Option<String>>,
}

/// What [`apply`] did.
#[derive(Clone, Debug, Default)]
pub struct Applied {
    /// Each app, in the order applied (those after a failure: not started).
    pub apps: Vec<AppOutcome>,
    /// The first failure, if any: the run must then [`restore`].
    pub failure: Option<String>,
    /// Whether it failed before changing anything: `Some(true)` when it refused (an app has no code),
    /// `Some(false)` when the API failed.
    pub unchanged: Option<bool>,
}

impl Applied {
    /// Whether every app is on the release.
    pub fn deployed(&self) -> bool {
        self.failure.is_none()
    }
}

fn phase(reporter: &mut dyn Reporter, app: &str, text: &str) {
    reporter.report(Report::Phase { stack: app, text });
}

/// Applies `manifest` to `space` in its order, each app given `code(app)`: stops at the first failure,
/// leaving what it changed for [`restore`].
pub async fn apply(
    cf: &CloudFoundry,
    space: Space<'_>,
    manifest: &Manifest,
    code: impl Fn(&AppSpec) -> Result<Code, String>,
    waits: Waits,
    reporter: &mut dyn Reporter,
) -> Applied {
    let mut applied = Applied::default();
    reporter.report(Report::Note(&format!(
        "cloud.gov: {} app(s) into org {} space {} ({})",
        manifest.apps.len(),
        space.org,
        space.space,
        match space.rollout {
            Rollout::Rolling => "rolling".to_string(),
            Rollout::Canary { steps } => format!("canary {steps:?}"),
        }
    )));
    let space_guid = match find_space(cf, space).await {
        Ok(guid) => guid,
        Err(e) => {
            applied.failure = Some(e.to_string());
            applied.unchanged = Some(false);
            applied.apps = manifest.apps.iter().map(|a| not_started(&a.name)).collect();
            return applied;
        }
    };
    // Every app's code first, so that nothing changes when one of them cannot be given any.
    let mut codes = Vec::new();
    for app in &manifest.apps {
        match code(app) {
            Ok(c) => codes.push(c),
            Err(why) => {
                applied.failure = Some(format!("app {}: {why}", app.name));
                applied.unchanged = Some(true);
                applied.apps = manifest.apps.iter().map(|a| not_started(&a.name)).collect();
                return applied;
            }
        }
    }
    for (app, code) in manifest.apps.iter().zip(codes) {
        if applied.failure.is_some() {
            applied.apps.push(not_started(&app.name));
            continue;
        }
        let mut out = AppOutcome { name: app.name.clone(), ..AppOutcome::default() };
        match apply_app(cf, &space_guid, space.rollout, app, code, waits, &mut out, reporter).await {
            Ok(()) => {
                out.result = "deployed".into();
                phase(reporter, &app.name, &format!("deployed ({})", out.revision.as_deref().unwrap_or("no revision")));
            }
            Err(e) => {
                out.result = format!("failed: {e}");
                phase(reporter, &app.name, &out.result);
                applied.failure = Some(format!("app {}: {e}", app.name));
            }
        }
        applied.apps.push(out);
    }
    applied
}

fn not_started(name: &str) -> AppOutcome {
    AppOutcome { name: name.into(), result: "not started".into(), ..AppOutcome::default() }
}

/// The guid of the space.
pub async fn find_space(cf: &CloudFoundry, space: Space<'_>) -> Result<String, CfError> {
    let org = cf.organization(space.org).await?;
    Ok(cf.space(&org.guid, space.space).await?.guid)
}

#[allow(clippy::too_many_arguments)]
async fn apply_app(
    cf: &CloudFoundry,
    space: &str,
    rollout: &Rollout,
    spec: &AppSpec,
    code: Code,
    waits: Waits,
    out: &mut AppOutcome,
    reporter: &mut dyn Reporter,
) -> Result<(), CfError> {
    let name = spec.name.as_str();
    let lifecycle = match &code {
        Code::Image(_) => Lifecycle::docker(),
        _ if spec.docker.is_some() => Lifecycle::docker(),
        _ => Lifecycle::buildpack(&spec.buildpacks.iter().map(String::as_str).collect::<Vec<_>>(), None),
    };
    let app = match cf.app_named(space, name).await? {
        Some(app) => app,
        None => {
            phase(reporter, name, "creating the app");
            out.created = true;
            cf.create_app(&NewApp::new(name, space).lifecycle(lifecycle)).await?
        }
    };
    out.guid = Some(app.guid.clone());
    out.previous_droplet = app.relationships.current_droplet.guid().map(str::to_string);
    if let Some(active) = cf.active_deployment(&app.guid).await? {
        return Err(CfError::Settings(format!(
            "deployment {} of app {name} is still in flight (started by someone else); let it finish or cancel it \
             (`cf cancel-deployment {name}`), then deploy again",
            active.guid
        )));
    }

    // Its variables: the manifest's, and those it no longer has removed.
    let before = cf.environment_variables(&app.guid).await?;
    let mut changes: BTreeMap<String, Option<String>> =
        before.var.keys().filter(|k| !spec.env.contains_key(*k)).map(|k| (k.clone(), None)).collect();
    changes.extend(spec.env.iter().map(|(k, v)| (k.clone(), Some(v.clone()))));
    out.previous_env = Some(
        before
            .var
            .iter()
            .map(|(k, v)| (k.clone(), Some(v.as_str().map_or_else(|| v.to_string(), str::to_string))))
            .chain(spec.env.keys().filter(|k| !before.var.contains_key(*k)).map(|k| (k.clone(), None)))
            .collect(),
    );
    phase(reporter, name, &format!("setting {} environment variable(s)", spec.env.len()));
    out.changed = true;
    cf.update_environment_variables(&app.guid, &changes).await?;

    // Its web process's health check and start command (its instances, memory and disk go with the
    // deployment); what they were is kept to put back.
    let web = spec.web().expect("the manifest was checked to give every app a process");
    let web_process = cf.process(&app.guid, "web").await?;
    let check = health_check(web);
    let command = web.command.as_deref().filter(|c| web_process.command.as_deref() != Some(*c));
    if web_process.health_check != check || command.is_some() {
        out.previous_process = Some(ProcessSettings {
            health_check: web_process.health_check.clone(),
            command: command.map(|_| web_process.command.clone()),
        });
        cf.set_process(&web_process.guid, &check, command.map(Some)).await?;
    }

    routes(cf, space, &app.guid, spec, reporter).await?;
    bindings(cf, space, &app.guid, spec, waits, reporter).await?;

    // Its code.
    let droplet = match code {
        Code::Droplet(d) => {
            phase(reporter, name, &format!("redeploying droplet {d}"));
            d
        }
        Code::Image(image) => {
            phase(reporter, name, &format!("staging image {image}"));
            let package = cf.create_docker_package(&app.guid, &image, None).await?;
            stage(cf, &package.guid, waits).await?
        }
        Code::Bits(zip) => {
            phase(reporter, name, &format!("uploading {} byte(s) of code", zip.len()));
            let package = cf.create_bits_package(&app.guid).await?;
            cf.upload_bits(&package.guid, &zip).await?;
            cf.wait_for_package(&package.guid, waits.staging).await?;
            phase(reporter, name, "staging");
            stage(cf, &package.guid, waits).await?
        }
    };
    out.droplet = Some(droplet.clone());
    let mut new = match rollout {
        Rollout::Rolling => NewDeployment::rolling(&app.guid),
        Rollout::Canary { steps } => NewDeployment::canary(&app.guid, steps),
    }
    .droplet(&droplet)
    .web_instances(web.instances);
    new.options.memory_in_mb = megabytes(&web.memory);
    new.options.disk_in_mb = megabytes(&web.disk_quota);
    let deployment = cf.create_deployment(&new).await?;
    out.deployment = Some(deployment.guid.clone());
    phase(
        reporter,
        name,
        &format!("deployment {} ({}) of {} instance(s)", deployment.guid, deployment.strategy, web.instances),
    );
    let done = wait_deployment(cf, name, &deployment.guid, waits, reporter).await?;
    out.revision = done.revision.as_ref().map(|r| format!("{} ({})", r.version, r.guid));
    Ok(())
}

/// The health check the manifest's process asks for.
fn health_check(web: &manifest::ProcessSpec) -> HealthCheck {
    let kind = match web.health_check_type.as_deref() {
        Some("http") => HealthCheckType::Http,
        Some("process") => HealthCheckType::Process,
        _ => HealthCheckType::Port,
    };
    let http = kind == HealthCheckType::Http;
    HealthCheck {
        kind,
        data: HealthCheckData {
            timeout: web.timeout,
            invocation_timeout: web.health_check_invocation_timeout.filter(|_| http),
            interval: None,
            endpoint: web.health_check_http_endpoint.clone().filter(|_| http),
        },
    }
}

/// Builds the package and waits for its droplet.
async fn stage(cf: &CloudFoundry, package: &str, waits: Waits) -> Result<String, CfError> {
    let build = cf.create_build(package, None).await?;
    let build = cf.wait_for_build(&build.guid, waits.staging).await?;
    Ok(build.droplet.map(|d| d.guid).unwrap_or_default())
}

/// Waits for the deployment, continuing a canary at each pause once its instances run; a line per step.
pub async fn wait_deployment(
    cf: &CloudFoundry,
    app: &str,
    guid: &str,
    waits: Waits,
    reporter: &mut dyn Reporter,
) -> Result<crate::cloudfoundry::Deployment, CfError> {
    loop {
        let d = cf.wait_for_deployment(guid, waits.deployment).await?;
        if !d.is_paused() {
            return Ok(d);
        }
        let step = d.status.canary.as_ref().map(|c| format!("{} of {}", c.steps.current, c.steps.total));
        phase(reporter, app, &format!("canary step {} healthy; continuing", step.as_deref().unwrap_or("?")));
        cf.continue_deployment(guid).await?;
    }
}

/// Maps the manifest's routes to the app, making those that do not exist.
async fn routes(
    cf: &CloudFoundry,
    space: &str,
    app: &str,
    spec: &AppSpec,
    reporter: &mut dyn Reporter,
) -> Result<(), CfError> {
    for r in &spec.routes {
        let (hostpath, path) = match r.route.split_once('/') {
            Some((h, p)) => (h, format!("/{p}")),
            None => (r.route.as_str(), String::new()),
        };
        let (host, domain) = hostpath.split_once('.').unwrap_or(("", hostpath));
        let domain = cf.domain(domain).await?;
        let route = match cf.route(space, &domain.guid, host, &path).await? {
            Some(route) => route,
            None => cf.create_route(space, &domain.guid, host, &path).await?,
        };
        if !route.destinations.iter().any(|d| d.app.guid == app) {
            phase(reporter, &spec.name, &format!("mapping route {}", r.route));
            cf.map_route(&route.guid, app, "web").await?;
        }
    }
    Ok(())
}

/// Binds the manifest's service instances the app is not bound to yet.
async fn bindings(
    cf: &CloudFoundry,
    space: &str,
    app: &str,
    spec: &AppSpec,
    waits: Waits,
    reporter: &mut dyn Reporter,
) -> Result<(), CfError> {
    if spec.services.is_empty() {
        return Ok(());
    }
    let bound = cf.app_bindings(app).await?;
    for name in &spec.services {
        let instance = cf.service_instance(space, name).await?;
        if bound.iter().any(|b| b.relationships.service_instance.guid() == Some(instance.guid.as_str())) {
            continue;
        }
        phase(reporter, &spec.name, &format!("binding service instance {name}"));
        cf.bind_service(app, &instance.guid, waits.staging).await?;
    }
    Ok(())
}
