//! The v3 API's common shapes (links, guids, relationships) and its resources for apps and their processes,
//! as slipway reads and writes them: only the fields a deploy uses, named as the reference names them
//! (docs/v3 `resources/<resource>/_object`); the other resources sit beside the operations on them. Every
//! state the client branches on is an enum that keeps values it does not know (`Other`), so a newer API's
//! new state reads, and is reported, as itself instead of failing to decode.

use serde::{Deserialize, Serialize};

/// An enum of the API's string values (each variant documented as the value it stands for), with `Other`
/// for the rest.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal,)* }) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $(#[doc = concat!("`", $text, "`")] $variant,)*
            /// A value this client does not know.
            Other(String),
        }

        impl $name {
            /// The value as the API writes it.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $text,)*
                    $name::Other(s) => s,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Ok(match s.as_str() {
                    $($text => $name::$variant,)*
                    _ => $name::Other(s),
                })
            }
        }
    };
}

pub(crate) use string_enum;

/// A link: `{"href": "..."}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    /// The URL.
    pub href: String,
}

/// A resource named by its guid: `{"guid": "..."}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Guid {
    /// The guid.
    pub guid: String,
}

impl Guid {
    /// `{"guid": guid}`.
    pub fn of(guid: &str) -> Guid {
        Guid { guid: guid.to_string() }
    }
}

/// A to-one relationship (docs/v3 `concepts/_relationships`): `{"data": {"guid": "..."}}`, `data` null when
/// there is none.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToOne {
    /// The related resource.
    pub data: Option<Guid>,
}

impl ToOne {
    /// A relationship to `guid`.
    pub fn to(guid: &str) -> ToOne {
        ToOne { data: Some(Guid::of(guid)) }
    }

    /// The related resource's guid, if any.
    pub fn guid(&self) -> Option<&str> {
        self.data.as_ref().map(|g| g.guid.as_str())
    }
}

/// The global API root (docs/v3 `root/_global_root`): where the other APIs are.
#[derive(Clone, Debug, Deserialize)]
pub struct Root {
    /// Its links.
    pub links: RootLinks,
}

/// The root document's links that slipway follows.
#[derive(Clone, Debug, Deserialize)]
pub struct RootLinks {
    /// The v3 API.
    pub cloud_controller_v3: Option<Link>,
    /// The login server, whose `/oauth/token` gives tokens (as the cf CLI uses it).
    pub login: Option<Link>,
    /// The UAA server.
    pub uaa: Option<Link>,
}

/// An organization (docs/v3 `organizations/_object`).
#[derive(Clone, Debug, Deserialize)]
pub struct Organization {
    /// Its guid.
    pub guid: String,
    /// Its name.
    pub name: String,
}

/// A space (docs/v3 `spaces/_object`).
#[derive(Clone, Debug, Deserialize)]
pub struct Space {
    /// Its guid.
    pub guid: String,
    /// Its name.
    pub name: String,
}

string_enum! {
    /// An app's desired state.
    AppState { Started = "STARTED", Stopped = "STOPPED", }
}

/// How an app is staged and run (docs/v3 `concepts/_lifecycles`): `{"type": "docker", "data": {}}`, or
/// `buildpack` with its buildpacks and stack.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Lifecycle {
    /// `buildpack`, `cnb` or `docker`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The lifecycle's data (`buildpacks`, `stack`; `{}` for docker).
    #[serde(default)]
    pub data: serde_json::Value,
}

impl Lifecycle {
    /// The docker lifecycle.
    pub fn docker() -> Lifecycle {
        Lifecycle { kind: "docker".into(), data: serde_json::json!({}) }
    }

    /// The buildpack lifecycle with these buildpacks (none: detected) on `stack` (none: the default).
    pub fn buildpack(buildpacks: &[&str], stack: Option<&str>) -> Lifecycle {
        let mut data = serde_json::json!({ "buildpacks": buildpacks });
        if let Some(stack) = stack {
            data["stack"] = stack.into();
        }
        Lifecycle { kind: "buildpack".into(), data }
    }
}

/// An app (docs/v3 `apps/_object`).
#[derive(Clone, Debug, Deserialize)]
pub struct App {
    /// Its guid.
    pub guid: String,
    /// Its name.
    pub name: String,
    /// Started or stopped.
    pub state: AppState,
    /// How it is staged and run.
    pub lifecycle: Lifecycle,
    /// Its space and current droplet.
    pub relationships: AppRelationships,
}

/// An app's relationships.
#[derive(Clone, Debug, Deserialize)]
pub struct AppRelationships {
    /// Its space.
    pub space: ToOne,
    /// The droplet it runs, when it has one.
    #[serde(default)]
    pub current_droplet: ToOne,
}

string_enum! {
    /// The kind of a health check (docs/v3 `processes/_health_check_object`).
    HealthCheckType { Port = "port", Http = "http", Process = "process", }
}

/// A process's health check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthCheck {
    /// `port` (the default), `http` or `process`.
    #[serde(rename = "type")]
    pub kind: HealthCheckType,
    /// Its timeouts and, for `http`, its endpoint.
    #[serde(default)]
    pub data: HealthCheckData,
}

/// A health check's settings; `None` leaves (or reads as) the platform's default.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthCheckData {
    /// Seconds a health check may fail before the process is restarted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u32>,
    /// Seconds one check may take (`http` and `port`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invocation_timeout: Option<u32>,
    /// Seconds between checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<u32>,
    /// The path an `http` check calls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
}

/// A process (docs/v3 `processes/_object`).
#[derive(Clone, Debug, Deserialize)]
pub struct Process {
    /// Its guid.
    pub guid: String,
    /// Its type (`web`, `worker`, ...).
    #[serde(rename = "type")]
    pub kind: String,
    /// Its start command, when one is set or detected.
    pub command: Option<String>,
    /// How many instances it runs.
    pub instances: u32,
    /// Memory per instance.
    pub memory_in_mb: u64,
    /// Disk per instance.
    pub disk_in_mb: u64,
    /// Its health check.
    pub health_check: HealthCheck,
}

/// What a scale changes (docs/v3 `processes/_scale`); `None` leaves a value as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Scale {
    /// Instances to run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instances: Option<u32>,
    /// Memory per instance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_in_mb: Option<u64>,
    /// Disk per instance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disk_in_mb: Option<u64>,
}

string_enum! {
    /// The state of one instance of a process (docs/v3 `processes/_stats_object`).
    InstanceState { Running = "RUNNING", Crashed = "CRASHED", Starting = "STARTING", Stopping = "STOPPING", Down = "DOWN", }
}

/// One instance of a process, as its stats report it.
#[derive(Clone, Debug, Deserialize)]
pub struct InstanceStats {
    /// The process type.
    #[serde(rename = "type")]
    pub kind: String,
    /// Its index.
    pub index: u32,
    /// Its state.
    pub state: InstanceState,
    /// Whether the router sends it traffic; `None` when the platform cannot tell.
    #[serde(default)]
    pub routable: Option<bool>,
    /// Why it could not be placed, if it could not.
    #[serde(default)]
    pub details: Option<String>,
}
