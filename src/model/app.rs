//! How one component of the app runs outside AWS: on cloud.gov (buildpacks or a docker image, a start
//! command, a health check, routes) and under docker-compose (the same image, command and health check).
//!
//! The cloud.gov manifest and the compose file both read these values, so a start command or a health
//! check path is written once. Names that must not collide (app names, routes) are made here too, beside
//! the data they are made from, so that `slipway check` and synthesis agree on them.

use std::collections::BTreeMap;

use std::fmt;

/// The domain cloud.gov gives every app a route on; a host name under it is unique across all of cloud.gov.
pub const CLOUD_GOV_DOMAIN: &str = "app.cloud.gov";

/// A part of the app that is sized separately.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Component {
    /// The web frontend.
    Frontend,
    /// The API backend.
    Backend,
}

impl Component {
    /// The component's name in app names and output (`frontend`).
    pub fn as_str(self) -> &'static str {
        match self {
            Component::Frontend => "frontend",
            Component::Backend => "backend",
        }
    }

    /// Every component, in a fixed order.
    pub const ALL: [Component; 2] = [Component::Frontend, Component::Backend];
}

impl fmt::Display for Component {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How cloud.gov stages a component.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Runtime {
    /// Staged from source by these buildpacks, in order (empty: cloud.gov detects one).
    Buildpacks(Vec<String>),
    /// Run from the component's container image, the one docker-compose runs.
    Docker,
}

/// An HTTP health check: GET `path` on the component's port must answer 2xx.
#[derive(Clone, Debug, PartialEq, Eq)]
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

/// How one component runs on cloud.gov and under docker-compose.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct App {
    /// How cloud.gov stages it.
    pub runtime: Runtime,
    /// The container image, without tag (the release is the tag). `None`: `ghcr.io/<owner>/<project>-<component>`.
    pub image: Option<String>,
    /// The start command, run by a shell as cloud.gov runs it (`$PORT` expands); `None`: the buildpack's or
    /// the image's own.
    pub command: Option<String>,
    /// The port the component listens on inside its container.
    pub port: u16,
    /// The health check cloud.gov and docker-compose run.
    pub health: HealthCheck,
    /// Plain configuration, the same in every place it runs. Never a secret: those go in `secrets`.
    pub variables: BTreeMap<String, String>,
    /// Names of the secret variables the component reads. Their values never appear in any synthesized
    /// file: on cloud.gov they live in the environment's user-provided secrets service, under
    /// docker-compose in a `.env` file the operator writes.
    pub secrets: Vec<String>,
    /// Extra cloud.gov routes (`webapp.example.gov`), beside the default one under [`CLOUD_GOV_DOMAIN`].
    pub routes: Vec<String>,
}

impl App {
    /// The reference app's `component`: a static frontend, a Python backend with a secret key.
    pub fn default_for(component: Component) -> Self {
        match component {
            Component::Frontend => App {
                runtime: Runtime::Buildpacks(vec!["staticfile_buildpack".into()]),
                image: None,
                command: None,
                port: 8080,
                health: HealthCheck::http("/"),
                variables: BTreeMap::new(),
                secrets: Vec::new(),
                routes: Vec::new(),
            },
            Component::Backend => App {
                runtime: Runtime::Buildpacks(vec!["python_buildpack".into()]),
                image: None,
                command: Some("gunicorn --bind 0.0.0.0:$PORT webapp.wsgi:application".into()),
                port: 8080,
                health: HealthCheck::http("/health"),
                variables: BTreeMap::new(),
                secrets: vec!["SECRET_KEY".into()],
                routes: Vec::new(),
            },
        }
    }

    /// Sets a plain configuration variable.
    pub fn var(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.variables.insert(name.into(), value.into());
        self
    }

    /// Adds a cloud.gov route (a host name, optionally with a path).
    pub fn route(mut self, route: impl Into<String>) -> Self {
        self.routes.push(route.into());
        self
    }

    /// The image `project`'s `component` runs from, without tag.
    pub fn image_for(&self, owner: &str, project: &str, component: Component) -> String {
        self.image.clone().unwrap_or_else(|| format!("ghcr.io/{owner}/{project}-{component}"))
    }
}

/// The cloud.gov app name of `component` in environment `env`: `<project>-<component>-<env>`.
///
/// Environment names are unique and the component names differ in their first letter, so two
/// environments of one project never make the same app name.
pub fn cloud_gov_app_name(project: &str, env: &str, component: Component) -> String {
    format!("{project}-{component}-{env}")
}

/// The default route of `component` in `env`: its app name under [`CLOUD_GOV_DOMAIN`], unique for the
/// same reason the app name is.
pub fn cloud_gov_default_route(project: &str, env: &str, component: Component) -> String {
    format!("{}.{CLOUD_GOV_DOMAIN}", cloud_gov_app_name(project, env, component))
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
}
