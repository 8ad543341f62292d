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
use crate::model::{Component, ComposeHost, Environment, Project};

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
    /// The database's volume.
    pub volume: String,
    /// The services, in start order: database, backend, frontend.
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
    /// Its image, with tag.
    pub image: String,
    /// Its command in exec form, when it overrides the image's.
    pub command: Option<Vec<String>>,
    /// Published ports (`127.0.0.1:3000:8080`).
    pub ports: Vec<String>,
    /// Environment variables, sorted.
    pub environment: BTreeMap<String, String>,
    /// Services that must be healthy before this one starts.
    pub depends_on: Vec<String>,
    /// Volume mounts (`volume:/path`).
    pub volumes: Vec<String>,
    /// Labels on its container, so that the project can be found on a host and told apart (see
    /// [`LABEL_PROJECT`], [`LABEL_ENVIRONMENT`]).
    pub labels: BTreeMap<String, String>,
    /// The health check.
    pub healthcheck: ComposeHealthcheck,
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

/// The labels of every service of `env` in `project`.
fn labels(project: &Project, env: &Environment) -> BTreeMap<String, String> {
    BTreeMap::from([
        (LABEL_ENVIRONMENT.to_string(), compose_literal(&env.name)),
        (LABEL_PROJECT.to_string(), compose_literal(&project.name)),
    ])
}

/// A health check command that GETs `url` with curl where the image has it and with wget (busybox's, in
/// Alpine-based images) where it does not, so that neither kind of image is unhealthy for want of a tool.
fn http_probe(url: &str) -> String {
    let url = sh_str(url);
    format!(
        "if command -v curl > /dev/null 2>&1; then curl -fsS {url} > /dev/null; else wget -q -O /dev/null {url}; fi"
    )
}

/// The database's name and user inside its container.
fn db_name(project: &str) -> String {
    project.replace('-', "_")
}

/// The bundle of `env`, or `None` when it has no compose target.
pub fn bundle(project: &Project, env: &Environment) -> Option<ComposeBundle> {
    let target = env.compose_target()?;
    let compose_project = format!("{}-{}", project.name, env.name);
    let ports = target.host.ports_for(&env.name);
    let (bind, public_host) = match &target.host {
        // A developer's services answer on the loopback only, not to the whole network.
        ComposeHost::Local => ("127.0.0.1:", "localhost".to_string()),
        ComposeHost::Server(h) => ("", h.clone()),
    };
    let release = ComposeVariable {
        name: "RELEASE".into(),
        description: "the release to run: the tag of the frontend and backend images".into(),
        secret: false,
    };
    let db_password = ComposeVariable {
        name: "DB_PASSWORD".into(),
        description: "the database password, shared by the database and the backend".into(),
        secret: true,
    };
    let mut variables = vec![release.clone(), db_password.clone()];
    let db = db_name(&project.name);
    let network = compose_project.clone();
    let volume = format!("{compose_project}-db-data");
    let mut services = vec![ComposeService {
        key: "db".into(),
        container_name: format!("{compose_project}-db"),
        image: compose_literal(&target.database_image),
        command: None,
        ports: Vec::new(),
        environment: BTreeMap::from([
            ("POSTGRES_DB".into(), db.clone()),
            ("POSTGRES_PASSWORD".into(), db_password.reference()),
            ("POSTGRES_USER".into(), db.clone()),
        ]),
        depends_on: Vec::new(),
        volumes: vec![format!("db-data:/var/lib/postgresql/data")],
        labels: labels(project, env),
        healthcheck: ComposeHealthcheck {
            test: vec!["CMD-SHELL".into(), compose_literal(&format!("pg_isready -U {db} -d {db}"))],
            interval: "5s".into(),
            timeout: "5s".into(),
            retries: 10,
            start_period: "10s".into(),
        },
    }];
    let backend_url = format!("http://{public_host}:{}", ports.backend);
    let mut urls = Vec::new();
    for component in [Component::Backend, Component::Frontend] {
        let app = env.app_of(component);
        let published = match component {
            Component::Frontend => ports.frontend,
            Component::Backend => ports.backend,
        };
        urls.push((component.to_string(), format!("http://{public_host}:{published}")));
        let mut environment: BTreeMap<String, String> =
            app.variables.iter().map(|(k, v)| (k.clone(), compose_literal(v))).collect();
        environment.insert("APP_ENV".into(), compose_literal(&env.name));
        environment.insert("PORT".into(), app.port.to_string());
        environment.insert("RELEASE".into(), release.reference());
        let depends_on = match component {
            Component::Backend => {
                environment.insert("DB_HOST".into(), "db".into());
                environment.insert("DB_PORT".into(), "5432".into());
                environment.insert("DB_NAME".into(), db.clone());
                environment.insert("DB_USER".into(), db.clone());
                environment.insert("DB_PASSWORD".into(), db_password.reference());
                vec!["db".to_string()]
            }
            Component::Frontend => {
                environment.insert("API_URL".into(), compose_literal(&backend_url));
                vec!["backend".to_string()]
            }
        };
        for secret in &app.secrets {
            let var =
                ComposeVariable { name: secret.clone(), description: format!("read by the {component}"), secret: true };
            environment.insert(secret.clone(), var.reference());
            if !variables.iter().any(|v| v.name == var.name) {
                variables.push(var);
            }
        }
        let probe = format!("http://127.0.0.1:{}{}", app.port, app.health.path);
        services.push(ComposeService {
            key: component.to_string(),
            container_name: format!("{compose_project}-{component}"),
            image: format!(
                "{}:{}",
                compose_literal(&app.image_for(&project.repository.owner, &project.name, component)),
                release.reference()
            ),
            // The command runs in a shell, as cloud.gov runs it, so `$PORT` means the same in both places.
            command: app.command.as_ref().map(|c| vec!["/bin/sh".into(), "-c".into(), compose_literal(c)]),
            ports: vec![format!("{bind}{published}:{}", app.port)],
            environment,
            depends_on,
            volumes: Vec::new(),
            labels: labels(project, env),
            healthcheck: ComposeHealthcheck {
                test: vec!["CMD-SHELL".into(), compose_literal(&http_probe(&probe))],
                interval: format!("{}s", app.health.interval_seconds),
                timeout: format!("{}s", app.health.request_timeout_seconds),
                retries: 3,
                start_period: format!("{}s", app.health.start_timeout_seconds),
            },
        });
    }
    urls.reverse();
    Some(ComposeBundle {
        environment: env.name.clone(),
        project: compose_project,
        host: target.host.describe(),
        network,
        volume,
        services,
        variables,
        urls,
    })
}

/// The text of `docker-compose.yml`.
pub fn render_compose(bundle: &ComposeBundle) -> Result<String, RenderError> {
    render("compose/docker-compose.yml", bundle)
}

/// The text of `.env.example`.
pub fn render_env_example(bundle: &ComposeBundle) -> Result<String, RenderError> {
    render("compose/env.example", bundle)
}

/// The text of `install.sh`.
pub fn render_install(bundle: &ComposeBundle) -> Result<String, RenderError> {
    render("compose/install.sh", bundle)
}
