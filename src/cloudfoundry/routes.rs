//! How traffic and backing services reach an app: domains by name, routes found or created in a domain and
//! mapped to (or unmapped from) an app's process (docs/v3 `resources/routes`), service instances by name,
//! and the app's service credential bindings (`resources/service_credential_bindings`): a user-provided
//! instance is bound at once, a managed one through a job that is polled until it is COMPLETE.

use std::time::Duration;

use hyper::Method;
use hyper::StatusCode;
use serde::Deserialize;

use super::transport::{Payload, with_query};
use super::{CfError, CloudFoundry, ToOne};

/// A domain (docs/v3 `domains/_object`).
#[derive(Clone, Debug, Deserialize)]
pub struct Domain {
    /// Its guid.
    pub guid: String,
    /// Its name.
    pub name: String,
}

/// A route (docs/v3 `routes/_object`).
#[derive(Clone, Debug, Deserialize)]
pub struct Route {
    /// Its guid.
    pub guid: String,
    /// Its host (empty for none).
    #[serde(default)]
    pub host: String,
    /// Its path (empty for none).
    #[serde(default)]
    pub path: String,
    /// Host, domain and path together.
    pub url: String,
    /// Where it sends traffic.
    #[serde(default)]
    pub destinations: Vec<Destination>,
}

/// A route's destination (docs/v3 `routes/_destination_object`).
#[derive(Clone, Debug, Deserialize)]
pub struct Destination {
    /// Its guid, which unmapping takes.
    pub guid: String,
    /// The app and process type.
    pub app: DestinationApp,
    /// The port on the process.
    #[serde(default)]
    pub port: Option<u16>,
}

/// A destination's app.
#[derive(Clone, Debug, Deserialize)]
pub struct DestinationApp {
    /// The app's guid.
    pub guid: String,
    /// The process type (`web` when not given).
    #[serde(default)]
    pub process: Option<DestinationProcess>,
}

/// A destination's process.
#[derive(Clone, Debug, Deserialize)]
pub struct DestinationProcess {
    /// The process type.
    #[serde(rename = "type")]
    pub kind: String,
}

/// A service instance (docs/v3 `service_instances/_object`).
#[derive(Clone, Debug, Deserialize)]
pub struct ServiceInstance {
    /// Its guid.
    pub guid: String,
    /// Its name.
    pub name: String,
    /// `managed` or `user-provided`.
    #[serde(rename = "type")]
    pub kind: String,
    /// What its broker last did.
    #[serde(default)]
    pub last_operation: Option<LastOperation>,
}

/// The last operation of a service instance or binding.
#[derive(Clone, Debug, Deserialize)]
pub struct LastOperation {
    /// `create`, `update` or `delete`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `initial`, `in progress`, `succeeded` or `failed`.
    pub state: String,
    /// Its description.
    #[serde(default)]
    pub description: Option<String>,
}

/// A service credential binding (docs/v3 `service_credential_bindings/_object`).
#[derive(Clone, Debug, Deserialize)]
pub struct ServiceCredentialBinding {
    /// Its guid.
    pub guid: String,
    /// Its name, if it has one.
    pub name: Option<String>,
    /// `app` or `key`.
    #[serde(rename = "type")]
    pub kind: String,
    /// What its broker last did.
    #[serde(default)]
    pub last_operation: Option<LastOperation>,
    /// The app and the service instance.
    pub relationships: BindingRelationships,
}

/// A binding's relationships.
#[derive(Clone, Debug, Deserialize)]
pub struct BindingRelationships {
    /// The app (none for a `key` binding).
    #[serde(default)]
    pub app: ToOne,
    /// The service instance.
    pub service_instance: ToOne,
}

#[derive(Deserialize)]
struct Destinations {
    destinations: Vec<Destination>,
}

impl CloudFoundry {
    /// The domain named `name` (docs/v3 `domains/_list`).
    pub async fn domain(&self, name: &str) -> Result<Domain, CfError> {
        let path = with_query("/v3/domains", &[("names", name)]);
        let found: Vec<Domain> = self.list(&path).await?;
        found
            .into_iter()
            .find(|d| d.name.eq_ignore_ascii_case(name))
            .ok_or_else(|| self.missing(&path, format!("domain `{name}` (or it is not visible to this user)")))
    }

    /// The route `host`.`domain``path` in the space with guid `space`, if it exists (`path` is empty or
    /// starts with `/`).
    pub async fn route(&self, space: &str, domain: &str, host: &str, path: &str) -> Result<Option<Route>, CfError> {
        let mut query = vec![("space_guids", space), ("domain_guids", domain), ("hosts", host)];
        if !path.is_empty() {
            query.push(("paths", path));
        }
        let found: Vec<Route> = self.list(&with_query("/v3/routes", &query)).await?;
        Ok(found.into_iter().find(|r| r.host == host && r.path == path))
    }

    /// `POST /v3/routes`: the route `host`.`domain``path` in the space with guid `space`.
    pub async fn create_route(&self, space: &str, domain: &str, host: &str, path: &str) -> Result<Route, CfError> {
        let mut body = serde_json::json!({
            "host": host,
            "relationships": { "space": ToOne::to(space), "domain": ToOne::to(domain) },
        });
        if !path.is_empty() {
            body["path"] = path.into();
        }
        self.post("/v3/routes", &body).await
    }

    /// `POST /v3/routes/:guid/destinations`: the route also sends traffic to the app's `process` (`web`
    /// for the app's web process), on the platform's default port. Existing destinations stay. The
    /// route's destinations after it.
    pub async fn map_route(&self, route: &str, app: &str, process: &str) -> Result<Vec<Destination>, CfError> {
        let body = serde_json::json!({ "destinations": [{ "app": { "guid": app, "process": { "type": process } } }] });
        let answer: Destinations = self.post(&format!("/v3/routes/{route}/destinations"), &body).await?;
        Ok(answer.destinations)
    }

    /// `DELETE /v3/routes/:guid/destinations/:destination_guid`.
    pub async fn unmap_route(&self, route: &str, destination: &str) -> Result<(), CfError> {
        let path = format!("/v3/routes/{route}/destinations/{destination}");
        self.send(Method::DELETE, &path, Payload::Empty).await.map(drop)
    }

    /// The service instance named `name` in the space with guid `space` (docs/v3 `service_instances/_list`;
    /// names compare case-sensitively).
    pub async fn service_instance(&self, space: &str, name: &str) -> Result<ServiceInstance, CfError> {
        let path = with_query("/v3/service_instances", &[("names", name), ("space_guids", space)]);
        let found: Vec<ServiceInstance> = self.list(&path).await?;
        found
            .into_iter()
            .find(|s| s.name == name)
            .ok_or_else(|| self.missing(&path, format!("service instance `{name}` in the space")))
    }

    /// The app's service credential bindings (`GET /v3/service_credential_bindings?app_guids=...`).
    pub async fn app_bindings(&self, app: &str) -> Result<Vec<ServiceCredentialBinding>, CfError> {
        self.list(&with_query("/v3/service_credential_bindings", &[("app_guids", app), ("type", "app")])).await
    }

    /// `POST /v3/service_credential_bindings` of type `app`: binds the service instance to the app. A
    /// user-provided instance answers 201 with the binding; a managed one 202 with a job, polled for up to
    /// `within` until COMPLETE, and the binding it made is then read.
    pub async fn bind_service(
        &self,
        app: &str,
        service_instance: &str,
        within: Duration,
    ) -> Result<ServiceCredentialBinding, CfError> {
        let body = serde_json::json!({
            "type": "app",
            "relationships": { "service_instance": ToOne::to(service_instance), "app": ToOne::to(app) },
        });
        let answer = self.send(Method::POST, "/v3/service_credential_bindings", Payload::json(&body)).await?;
        if answer.status != StatusCode::ACCEPTED {
            return answer.decode();
        }
        let Some(location) = answer.location.clone() else {
            return Err(answer.error("202 Accepted without a Location header naming the job".into()));
        };
        let job = self.wait_for_job(&location, within).await?;
        match job.links.get("service_credential_binding") {
            Some(link) => self.get(&link.href).await,
            None => {
                // The job does not link its binding: find it among the app's.
                let bindings = self.app_bindings(app).await?;
                bindings
                    .into_iter()
                    .find(|b| b.relationships.service_instance.guid() == Some(service_instance))
                    .ok_or_else(|| {
                        answer.error(format!("job {} is COMPLETE but the app has no binding to the instance", job.guid))
                    })
            }
        }
    }
}
