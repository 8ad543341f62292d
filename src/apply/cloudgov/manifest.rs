//! The release's cloud.gov manifest read back as data: the bytes `synth` wrote for the environment, with
//! `((release))` and `((commit))` filled in as `cf push --var` would, parsed into the settings each app
//! gets, and the apps put in dependency order (an app whose environment names another app's route is
//! applied after it, so a backend is on the new release before the frontend that calls it).

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::synth::cloudgov::{COMMIT_VAR, RELEASE_VAR};

/// Why the manifest cannot be applied.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// It is not the YAML `synth` writes.
    #[error("the release's cloud.gov manifest of `{env}` cannot be read: {reason}")]
    Unreadable {
        /// The environment.
        env: String,
        /// Why.
        reason: String,
    },
    /// Its apps name each other's routes in a circle.
    #[error("the apps of `{env}`'s cloud.gov manifest call each other in a circle ({}); none can go first", .apps.join(", "))]
    Circle {
        /// The environment.
        env: String,
        /// The apps in the circle.
        apps: Vec<String>,
    },
}

/// The manifest: its apps, in dependency order.
#[derive(Clone, Debug)]
pub struct Manifest {
    /// The apps, each after every app whose route it names.
    pub apps: Vec<AppSpec>,
}

/// One app as the manifest sets it.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct AppSpec {
    /// The app's name in the space.
    pub name: String,
    /// Run from this image, when set.
    #[serde(default)]
    pub docker: Option<Docker>,
    /// Staged with these buildpacks (none: detected), when not run from an image.
    #[serde(default)]
    pub buildpacks: Vec<String>,
    /// Routes (`host.domain`).
    #[serde(default)]
    pub routes: Vec<RouteSpec>,
    /// No route at all (a worker).
    #[serde(default)]
    pub no_route: bool,
    /// Service instances bound, by name.
    #[serde(default)]
    pub services: Vec<String>,
    /// Its processes (slipway writes one, `web`).
    #[serde(default)]
    pub processes: Vec<ProcessSpec>,
    /// Environment variables.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
}

/// `docker: {image}`.
#[derive(Clone, Debug, Deserialize)]
pub struct Docker {
    /// The image with its tag.
    pub image: String,
}

/// `- route: host.domain`.
#[derive(Clone, Debug, Deserialize)]
pub struct RouteSpec {
    /// `host.domain[/path]`.
    pub route: String,
}

/// One process of an app.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ProcessSpec {
    /// `web`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Its start command.
    #[serde(default)]
    pub command: Option<String>,
    /// Instances.
    pub instances: u32,
    /// Memory per instance (`256M`, `1G`).
    pub memory: String,
    /// Disk per instance.
    #[serde(rename = "disk_quota")]
    pub disk_quota: String,
    /// `http`, `port` or `process`.
    #[serde(default)]
    pub health_check_type: Option<String>,
    /// The path an `http` check calls.
    #[serde(default)]
    pub health_check_http_endpoint: Option<String>,
    /// Seconds one check may take.
    #[serde(default)]
    pub health_check_invocation_timeout: Option<u32>,
    /// Seconds a starting instance may take to become healthy.
    #[serde(default)]
    pub timeout: Option<u32>,
}

impl AppSpec {
    /// Its web process (the manifest's first process when none is called `web`).
    pub fn web(&self) -> Option<&ProcessSpec> {
        self.processes.iter().find(|p| p.kind == "web").or_else(|| self.processes.first())
    }
}

#[derive(Deserialize)]
struct File {
    #[serde(default)]
    applications: Vec<AppSpec>,
}

/// Megabytes in `256M`, `1G`, `512MB`, `1024`.
pub fn megabytes(size: &str) -> Option<u64> {
    let s = size.trim().to_ascii_uppercase();
    let s = s.strip_suffix('B').unwrap_or(&s);
    let (digits, factor) = match s.strip_suffix('G') {
        Some(d) => (d, 1024),
        None => (s.strip_suffix('M').unwrap_or(s), 1),
    };
    digits.trim().parse::<u64>().ok().map(|n| n * factor)
}

/// `bytes` (environment `env`'s manifest in the release), with the release and commit filled in.
pub fn read(env: &str, bytes: &[u8], release: &str, commit: Option<&str>) -> Result<Manifest, ManifestError> {
    let text =
        String::from_utf8_lossy(bytes).replace(RELEASE_VAR, release).replace(COMMIT_VAR, commit.unwrap_or("unknown"));
    let unreadable = |reason: String| ManifestError::Unreadable { env: env.into(), reason };
    // The header comment is a document of its own (`---` after it); the applications are in the last.
    let body = text.rsplit_once("\n---\n").map_or(text.as_str(), |(_, b)| b);
    let file: File = serde_yaml_ng::from_str(body).map_err(|e| unreadable(e.to_string()))?;
    if let Some(app) = file.applications.iter().find(|a| a.web().is_none()) {
        return Err(unreadable(format!("app `{}` has no process", app.name)));
    }
    Ok(Manifest { apps: ordered(env, file.applications)? })
}

/// `apps`, each after every app whose route its environment names; otherwise in the manifest's order.
fn ordered(env: &str, apps: Vec<AppSpec>) -> Result<Vec<AppSpec>, ManifestError> {
    let calls = |a: &AppSpec, b: &AppSpec| {
        a.name != b.name && b.routes.iter().any(|r| a.env.values().any(|v| v.contains(&r.route)))
    };
    let mut left = apps;
    let mut out: Vec<AppSpec> = Vec::new();
    while !left.is_empty() {
        let Some(i) = left.iter().position(|a| !left.iter().any(|b| calls(a, b))) else {
            return Err(ManifestError::Circle { env: env.into(), apps: left.iter().map(|a| a.name.clone()).collect() });
        };
        out.push(left.remove(i));
    }
    Ok(out)
}
