//! Where an app lives and what it runs as: organizations and spaces by name, apps (found by name in a space,
//! created, updated, started, stopped, restarted), their environment variables and current droplet, and
//! their processes (scaled, health-checked, and each instance's state). Each operation follows its section of
//! docs/v3 `resources/apps` and `resources/processes`.

use std::collections::BTreeMap;

use hyper::Method;
use serde::{Deserialize, Serialize};

use super::transport::{Payload, with_query};
use super::{
    App, CfError, CloudFoundry, Droplet, HealthCheck, InstanceStats, Lifecycle, Organization, Process, Scale, Space,
    ToOne,
};

/// The body of `POST /v3/apps` (docs/v3 `apps/_create`). Its `Debug` shows variable names, not values,
/// which may be secrets.
#[derive(Clone, Serialize)]
pub struct NewApp {
    /// The name, unique in the space.
    pub name: String,
    /// The space.
    pub relationships: SpaceRelationship,
    /// Environment variables.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub environment_variables: BTreeMap<String, String>,
    /// The lifecycle (the API's default: buildpack).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifecycle: Option<Lifecycle>,
}

impl std::fmt::Debug for NewApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewApp")
            .field("name", &self.name)
            .field("space", &self.relationships.space.guid())
            .field("environment_variables", &self.environment_variables.keys().collect::<Vec<_>>())
            .field("lifecycle", &self.lifecycle)
            .finish()
    }
}

/// `relationships.space`.
#[derive(Clone, Debug, Serialize)]
pub struct SpaceRelationship {
    /// The space.
    pub space: ToOne,
}

impl NewApp {
    /// An app named `name` in the space with guid `space`.
    pub fn new(name: &str, space: &str) -> NewApp {
        NewApp {
            name: name.to_string(),
            relationships: SpaceRelationship { space: ToOne::to(space) },
            environment_variables: BTreeMap::new(),
            lifecycle: None,
        }
    }

    /// With this lifecycle.
    pub fn lifecycle(mut self, lifecycle: Lifecycle) -> NewApp {
        self.lifecycle = Some(lifecycle);
        self
    }

    /// With the environment variable `name` set to `value`.
    pub fn env(mut self, name: &str, value: &str) -> NewApp {
        self.environment_variables.insert(name.to_string(), value.to_string());
        self
    }
}

/// The body of `PATCH /v3/apps/:guid` (docs/v3 `apps/_update`); `None` leaves a field as it is.
#[derive(Clone, Debug, Default, Serialize)]
pub struct AppUpdate {
    /// A new name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A new lifecycle (of the same type).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifecycle: Option<Lifecycle>,
}

/// An app's own environment variables (docs/v3 `apps/_environment_variables`). Its `Debug` shows names only.
#[derive(Clone, Deserialize)]
pub struct EnvironmentVariables {
    /// Name -> value.
    pub var: BTreeMap<String, serde_json::Value>,
}

impl std::fmt::Debug for EnvironmentVariables {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnvironmentVariables").field("names", &self.var.keys().collect::<Vec<_>>()).finish()
    }
}

#[derive(Deserialize)]
struct Stats {
    resources: Vec<InstanceStats>,
}

impl CloudFoundry {
    /// The error for a name looked up in the list at `path` and not found.
    pub(crate) fn missing(&self, path: &str, what: String) -> CfError {
        CfError::NotFound { method: "GET".into(), url: format!("{}{path}", self.settings.api_url), what }
    }

    /// The organization named `name` (docs/v3 `organizations/_list`, names compare case-insensitively).
    pub async fn organization(&self, name: &str) -> Result<Organization, CfError> {
        let path = with_query("/v3/organizations", &[("names", name)]);
        let found: Vec<Organization> = self.list(&path).await?;
        found
            .into_iter()
            .find(|o| o.name.eq_ignore_ascii_case(name))
            .ok_or_else(|| self.missing(&path, format!("organization `{name}` (or it is not visible to this user)")))
    }

    /// The space named `name` in the organization with guid `organization` (docs/v3 `spaces/_list`).
    pub async fn space(&self, organization: &str, name: &str) -> Result<Space, CfError> {
        let path = with_query("/v3/spaces", &[("names", name), ("organization_guids", organization)]);
        let found: Vec<Space> = self.list(&path).await?;
        found
            .into_iter()
            .find(|s| s.name.eq_ignore_ascii_case(name))
            .ok_or_else(|| self.missing(&path, format!("space `{name}` (or it is not visible to this user)")))
    }

    /// The app named `name` in the space with guid `space`, if there is one (docs/v3 `apps/_list`).
    pub async fn app_named(&self, space: &str, name: &str) -> Result<Option<App>, CfError> {
        let path = with_query("/v3/apps", &[("names", name), ("space_guids", space)]);
        let found: Vec<App> = self.list(&path).await?;
        Ok(found.into_iter().find(|a| a.name.eq_ignore_ascii_case(name)))
    }

    /// `GET /v3/apps/:guid`.
    pub async fn app(&self, guid: &str) -> Result<App, CfError> {
        self.get(&format!("/v3/apps/{guid}")).await
    }

    /// `POST /v3/apps`: a new app, stopped, with a web process and no droplet.
    pub async fn create_app(&self, app: &NewApp) -> Result<App, CfError> {
        self.post("/v3/apps", app).await
    }

    /// `PATCH /v3/apps/:guid`.
    pub async fn update_app(&self, guid: &str, update: &AppUpdate) -> Result<App, CfError> {
        self.patch(&format!("/v3/apps/{guid}"), update).await
    }

    /// `GET /v3/apps/:guid/environment_variables`.
    pub async fn environment_variables(&self, app: &str) -> Result<EnvironmentVariables, CfError> {
        self.get(&format!("/v3/apps/{app}/environment_variables")).await
    }

    /// `PATCH /v3/apps/:guid/environment_variables`: each `Some` sets a variable, each `None` removes it,
    /// the others stay (they take effect when the app next starts or deploys). The variables after it.
    pub async fn update_environment_variables(
        &self,
        app: &str,
        changes: &BTreeMap<String, Option<String>>,
    ) -> Result<EnvironmentVariables, CfError> {
        self.patch(&format!("/v3/apps/{app}/environment_variables"), &serde_json::json!({ "var": changes })).await
    }

    /// The droplet the app runs (`GET /v3/apps/:guid/droplets/current`), or `None` before it has one.
    pub async fn current_droplet(&self, app: &str) -> Result<Option<Droplet>, CfError> {
        self.get_optional(&format!("/v3/apps/{app}/droplets/current")).await
    }

    /// `PATCH /v3/apps/:guid/relationships/current_droplet` (refused while a deployment is in flight).
    pub async fn set_current_droplet(&self, app: &str, droplet: &str) -> Result<(), CfError> {
        let path = format!("/v3/apps/{app}/relationships/current_droplet");
        self.send(Method::PATCH, &path, Payload::json(&ToOne::to(droplet))).await.map(drop)
    }

    /// `POST /v3/apps/:guid/actions/start` (the app needs a current droplet).
    pub async fn start_app(&self, guid: &str) -> Result<App, CfError> {
        self.send(Method::POST, &format!("/v3/apps/{guid}/actions/start"), Payload::Empty).await?.decode()
    }

    /// `POST /v3/apps/:guid/actions/stop`.
    pub async fn stop_app(&self, guid: &str) -> Result<App, CfError> {
        self.send(Method::POST, &format!("/v3/apps/{guid}/actions/stop"), Payload::Empty).await?.decode()
    }

    /// `POST /v3/apps/:guid/actions/restart`: stops and starts, with downtime (a deployment has none).
    pub async fn restart_app(&self, guid: &str) -> Result<App, CfError> {
        self.send(Method::POST, &format!("/v3/apps/{guid}/actions/restart"), Payload::Empty).await?.decode()
    }

    /// Every process of the app (`GET /v3/apps/:guid/processes`).
    pub async fn processes(&self, app: &str) -> Result<Vec<Process>, CfError> {
        self.list(&format!("/v3/apps/{app}/processes")).await
    }

    /// The app's process of type `kind` (`GET /v3/apps/:guid/processes/:type`).
    pub async fn process(&self, app: &str, kind: &str) -> Result<Process, CfError> {
        self.get(&format!("/v3/apps/{app}/processes/{kind}")).await
    }

    /// `POST /v3/processes/:guid/actions/scale` (a web process cannot be scaled during a deployment).
    pub async fn scale_process(&self, process: &str, scale: &Scale) -> Result<Process, CfError> {
        self.post(&format!("/v3/processes/{process}/actions/scale"), scale).await
    }

    /// `PATCH /v3/processes/:guid` with a new health check and, when given, a new start command: `Some(None)`
    /// goes back to the command the buildpack detected or the image has (the reference's `null`); `None`
    /// leaves the command as it is, as `cf push` does when a manifest names none.
    pub async fn set_process(
        &self,
        process: &str,
        check: &HealthCheck,
        command: Option<Option<&str>>,
    ) -> Result<Process, CfError> {
        let mut body = serde_json::json!({ "health_check": check });
        if let Some(command) = command {
            body["command"] = command.into();
        }
        self.patch(&format!("/v3/processes/{process}"), &body).await
    }

    /// Each instance of the process and its state (`GET /v3/processes/:guid/stats`).
    pub async fn process_stats(&self, process: &str) -> Result<Vec<InstanceStats>, CfError> {
        let stats: Stats = self.get(&format!("/v3/processes/{process}/stats")).await?;
        Ok(stats.resources)
    }
}
