//! docker-compose bundles: `<env>/compose/docker-compose.yml` and `.env.example` for every environment with a
//! compose target, plus `install.sh` for an environment on a server (a feature demo), which brings the
//! bundle up on a fresh machine.
//!
//! Data first ([`ComposeBundle`], built from the environment), text second (the `compose/` templates).
//! Every name that could clash between two environments on one host (the compose project, containers,
//! the network, the volume, published ports) is derived from the environment's name; the ports through
//! [`crate::model::ComposeHost::ports_for`], whose collisions `slipway check` refuses.
//!
//! Values reach the file in compose's own form: literal text has `$` doubled (compose's escape), and the
//! only interpolations are the `${NAME:?..}` references this module writes itself, each listed in
//! `.env.example`. Secrets are only ever such references.

use std::collections::BTreeMap;

use serde::Serialize;

use super::templates::{RenderError, compose_literal, render, sh_str};
use crate::model::{ComposeHost, Environment, Link, Project, Service, Value};

/// Everything the compose templates read.
#[derive(Clone, Debug, Serialize)]
pub struct ComposeBundle {
    /// The environment's name.
    pub environment: String,
    /// The compose project name (`webapp-dev`); containers, network and volume are named after it.
    pub project: String,
    /// Where it runs, for the header comment (`the local machine`).
    pub host: String,
    /// The network the services share.
    pub network: String,
    /// The volumes of the backing services that keep data: (key in the file, name on the host).
    pub volumes: Vec<(String, String)>,
    /// The services, in start order: backing services, then each service after those it links to.
    pub services: Vec<ComposeService>,
    /// Every variable the compose file reads, for `.env.example` and `install.sh`.
    pub variables: Vec<ComposeVariable>,
    /// What to open once it is up (`frontend`, URL), for `install.sh`.
    pub urls: Vec<(String, String)>,
}

/// One compose service. Strings are in compose form (`$` escaped) and are YAML-escaped by the template.
#[derive(Clone, Debug, Serialize)]
pub struct ComposeService {
    /// The service's key (`backend`).
    pub key: String,
    /// Its container name, unique per environment.
    pub container_name: String,
    /// Its image, with tag: the release for the project's own images, the hash for an image asset
    /// (`<registry>/<project>/<asset>:<hash>`).
    pub image: String,
    /// Its command in exec form, when it overrides the image's.
    pub command: Option<Vec<String>>,
    /// Published ports (`127.0.0.1:3000:8080`).
    pub ports: Vec<String>,
    /// Environment variables, sorted.
    pub environment: BTreeMap<String, String>,
    /// Services that must be ready (healthy, or started when they have no health check) before this one
    /// starts.
    pub depends_on: Vec<ComposeDependency>,
    /// Volume mounts (`volume:/path`).
    pub volumes: Vec<String>,
    /// Labels on its container, so that the project can be found on a host and told apart (see
    /// [`LABEL_PROJECT`], [`LABEL_ENVIRONMENT`]).
    pub labels: BTreeMap<String, String>,
    /// The health check, when it has one.
    pub healthcheck: Option<ComposeHealthcheck>,
}

/// A service another one waits for, and for what (`service_healthy`, `service_started`).
#[derive(Clone, Debug, Serialize)]
pub struct ComposeDependency {
    /// The service waited for.
    pub service: String,
    /// What is waited for.
    pub condition: String,
}

/// A compose health check.
#[derive(Clone, Debug, Serialize)]
pub struct ComposeHealthcheck {
    /// The test, `CMD-SHELL` form.
    pub test: Vec<String>,
    /// Between checks (`10s`).
    pub interval: String,
    /// One check's limit.
    pub timeout: String,
    /// Failures before unhealthy.
    pub retries: u32,
    /// Grace period while starting.
    pub start_period: String,
}

/// A variable the compose file reads from `.env`.
#[derive(Clone, Debug, Serialize)]
pub struct ComposeVariable {
    /// Its name.
    pub name: String,
    /// What it is, one line.
    pub description: String,
    /// A secret: `.env.example` leaves it empty and `install.sh` generates it.
    pub secret: bool,
}

impl ComposeVariable {
    /// The interpolation that reads the variable and stops compose with a message when it is unset.
    fn reference(&self) -> String {
        format!("${{{}:?set {} in .env (see .env.example)}}", self.name, self.name)
    }
}

/// The label on every container slipway's compose files make: the project (`webapp`).
pub const LABEL_PROJECT: &str = "slipway.project";
/// The label on every container slipway's compose files make: the environment (`dark-mode`).
pub const LABEL_ENVIRONMENT: &str = "slipway.environment";
/// The label on the containers of the project's own services (those whose image is tagged with the
/// release): the release they run. Backing services do not carry it, so that a new release does not
/// recreate the database.
pub const LABEL_RELEASE: &str = "slipway.release";

/// The labels of every service of `env` in `project`.
fn labels(project: &Project, env: &Environment) -> BTreeMap<String, String> {
    BTreeMap::from([
        (LABEL_ENVIRONMENT.to_string(), compose_literal(&env.name)),
        (LABEL_PROJECT.to_string(), compose_literal(&project.name)),
    ])
}

/// A health check command that GETs `url` with curl where the image has it, with wget (busybox's, in
/// Alpine-based images) where it does not, and with Python's standard library in an image that has neither
/// (`python:3.12-slim`), so that no such image is unhealthy for want of a tool.
fn http_probe(url: &str) -> String {
    let url = sh_str(url);
    format!(
        "if command -v curl > /dev/null 2>&1; then curl -fsS {url} > /dev/null; elif command -v wget > /dev/null \
         2>&1; then wget -q -O /dev/null {url}; else python3 -c \"import sys, urllib.request; \
         urllib.request.urlopen(sys.argv[1], timeout=5)\" {url}; fi"
    )
}

/// `a, b and c`.
fn and_list<S: AsRef<str>>(items: &[S]) -> String {
    match items {
        [] => String::new(),
        [one] => one.as_ref().to_string(),
        [init @ .., last] => {
            format!("{} and {}", init.iter().map(AsRef::as_ref).collect::<Vec<_>>().join(", "), last.as_ref())
        }
    }
}

/// A variable's value in compose form: text escaped, the password a reference to `.env`.
fn value_of(value: &Value, password: &ComposeVariable) -> String {
    match value {
        Value::Text(t) => compose_literal(t),
        Value::Password => password.reference(),
        Value::WithPassword(t) => compose_literal(t).replace(&compose_literal("${PASSWORD}"), &password.reference()),
    }
}

/// The bundle of `env`, or `None` when it has no compose target.
pub fn bundle(project: &Project, env: &Environment) -> Option<ComposeBundle> {
    let target = env.compose_target()?;
    let compose_project = format!("{}-{}", project.name, env.name);
    let services: Vec<Service> = project.services_in(env).into_iter().filter(|s| s.on_compose).collect();
    let backing = project.backing_in(env);
    let ports = target.host.ports_for(&env.name, &services.iter().collect::<Vec<_>>());
    let (bind, public_host) = match &target.host {
        // A developer's services answer on the loopback only, not to the whole network.
        ComposeHost::Local => ("127.0.0.1:", "localhost".to_string()),
        ComposeHost::Server(h) => ("", h.clone()),
    };
    // A service that runs an image asset is tagged with the asset's hash, the others with the release.
    let asset_image = |service: &Service| {
        let registry = target.registry.as_deref()?;
        project.image_asset_of(service)?.image_in(registry, &project.name)
    };
    let imaged: Vec<&str> = services.iter().filter(|s| asset_image(s).is_none()).map(|s| s.name.as_str()).collect();
    let release = ComposeVariable {
        name: "RELEASE".into(),
        description: match imaged.len() {
            0 => "the release to run".into(),
            n => format!(
                "the release to run: the tag of the {} image{}",
                and_list(&imaged),
                if n == 1 { "" } else { "s" }
            ),
        },
        secret: false,
    };
    let mut variables = vec![release.clone()];
    let mut compose_services = Vec::new();
    let mut volumes = Vec::new();
    for b in &backing {
        let spec = b.spec(&project.name);
        let password = ComposeVariable {
            name: b.password_variable(),
            description: {
                let linked: Vec<&str> = services
                    .iter()
                    .filter(|s| {
                        s.links.iter().any(|l| matches!(l, Link::Backing { service, .. } if *service == b.name))
                    })
                    .map(|s| s.name.as_str())
                    .collect();
                let mut who = vec![b.description.clone()];
                who.extend(linked.iter().map(|n| format!("the {n}")));
                format!("{} password, shared by {}", b.description, and_list(&who))
            },
            secret: true,
        };
        if spec.password {
            variables.push(password.clone());
        }
        let volume = format!("{}-data", b.name);
        if spec.data_path.is_some() {
            volumes.push((volume.clone(), format!("{compose_project}-{volume}")));
        }
        compose_services.push(ComposeService {
            key: b.name.clone(),
            container_name: format!("{compose_project}-{}", b.name),
            image: compose_literal(&b.image),
            command: spec.command.as_ref().map(|c| c.iter().map(|p| compose_literal(p)).collect()),
            ports: Vec::new(),
            environment: spec.environment.iter().map(|(k, v)| (k.clone(), value_of(v, &password))).collect(),
            depends_on: Vec::new(),
            volumes: spec.data_path.iter().map(|path| format!("{volume}:{path}")).collect(),
            labels: labels(project, env),
            healthcheck: spec.health.as_ref().map(|test| ComposeHealthcheck {
                test: vec!["CMD-SHELL".into(), compose_literal(test)],
                interval: "5s".into(),
                timeout: "5s".into(),
                retries: 10,
                start_period: "10s".into(),
            }),
        });
    }
    let url_of = |name: &str| ports.get(name).map(|port| format!("http://{public_host}:{port}"));
    let mut urls = Vec::new();
    for service in ordered(&services) {
        let mut environment: BTreeMap<String, String> =
            service.variables.iter().map(|(k, v)| (k.clone(), compose_literal(v))).collect();
        environment.insert("APP_ENV".into(), compose_literal(&env.name));
        if let Some(port) = service.port {
            environment.insert("PORT".into(), port.to_string());
        }
        environment.insert("RELEASE".into(), release.reference());
        let mut depends_on = Vec::new();
        for link in &service.links {
            match link {
                Link::Url { service: other, var } => {
                    if let Some(url) = url_of(other) {
                        environment.insert(var.clone(), compose_literal(&url));
                    }
                    depends_on.push(ComposeDependency { service: other.clone(), condition: String::new() });
                }
                Link::Backing { service: other, prefix } => {
                    let Some(b) = backing.iter().find(|b| &b.name == other) else { continue };
                    let password =
                        ComposeVariable { name: b.password_variable(), description: String::new(), secret: true };
                    for (suffix, value) in b.spec(&project.name).connection {
                        environment.insert(format!("{prefix}{suffix}"), value_of(&value, &password));
                    }
                    depends_on.push(ComposeDependency { service: other.clone(), condition: String::new() });
                }
            }
        }
        for secret in &service.secrets {
            let var = ComposeVariable {
                name: secret.clone(),
                description: format!("read by the {}", service.name),
                secret: true,
            };
            environment.insert(secret.clone(), var.reference());
            if !variables.iter().any(|v| v.name == var.name) {
                variables.push(var);
            }
        }
        let published = ports.get(&service.name).copied();
        if let Some(port) = published {
            urls.push((service.name.clone(), format!("http://{public_host}:{port}")));
        }
        compose_services.push(ComposeService {
            key: service.name.clone(),
            container_name: format!("{compose_project}-{}", service.name),
            image: match asset_image(service) {
                Some(image) => compose_literal(&image),
                None => format!(
                    "{}:{}",
                    compose_literal(&service.image_for(&project.repository.owner, &project.name)),
                    release.reference()
                ),
            },
            // The command runs in a shell, as cloud.gov runs it, so `$PORT` means the same in both places.
            command: service.command.as_ref().map(|c| vec!["/bin/sh".into(), "-c".into(), compose_literal(c)]),
            ports: match (published, service.port) {
                (Some(on_host), Some(port)) => vec![format!("{bind}{on_host}:{port}")],
                _ => Vec::new(),
            },
            environment,
            depends_on,
            volumes: Vec::new(),
            labels: {
                let mut labels = labels(project, env);
                labels.insert(LABEL_RELEASE.to_string(), release.reference());
                labels
            },
            healthcheck: match (&service.health, service.port) {
                (Some(health), Some(port)) => Some(ComposeHealthcheck {
                    test: vec![
                        "CMD-SHELL".into(),
                        compose_literal(&http_probe(&format!("http://127.0.0.1:{port}{}", health.path))),
                    ],
                    interval: format!("{}s", health.interval_seconds),
                    timeout: format!("{}s", health.request_timeout_seconds),
                    retries: 3,
                    start_period: format!("{}s", health.start_timeout_seconds),
                }),
                _ => None,
            },
        });
    }
    // What to open once it is up, in the project's order of services.
    urls.sort_by_key(|(name, _)| services.iter().position(|s| &s.name == name));
    // A dependency with a health check is waited on until healthy; one without, until it started.
    let healthy: Vec<String> =
        compose_services.iter().filter(|s| s.healthcheck.is_some()).map(|s| s.key.clone()).collect();
    for s in &mut compose_services {
        for d in &mut s.depends_on {
            d.condition = if healthy.contains(&d.service) { "service_healthy" } else { "service_started" }.into();
        }
    }
    Some(ComposeBundle {
        environment: env.name.clone(),
        project: compose_project.clone(),
        host: target.host.describe(),
        network: compose_project,
        volumes,
        services: compose_services,
        variables,
        urls,
    })
}

/// The services in the order they start: each after the services it links to (a link to a service
/// that links back is not followed again), otherwise in the project's order.
fn ordered(services: &[Service]) -> Vec<&Service> {
    let mut out: Vec<&Service> = Vec::new();
    fn place<'a>(s: &'a Service, all: &'a [Service], out: &mut Vec<&'a Service>, visiting: &mut Vec<String>) {
        if out.iter().any(|o| o.name == s.name) || visiting.contains(&s.name) {
            return;
        }
        visiting.push(s.name.clone());
        for link in &s.links {
            if let Some(dep) = all.iter().find(|d| d.name == link.target()) {
                place(dep, all, out, visiting);
            }
        }
        visiting.pop();
        out.push(s);
    }
    for s in services {
        place(s, services, &mut out, &mut Vec::new());
    }
    out
}

/// The text of `docker-compose.yml`.
pub fn render_compose(bundle: &ComposeBundle) -> Result<String, RenderError> {
    render("compose/docker-compose.yml", bundle)
}

/// The variables a bundle's `.env.example` lists (what a release holds of them): each `NAME=` line, a
/// secret when the comment above it says `# Secret:`. A deploy makes the `.env` from these, from the
/// release's bytes rather than from the definitions of the checkout.
pub fn read_env_example(text: &str) -> Vec<ComposeVariable> {
    let mut out = Vec::new();
    let mut secret = false;
    for line in text.lines().map(str::trim) {
        if let Some(comment) = line.strip_prefix('#') {
            secret = comment.trim_start().starts_with("Secret:");
        } else if let Some((name, _)) = line.split_once('=') {
            let name = name.trim();
            if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                out.push(ComposeVariable { name: name.to_string(), description: String::new(), secret });
            }
            secret = false;
        }
    }
    out
}

/// The text of `.env.example`.
pub fn render_env_example(bundle: &ComposeBundle) -> Result<String, RenderError> {
    render("compose/env.example", bundle)
}

/// The text of `install.sh`.
pub fn render_install(bundle: &ComposeBundle) -> Result<String, RenderError> {
    render("compose/install.sh", bundle)
}
