//! What a cloud.gov space runs now, app by app, and how it differs from a manifest by meaning: instances,
//! memory, disk, health check, routes, the names of the environment variables (never their values, which
//! may be secrets: a changed value of the same name is not seen), bound service instances, and the droplet.

use std::collections::{BTreeMap, BTreeSet};

use super::manifest::{AppSpec, Manifest, megabytes};
use super::{Space, find_space, health_check};
use crate::cloudfoundry::{CfError, CloudFoundry};

/// One app as it runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppState {
    /// Its name.
    pub name: String,
    /// Its web instances.
    pub instances: u32,
    /// Memory per instance, MB.
    pub memory_mb: u64,
    /// Disk per instance, MB.
    pub disk_mb: u64,
    /// The routes of the manifest it is mapped to.
    pub routes: BTreeSet<String>,
    /// The names of its environment variables.
    pub variables: BTreeSet<String>,
    /// The service instances it is bound to, of those the manifest names.
    pub services: BTreeSet<String>,
    /// Whether its health check is the manifest's.
    pub health_check_matches: bool,
    /// Its current droplet.
    pub droplet: Option<String>,
    /// Started or stopped.
    pub started: bool,
}

/// What runs of a manifest's apps: each app's state, or `None` when it does not exist.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deployed {
    /// By app name, in the manifest's order.
    pub apps: Vec<(String, Option<AppState>)>,
}

/// Reads every app of `manifest` in `space`.
pub async fn state(cf: &CloudFoundry, space: Space<'_>, manifest: &Manifest) -> Result<Deployed, CfError> {
    let space_guid = find_space(cf, space).await?;
    let mut apps = Vec::new();
    for spec in &manifest.apps {
        apps.push((spec.name.clone(), app_state(cf, &space_guid, spec).await?));
    }
    Ok(Deployed { apps })
}

async fn app_state(cf: &CloudFoundry, space: &str, spec: &AppSpec) -> Result<Option<AppState>, CfError> {
    let Some(app) = cf.app_named(space, &spec.name).await? else { return Ok(None) };
    let web = cf.process(&app.guid, "web").await?;
    let variables = cf.environment_variables(&app.guid).await?.var.into_keys().collect();
    let mut routes = BTreeSet::new();
    for r in &spec.routes {
        let (hostpath, path) = match r.route.split_once('/') {
            Some((h, p)) => (h, format!("/{p}")),
            None => (r.route.as_str(), String::new()),
        };
        let (host, domain) = hostpath.split_once('.').unwrap_or(("", hostpath));
        let Ok(domain) = cf.domain(domain).await else { continue };
        if let Some(route) = cf.route(space, &domain.guid, host, &path).await?
            && route.destinations.iter().any(|d| d.app.guid == app.guid)
        {
            routes.insert(r.route.clone());
        }
    }
    let bindings = cf.app_bindings(&app.guid).await?;
    let mut services = BTreeSet::new();
    for name in &spec.services {
        let Ok(instance) = cf.service_instance(space, name).await else { continue };
        if bindings.iter().any(|b| b.relationships.service_instance.guid() == Some(instance.guid.as_str())) {
            services.insert(name.clone());
        }
    }
    let wanted = spec.web().map(health_check);
    Ok(Some(AppState {
        name: spec.name.clone(),
        instances: web.instances,
        memory_mb: web.memory_in_mb,
        disk_mb: web.disk_in_mb,
        routes,
        variables,
        services,
        health_check_matches: wanted.as_ref() == Some(&web.health_check),
        droplet: app.relationships.current_droplet.guid().map(str::to_string),
        started: app.state.as_str() == "STARTED",
    }))
}

/// How each app differs from the manifest, by meaning: app name -> what differs (empty: nothing).
pub fn differences(manifest: &Manifest, deployed: &Deployed) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    for spec in &manifest.apps {
        let found = deployed.apps.iter().find(|(n, _)| *n == spec.name).and_then(|(_, s)| s.as_ref());
        let mut what = Vec::new();
        match found {
            None => what.push("does not exist: it would be created".to_string()),
            Some(s) => {
                if let Some(web) = spec.web() {
                    if s.instances != web.instances {
                        what.push(format!("instances {} -> {}", s.instances, web.instances));
                    }
                    if let Some(mb) = megabytes(&web.memory).filter(|mb| *mb != s.memory_mb) {
                        what.push(format!("memory {}M -> {mb}M", s.memory_mb));
                    }
                    if let Some(mb) = megabytes(&web.disk_quota).filter(|mb| *mb != s.disk_mb) {
                        what.push(format!("disk {}M -> {mb}M", s.disk_mb));
                    }
                }
                if !s.health_check_matches {
                    what.push("health check changes".into());
                }
                for r in spec.routes.iter().filter(|r| !s.routes.contains(&r.route)) {
                    what.push(format!("route {} would be mapped", r.route));
                }
                let wanted: BTreeSet<&String> = spec.env.keys().collect();
                for v in wanted.iter().filter(|v| !s.variables.contains(**v)) {
                    what.push(format!("variable {v} would be added"));
                }
                for v in s.variables.iter().filter(|v| !wanted.contains(v)) {
                    what.push(format!("variable {v} would be removed"));
                }
                for name in spec.services.iter().filter(|n| !s.services.contains(*n)) {
                    what.push(format!("service instance {name} would be bound"));
                }
                if !s.started {
                    what.push("is stopped: it would be started".into());
                }
            }
        }
        out.insert(spec.name.clone(), what);
    }
    out
}
