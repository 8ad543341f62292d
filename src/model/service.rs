//! The services a project runs outside AWS: each a process on cloud.gov (staged by buildpacks, or run from
//! an image) and under docker-compose (the same image, command, port and health check), any number of
//! them, with their links to each other and to backing services.
//!
//! The cloud.gov manifest and the compose file both read these values, so a start command or a health
//! check path is written once. A link says what one service must know of another: its URL, or a backing
//! service's connection details; each target resolves it its own way (a published port under compose,
//! the default route on cloud.gov). Names that must not collide (app names, routes) are made here too,
//! beside the data they are made from, so that `slipway check` and synthesis agree on them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The domain cloud.gov gives every app a route on; a host name under it is unique across all of cloud.gov.
pub const CLOUD_GOV_DOMAIN: &str = "app.cloud.gov";

/// How cloud.gov stages a service.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Runtime {
    /// Staged from source by these buildpacks, in order (empty: cloud.gov detects one).
    Buildpacks(Vec<String>),
    /// Run from the service's container image, the one docker-compose runs.
    Docker,
}

/// An HTTP health check: GET `path` on the service's port must answer 2xx.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthCheck {
    /// The path checked (`/health`).
    pub path: String,
    /// Seconds one check request may take.
    pub request_timeout_seconds: u32,
    /// Seconds a starting instance may take to pass its first check before it counts as failed.
    pub start_timeout_seconds: u32,
    /// Seconds between two checks under docker-compose, which also runs the first check only after one
    /// interval (so a service takes at least this long to count as healthy).
    pub interval_seconds: u32,
}

impl HealthCheck {
    /// A GET of `path`, 5 seconds per request, 60 seconds to start, every 10 seconds.
    pub fn http(path: impl Into<String>) -> Self {
        HealthCheck { path: path.into(), request_timeout_seconds: 5, start_timeout_seconds: 60, interval_seconds: 10 }
    }
}

/// What one service must know of another, in its environment.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Link {
    /// Service `service`'s URL, as its users reach it, in variable `var`: under docker-compose the port
    /// the host publishes it on, on cloud.gov its default route over HTTPS.
    Url {
        /// The service linked to.
        service: String,
        /// The variable that holds its URL (`API_URL`).
        var: String,
    },
    /// Backing service `service`'s connection: under docker-compose its host, port, credentials in variables
    /// named with `prefix` (`DB_` makes `DB_HOST`, `DB_PORT`, ...), on cloud.gov its service instance bound.
    Backing {
        /// The backing service linked to.
        service: String,
        /// What the variables' names start with.
        prefix: String,
    },
}

impl Link {
    /// Service `service`'s URL in variable `var`.
    pub fn url(service: impl Into<String>, var: impl Into<String>) -> Self {
        Link::Url { service: service.into(), var: var.into() }
    }

    /// Backing service `service`'s connection, in variables named `<SERVICE>_...` (`DB_HOST` for `db`).
    pub fn backing(service: impl Into<String>) -> Self {
        let service = service.into();
        let prefix = format!("{}_", service.to_ascii_uppercase().replace('-', "_"));
        Link::Backing { service, prefix }
    }

    /// The same link, its variables named with `prefix` instead (a backing link only).
    pub fn prefix(self, prefix: impl Into<String>) -> Self {
        match self {
            Link::Backing { service, .. } => Link::Backing { service, prefix: prefix.into() },
            url => url,
        }
    }

    /// The service linked to.
    pub fn target(&self) -> &str {
        match self {
            Link::Url { service, .. } | Link::Backing { service, .. } => service,
        }
    }
}

/// How big one service runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Size {
    /// How many instances run.
    pub instances: u32,
    /// Memory per instance, in MiB.
    pub memory_mb: u32,
    /// Disk per instance, in MiB.
    pub disk_mb: u32,
}

/// One service of the project: a process that runs on cloud.gov and under docker-compose.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    /// Its name: in app names (`<project>-<name>-<env>`), the compose service's key, reports.
    pub name: String,
    /// How cloud.gov stages it.
    pub runtime: Runtime,
    /// The container image, without tag (the release is the tag). `None`: `ghcr.io/<owner>/<project>-<name>`.
    pub image: Option<String>,
    /// The start command, run by a shell as cloud.gov runs it (`$PORT` expands); `None`: the buildpack's or
    /// the image's own.
    pub command: Option<String>,
    /// The port it listens on inside its container (`$PORT`); `None` for a process that serves nothing (a
    /// worker), which gets no route and no published port.
    pub port: Option<u16>,
    /// The HTTP health check cloud.gov and docker-compose run; `None`: cloud.gov watches the process, and
    /// compose counts it ready once it runs.
    pub health: Option<HealthCheck>,
    /// Plain configuration, the same in every place it runs. Never a secret: those go in `secrets`.
    pub variables: BTreeMap<String, String>,
    /// Names of the secret variables it reads. Their values never appear in any synthesized file: on
    /// cloud.gov they live in the environment's user-provided secrets service, under docker-compose in a
    /// `.env` file the operator (or `slipway`, for a host it deploys) writes.
    pub secrets: Vec<String>,
    /// Extra cloud.gov routes (`app.example.gov`), beside the default one under [`CLOUD_GOV_DOMAIN`].
    pub routes: Vec<String>,
    /// What it must know of other services.
    pub links: Vec<Link>,
    /// Memory per instance, in MiB, below the staging tier (staging and production run 1,024 unless an
    /// environment sizes it).
    pub memory_mb: u32,
    /// Disk per instance, in MiB.
    pub disk_mb: u32,
    /// The port a developer's machine publishes it on (a compose target on the local machine); a server
    /// derives its ports from the environment's name instead.
    pub local_port: Option<u16>,
    /// Whether it runs on cloud.gov (where the environment has a cloud.gov target).
    pub on_cloud_gov: bool,
    /// Whether it runs under docker-compose (where the environment has a compose target).
    pub on_compose: bool,
    /// Its code when it is staged by buildpacks on cloud.gov (the app's bits): the name of a directory
    /// asset of the project (see [`super::Asset`]), or a directory relative to the top of the project (or
    /// absolute). `release create` puts its zip (sorted entries, fixed times) in the release, so a deploy,
    /// a promotion and a rollback upload exactly what was released; `None` for a service run from its
    /// image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

impl Service {
    /// A web service `name` listening on `port`, staged on cloud.gov by buildpack detection, checked by a
    /// GET of `/`, 256 MiB and 1 GiB of disk per instance.
    pub fn web(name: impl Into<String>, port: u16) -> Self {
        Service {
            name: name.into(),
            runtime: Runtime::Buildpacks(Vec::new()),
            image: None,
            command: None,
            port: Some(port),
            health: Some(HealthCheck::http("/")),
            variables: BTreeMap::new(),
            secrets: Vec::new(),
            routes: Vec::new(),
            links: Vec::new(),
            memory_mb: 256,
            disk_mb: 1024,
            local_port: None,
            on_cloud_gov: true,
            on_compose: true,
            source: None,
        }
    }

    /// A worker `name`: a process that serves nothing (no port, no route, no HTTP check).
    pub fn worker(name: impl Into<String>) -> Self {
        Service { port: None, health: None, ..Service::web(name, 0) }
    }

    /// Staged on cloud.gov by these buildpacks.
    pub fn buildpacks<S: Into<String>>(mut self, packs: impl IntoIterator<Item = S>) -> Self {
        self.runtime = Runtime::Buildpacks(packs.into_iter().map(Into::into).collect());
        self
    }

    /// Run on cloud.gov from its image, as under compose.
    pub fn docker(mut self) -> Self {
        self.runtime = Runtime::Docker;
        self
    }

    /// Staged on cloud.gov from directory asset `dir`, or the files of directory `dir` (relative to the
    /// top of the project).
    pub fn source(mut self, dir: impl Into<String>) -> Self {
        self.source = Some(dir.into());
        self
    }

    /// Runs from `image` (a repository, without tag).
    pub fn image(mut self, image: impl Into<String>) -> Self {
        self.image = Some(image.into());
        self
    }

    /// Starts with `command`.
    pub fn command(mut self, command: impl Into<String>) -> Self {
        self.command = Some(command.into());
        self
    }

    /// Checked with `health`.
    pub fn health(mut self, health: HealthCheck) -> Self {
        self.health = Some(health);
        self
    }

    /// Sets a plain configuration variable.
    pub fn var(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.variables.insert(name.into(), value.into());
        self
    }

    /// Reads secret `name`.
    pub fn secret(mut self, name: impl Into<String>) -> Self {
        self.secrets.push(name.into());
        self
    }

    /// Adds a cloud.gov route (a host name, optionally with a path).
    pub fn route(mut self, route: impl Into<String>) -> Self {
        self.routes.push(route.into());
        self
    }

    /// Must know what `link` says.
    pub fn link(mut self, link: Link) -> Self {
        self.links.push(link);
        self
    }

    /// Runs with `memory_mb` MiB per instance below staging.
    pub fn memory_mb(mut self, memory_mb: u32) -> Self {
        self.memory_mb = memory_mb;
        self
    }

    /// Published on `port` on a developer's machine.
    pub fn local_port(mut self, port: u16) -> Self {
        self.local_port = Some(port);
        self
    }

    /// Runs under docker-compose only, not on cloud.gov.
    pub fn compose_only(mut self) -> Self {
        self.on_cloud_gov = false;
        self
    }

    /// Runs on cloud.gov only, not under docker-compose.
    pub fn cloud_gov_only(mut self) -> Self {
        self.on_compose = false;
        self
    }

    /// The image it runs from, without tag: its own, or `ghcr.io/<owner>/<project>-<name>` in lowercase, as an
    /// image reference must be (the owner `HHS` publishes to `ghcr.io/hhs/...`).
    pub fn image_for(&self, owner: &str, project: &str) -> String {
        self.image.clone().unwrap_or_else(|| format!("ghcr.io/{owner}/{project}-{}", self.name).to_lowercase())
    }
}

/// The cloud.gov app name of service `service` in environment `env`: `<project>-<service>-<env>`.
/// `slipway check` refuses two environments or services that would make the same name in one space.
pub fn cloud_gov_app_name(project: &str, env: &str, service: &str) -> String {
    format!("{project}-{service}-{env}")
}

/// The default route of `service` in `env`: its app name under [`CLOUD_GOV_DOMAIN`].
pub fn cloud_gov_default_route(project: &str, env: &str, service: &str) -> String {
    format!("{}.{CLOUD_GOV_DOMAIN}", cloud_gov_app_name(project, env, service))
}

/// Why `name` cannot be an environment variable's name, if it cannot.
pub fn variable_name_problem(name: &str) -> Option<&'static str> {
    let mut chars = name.chars();
    match chars.next() {
        None => Some("is empty"),
        Some(c) if !(c.is_ascii_alphabetic() || c == '_') => Some("must start with a letter or `_`"),
        _ if !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') => {
            Some("may hold only ASCII letters, digits and `_`, as a shell variable does")
        }
        _ => None,
    }
}

/// The first `((name))` in `value`: `cf push` would read it as a manifest variable and fail or replace it.
pub fn cf_variable_in(value: &str) -> Option<&str> {
    let mut rest = value;
    let mut offset = 0;
    while let Some(start) = rest.find("((") {
        let after = &rest[start + 2..];
        let name_len = after.find(|c: char| !(c.is_alphanumeric() || "_-./!".contains(c))).unwrap_or(after.len());
        if name_len > 0 && after[name_len..].starts_with("))") {
            let begin = offset + start;
            return Some(&value[begin..begin + 2 + name_len + 2]);
        }
        offset += start + 1;
        rest = &rest[start + 1..];
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_cf_variables_but_not_lookalikes() {
        assert_eq!(cf_variable_in("a ((release)) b"), Some("((release))"));
        assert_eq!(cf_variable_in("(((x)))"), Some("((x))"));
        assert_eq!(cf_variable_in("((no space))"), None);
        assert_eq!(cf_variable_in("(()) ((x) )"), None);
        assert_eq!(cf_variable_in("é((ñ))"), Some("((ñ))"));
    }

    #[test]
    fn variable_names_are_shell_names() {
        assert_eq!(variable_name_problem("DB_HOST"), None);
        assert_eq!(variable_name_problem("_x1"), None);
        assert!(variable_name_problem("").is_some());
        assert!(variable_name_problem("1A").is_some());
        assert!(variable_name_problem("A-B").is_some());
    }

    #[test]
    fn a_backing_link_names_its_variables_after_the_service_unless_told() {
        assert_eq!(Link::backing("db"), Link::Backing { service: "db".into(), prefix: "DB_".into() });
        assert_eq!(
            Link::backing("object-store"),
            Link::Backing { service: "object-store".into(), prefix: "OBJECT_STORE_".into() }
        );
        assert_eq!(Link::backing("db").prefix("PG"), Link::Backing { service: "db".into(), prefix: "PG".into() });
    }
}
