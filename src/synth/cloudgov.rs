//! cloud.gov (Cloud Foundry) app manifests: `<env>/cloudgov/manifest.yml` for every environment with a
//! cloud.gov target, holding the environment's frontend + backend app pair.
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
use crate::model::{Component, Environment, Project, Runtime, cloud_gov_app_name, cloud_gov_default_route};

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
    /// The apps, frontend first.
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
    /// Instances of the web process.
    pub instances: u32,
    /// Memory per instance (`256M`).
    pub memory: String,
    /// Disk per instance (`1024M`).
    pub disk_quota: String,
    /// Health check endpoint (an HTTP GET).
    pub health_endpoint: String,
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

/// The name of `env`'s service holding the database's connection credentials.
pub fn database_service(project: &str, env: &str) -> String {
    format!("{project}-db-{env}")
}

/// The manifest data of `env`, or `None` when it has no cloud.gov target.
pub fn manifest(project: &Project, env: &Environment) -> Option<CloudGovManifest> {
    let target = env.cloud_gov_target()?;
    let owner = &project.repository.owner;
    let mut secret_keys: Vec<String> = Component::ALL.iter().flat_map(|c| env.app_of(*c).secrets).collect();
    secret_keys.sort();
    secret_keys.dedup();
    let mut services = Vec::new();
    let secrets_name = secrets_service(&project.name, &env.name);
    if !secret_keys.is_empty() {
        services.push(CloudGovService {
            name: secrets_name.clone(),
            purpose: "the apps' secrets".into(),
            keys: secret_keys,
        });
    }
    let db_name = database_service(&project.name, &env.name);
    if env.database.is_some() {
        services.push(CloudGovService {
            name: db_name.clone(),
            purpose: "the database's connection credentials".into(),
            keys: vec!["uri".into()],
        });
    }
    let backend_route = cloud_gov_default_route(&project.name, &env.name, Component::Backend);
    let apps = Component::ALL
        .iter()
        .map(|&component| {
            let app = env.app_of(component);
            let size = env.size_of(component);
            let (buildpacks, docker_image) = match &app.runtime {
                Runtime::Buildpacks(b) => (b.clone(), None),
                Runtime::Docker => {
                    (Vec::new(), Some(format!("{}:{RELEASE_VAR}", app.image_for(owner, &project.name, component))))
                }
            };
            let mut routes = vec![cloud_gov_default_route(&project.name, &env.name, component)];
            routes.extend(app.routes.iter().cloned());
            let mut bound = Vec::new();
            if !app.secrets.is_empty() {
                bound.push(secrets_name.clone());
            }
            if component == Component::Backend && env.database.is_some() {
                bound.push(db_name.clone());
            }
            let mut vars = app.variables.clone();
            vars.insert("APP_ENV".into(), env.name.clone());
            vars.insert("RELEASE".into(), RELEASE_VAR.into());
            if component == Component::Frontend {
                vars.insert("API_URL".into(), format!("https://{backend_route}"));
            }
            let labels = BTreeMap::from([
                ("commit".to_string(), COMMIT_VAR.to_string()),
                ("component".to_string(), component.to_string()),
                ("environment".to_string(), env.name.clone()),
                ("project".to_string(), project.name.clone()),
                ("release".to_string(), RELEASE_VAR.to_string()),
            ]);
            CloudGovApp {
                name: cloud_gov_app_name(&project.name, &env.name, component),
                buildpacks,
                docker_image,
                command: app.command.clone(),
                instances: size.instances,
                memory: format!("{}M", size.memory_mb),
                disk_quota: format!("{}M", size.disk_mb),
                health_endpoint: app.health.path.clone(),
                health_invocation_timeout: app.health.request_timeout_seconds,
                health_timeout: app.health.start_timeout_seconds,
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
        services,
        apps,
    })
}

/// The manifest's text.
pub fn render_manifest(manifest: &CloudGovManifest) -> Result<String, RenderError> {
    render("cloudgov/manifest.yml", manifest)
}
