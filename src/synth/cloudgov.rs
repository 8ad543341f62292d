//! cloud.gov (Cloud Foundry) app manifests: `<env>/cloudgov/manifest.yml` for every environment with a
//! cloud.gov target, holding an app for each of the environment's services that runs there.
//!
//! The manifest is data first ([`CloudGovManifest`], built from the environment) and text second (the
//! `cloudgov/manifest.yml` template), so tests can render any data through the real template.
//!
//! Two values are only known when a release is deployed: the release and its commit. They appear as Cloud
//! Foundry manifest variables, `((release))` and `((commit))`, in the metadata labels, the `RELEASE`
//! variable and a docker image's tag, and `cf push --var release=.. --var commit=..` fills them in;
//! `cf push` refuses the manifest if either is missing, so no app is pushed without saying what it runs.
//! Secrets are never values here: they live in user-provided service instances the manifest binds by name.

use std::collections::BTreeMap;

use serde::Serialize;

use super::templates::{RenderError, render};
use crate::model::{BackingKind, Environment, Link, Project, Runtime, cloud_gov_app_name, cloud_gov_default_route};

/// The manifest variable holding the release being pushed.
pub const RELEASE_VAR: &str = "((release))";
/// The manifest variable holding the commit the release was built from.
pub const COMMIT_VAR: &str = "((commit))";

/// Everything the manifest template reads.
#[derive(Clone, Debug, Serialize)]
pub struct CloudGovManifest {
    /// The environment's name.
    pub environment: String,
    /// The cloud.gov org.
    pub org: String,
    /// The cloud.gov space.
    pub space: String,
    /// The service instances to create before the first push, for the header comment.
    pub services: Vec<CloudGovService>,
    /// The apps, in the project's order of services.
    pub apps: Vec<CloudGovApp>,
}

/// A service instance an app binds.
#[derive(Clone, Debug, Serialize)]
pub struct CloudGovService {
    /// Its name, unique per environment (`webapp-secrets-dev`).
    pub name: String,
    /// What it is for.
    pub purpose: String,
    /// The credential keys it must hold (names only, never values).
    pub keys: Vec<String>,
}

/// One Cloud Foundry app.
#[derive(Clone, Debug, Serialize)]
pub struct CloudGovApp {
    /// The app name (`webapp-frontend-dev`).
    pub name: String,
    /// Buildpacks, when staged from source.
    pub buildpacks: Vec<String>,
    /// The docker image with its tag, when run from an image.
    pub docker_image: Option<String>,
    /// The web process's start command.
    pub command: Option<String>,
    /// Whether it gets no route (a worker).
    pub no_route: bool,
    /// Instances of the web process.
    pub instances: u32,
    /// Memory per instance (`256M`).
    pub memory: String,
    /// Disk per instance (`1024M`).
    pub disk_quota: String,
    /// Health check endpoint (an HTTP GET); `None` checks the process.
    pub health_endpoint: Option<String>,
    /// Seconds one health-check request may take.
    pub health_invocation_timeout: u32,
    /// Seconds a starting instance may take to become healthy.
    pub health_timeout: u32,
    /// Routes, default first.
    pub routes: Vec<String>,
    /// Service instances bound.
    pub services: Vec<String>,
    /// Environment variables, sorted.
    pub env: BTreeMap<String, String>,
    /// Metadata labels, sorted.
    pub labels: BTreeMap<String, String>,
}

/// The name of `env`'s user-provided service holding the apps' secrets.
pub fn secrets_service(project: &str, env: &str) -> String {
    format!("{project}-secrets-{env}")
}

/// The manifest data of `env`, or `None` when it has no cloud.gov target.
pub fn manifest(project: &Project, env: &Environment) -> Option<CloudGovManifest> {
    let target = env.cloud_gov_target()?;
    let owner = &project.repository.owner;
    let services: Vec<_> = project.services_in(env).into_iter().filter(|s| s.on_cloud_gov).collect();
    // A PostgreSQL backing service is the environment's database: an environment without one binds none.
    let backing: Vec<_> = project
        .backing_in(env)
        .into_iter()
        .filter(|b| b.kind != BackingKind::Postgres || env.database.is_some())
        .collect();
    let mut secret_keys: Vec<String> = services.iter().flat_map(|s| s.secrets.clone()).collect();
    secret_keys.sort();
    secret_keys.dedup();
    let mut instances = Vec::new();
    let secrets_name = secrets_service(&project.name, &env.name);
    if !secret_keys.is_empty() {
        instances.push(CloudGovService {
            name: secrets_name.clone(),
            purpose: "the apps' secrets".into(),
            keys: secret_keys,
        });
    }
    for b in &backing {
        instances.push(CloudGovService {
            name: b.cloud_gov_instance(&project.name, &env.name),
            purpose: format!("{}'s connection credentials", b.description),
            keys: b.cloud_gov_keys(),
        });
    }
    let apps = services
        .iter()
        .map(|app| {
            let size = env.size_of(app);
            let (buildpacks, docker_image) = match &app.runtime {
                Runtime::Buildpacks(b) => (b.clone(), None),
                Runtime::Docker => (Vec::new(), Some(format!("{}:{RELEASE_VAR}", app.image_for(owner, &project.name)))),
            };
            let mut routes = Vec::new();
            if app.port.is_some() {
                routes.push(cloud_gov_default_route(&project.name, &env.name, &app.name));
            }
            routes.extend(app.routes.iter().cloned());
            let mut bound = Vec::new();
            if !app.secrets.is_empty() {
                bound.push(secrets_name.clone());
            }
            let mut vars = app.variables.clone();
            vars.insert("APP_ENV".into(), env.name.clone());
            vars.insert("RELEASE".into(), RELEASE_VAR.into());
            for link in &app.links {
                match link {
                    Link::Url { service, var } => {
                        if services.iter().any(|s| &s.name == service && s.port.is_some()) {
                            vars.insert(
                                var.clone(),
                                format!("https://{}", cloud_gov_default_route(&project.name, &env.name, service)),
                            );
                        }
                    }
                    Link::Backing { service, .. } => {
                        if let Some(b) = backing.iter().find(|b| &b.name == service) {
                            bound.push(b.cloud_gov_instance(&project.name, &env.name));
                        }
                    }
                }
            }
            let labels = BTreeMap::from([
                ("commit".to_string(), COMMIT_VAR.to_string()),
                ("component".to_string(), app.name.clone()),
                ("environment".to_string(), env.name.clone()),
                ("project".to_string(), project.name.clone()),
                ("release".to_string(), RELEASE_VAR.to_string()),
            ]);
            let health = app.health.as_ref().filter(|_| app.port.is_some());
            CloudGovApp {
                name: cloud_gov_app_name(&project.name, &env.name, &app.name),
                buildpacks,
                docker_image,
                command: app.command.clone(),
                no_route: app.port.is_none(),
                instances: size.instances,
                memory: format!("{}M", size.memory_mb),
                disk_quota: format!("{}M", size.disk_mb),
                health_endpoint: health.map(|h| h.path.clone()),
                health_invocation_timeout: health.map_or(0, |h| h.request_timeout_seconds),
                health_timeout: health.map_or(60, |h| h.start_timeout_seconds),
                routes,
                services: bound,
                env: vars,
                labels,
            }
        })
        .collect();
    Some(CloudGovManifest {
        environment: env.name.clone(),
        org: target.org.clone(),
        space: target.space.clone(),
        services: instances,
        apps,
    })
}

/// The manifest's text.
pub fn render_manifest(manifest: &CloudGovManifest) -> Result<String, RenderError> {
    render("cloudgov/manifest.yml", manifest)
}
