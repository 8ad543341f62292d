//! Backing services: what a project's services keep their state in (a PostgreSQL database, a Redis cache,
//! an S3-compatible object store, DynamoDB Local, or any image a team names), declared, never assumed.
//!
//! Under docker-compose a backing service is a container of its own, with its volume, its health check and
//! a generated password; the services that link to it get its connection details as variables. On
//! cloud.gov it is a service instance the linking apps bind (`<project>-<name>-<env>`), which the platform
//! or its operator provides. Each kind knows its own conventions ([`BackingService::spec`]), so a
//! definition says `BackingService::postgres("db")` and nothing more.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The PostgreSQL image a database runs from unless its definition names another.
pub const DEFAULT_POSTGRES_IMAGE: &str = "postgres:16-alpine";

/// What kind of backing service, and so how it is run and reached.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BackingKind {
    /// PostgreSQL, as the official image sets it up from `POSTGRES_USER`, `POSTGRES_PASSWORD` and
    /// `POSTGRES_DB`, checked with `pg_isready`. Links get `HOST`, `PORT`, `NAME`, `USER`, `PASSWORD`.
    Postgres,
    /// Redis, checked with `redis-cli ping`. Links get `HOST`, `PORT`, `URL`.
    Redis,
    /// An S3-compatible object store (MinIO's server). Links get `ENDPOINT`, `ACCESS_KEY`, `SECRET_KEY`.
    ObjectStore,
    /// DynamoDB Local, in memory. Links get `ENDPOINT`.
    DynamoDbLocal,
    /// Any other image, as described.
    Custom(CustomBacking),
}

/// A backing service of an image slipway knows nothing about.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomBacking {
    /// The port it listens on.
    pub port: u16,
    /// Its command in exec form, when it overrides the image's.
    pub command: Option<Vec<String>>,
    /// Its environment; `${PASSWORD}` in a value is the generated password (when `password` is set).
    pub environment: BTreeMap<String, String>,
    /// A shell command that succeeds when it is ready (a compose health check), if it has one.
    pub health: Option<String>,
    /// Where it keeps its data inside the container, on a volume of its own.
    pub data_path: Option<String>,
    /// Whether it gets a generated password.
    pub password: bool,
    /// What a link gets, by variable suffix (`URL`), with `${HOST}`, `${PORT}` and `${PASSWORD}` filled in.
    pub connection: BTreeMap<String, String>,
}

/// A value of a variable a backing service's container or a linking service gets.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Value {
    /// This text.
    Text(String),
    /// The generated password, which never appears in a synthesized file (an `.env` reference).
    Password,
    /// This text with the password in place of `${PASSWORD}`.
    WithPassword(String),
}

/// How a backing service runs under docker-compose and what a link to it gets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackingSpec {
    /// The port it listens on.
    pub port: u16,
    /// Its command in exec form, when it overrides the image's.
    pub command: Option<Vec<String>>,
    /// Its container's environment.
    pub environment: BTreeMap<String, Value>,
    /// Where its volume is mounted, when it keeps data.
    pub data_path: Option<String>,
    /// Its health check (`CMD-SHELL` form), when it has one.
    pub health: Option<String>,
    /// Whether it has a generated password.
    pub password: bool,
    /// What a link gets, by variable suffix.
    pub connection: BTreeMap<String, Value>,
}

/// A backing service.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackingService {
    /// Its name: the compose service's key and host name, and part of its cloud.gov instance's name.
    pub name: String,
    /// What it is.
    pub kind: BackingKind,
    /// The image it runs from under docker-compose, with its tag.
    pub image: String,
    /// What it is, in words (`the database`), for the files that say what a variable or instance is for.
    pub description: String,
}

impl BackingService {
    /// A PostgreSQL database `name`, from [`DEFAULT_POSTGRES_IMAGE`].
    pub fn postgres(name: impl Into<String>) -> Self {
        Self::of(name, BackingKind::Postgres, DEFAULT_POSTGRES_IMAGE, "the database")
    }

    /// A Redis cache `name`.
    pub fn redis(name: impl Into<String>) -> Self {
        Self::of(name, BackingKind::Redis, "redis:7-alpine", "the cache")
    }

    /// An S3-compatible object store `name` (MinIO).
    pub fn object_store(name: impl Into<String>) -> Self {
        Self::of(name, BackingKind::ObjectStore, "minio/minio:RELEASE.2025-04-22T22-12-26Z", "the object store")
    }

    /// DynamoDB Local `name`.
    pub fn dynamodb_local(name: impl Into<String>) -> Self {
        Self::of(name, BackingKind::DynamoDbLocal, "amazon/dynamodb-local:2.6.0", "the table store")
    }

    /// A backing service `name` of `image`, run as `custom` says.
    pub fn custom(name: impl Into<String>, image: impl Into<String>, custom: CustomBacking) -> Self {
        let name = name.into();
        let description = format!("the {name} service");
        BackingService { name, kind: BackingKind::Custom(custom), image: image.into(), description }
    }

    fn of(name: impl Into<String>, kind: BackingKind, image: &str, description: &str) -> Self {
        BackingService { name: name.into(), kind, image: image.into(), description: description.into() }
    }

    /// Runs from `image` (with tag) instead: a registry mirror, another version, an image built on the host.
    pub fn image(mut self, image: impl Into<String>) -> Self {
        self.image = image.into();
        self
    }

    /// Says what it is, in words.
    pub fn described(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }

    /// The variable its generated password is in (`DB_PASSWORD` for `db`).
    pub fn password_variable(&self) -> String {
        format!("{}_PASSWORD", self.name.to_ascii_uppercase().replace('-', "_"))
    }

    /// How it runs under compose in project `project`, and what a link to it gets.
    pub fn spec(&self, project: &str) -> BackingSpec {
        let text = |s: &str| Value::Text(s.to_string());
        let host = self.name.clone();
        match &self.kind {
            BackingKind::Postgres => {
                let db = project.replace('-', "_");
                BackingSpec {
                    port: 5432,
                    command: None,
                    environment: BTreeMap::from([
                        ("POSTGRES_DB".into(), text(&db)),
                        ("POSTGRES_PASSWORD".into(), Value::Password),
                        ("POSTGRES_USER".into(), text(&db)),
                    ]),
                    data_path: Some("/var/lib/postgresql/data".into()),
                    health: Some(format!("pg_isready -U {db} -d {db}")),
                    password: true,
                    connection: BTreeMap::from([
                        ("HOST".into(), Value::Text(host)),
                        ("NAME".into(), text(&db)),
                        ("PASSWORD".into(), Value::Password),
                        ("PORT".into(), text("5432")),
                        ("USER".into(), text(&db)),
                    ]),
                }
            }
            BackingKind::Redis => BackingSpec {
                port: 6379,
                command: None,
                environment: BTreeMap::new(),
                data_path: Some("/data".into()),
                health: Some("redis-cli ping".into()),
                password: false,
                connection: BTreeMap::from([
                    ("HOST".into(), Value::Text(host.clone())),
                    ("PORT".into(), text("6379")),
                    ("URL".into(), Value::Text(format!("redis://{host}:6379"))),
                ]),
            },
            BackingKind::ObjectStore => BackingSpec {
                port: 9000,
                command: Some(vec!["server".into(), "/data".into()]),
                environment: BTreeMap::from([
                    ("MINIO_ROOT_PASSWORD".into(), Value::Password),
                    ("MINIO_ROOT_USER".into(), text(project)),
                ]),
                data_path: Some("/data".into()),
                health: Some("mc ready local".into()),
                password: true,
                connection: BTreeMap::from([
                    ("ACCESS_KEY".into(), text(project)),
                    ("ENDPOINT".into(), Value::Text(format!("http://{host}:9000"))),
                    ("SECRET_KEY".into(), Value::Password),
                ]),
            },
            BackingKind::DynamoDbLocal => BackingSpec {
                port: 8000,
                command: None,
                environment: BTreeMap::new(),
                data_path: None,
                health: None,
                password: false,
                connection: BTreeMap::from([("ENDPOINT".into(), Value::Text(format!("http://{host}:8000")))]),
            },
            BackingKind::Custom(c) => {
                let fill = |v: &str| {
                    let v = v.replace("${HOST}", &host).replace("${PORT}", &c.port.to_string());
                    if v == "${PASSWORD}" {
                        Value::Password
                    } else if v.contains("${PASSWORD}") {
                        Value::WithPassword(v)
                    } else {
                        Value::Text(v)
                    }
                };
                BackingSpec {
                    port: c.port,
                    command: c.command.clone(),
                    environment: c.environment.iter().map(|(k, v)| (k.clone(), fill(v))).collect(),
                    data_path: c.data_path.clone(),
                    health: c.health.clone(),
                    password: c.password,
                    connection: c.connection.iter().map(|(k, v)| (k.clone(), fill(v))).collect(),
                }
            }
        }
    }

    /// The keys its cloud.gov service instance's credentials hold, for the manifest's instructions.
    pub fn cloud_gov_keys(&self) -> Vec<String> {
        vec!["uri".into()]
    }

    /// The name of its cloud.gov service instance in environment `env` of `project`.
    pub fn cloud_gov_instance(&self, project: &str, env: &str) -> String {
        format!("{project}-{}-{env}", self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_is_set_up_and_reached_as_the_official_image_says() {
        let db = BackingService::postgres("db");
        let spec = db.spec("my-app");
        assert_eq!(spec.environment["POSTGRES_DB"], Value::Text("my_app".into()));
        assert_eq!(spec.environment["POSTGRES_PASSWORD"], Value::Password);
        assert_eq!(spec.connection["HOST"], Value::Text("db".into()));
        assert_eq!(spec.health.as_deref(), Some("pg_isready -U my_app -d my_app"));
        assert_eq!(db.password_variable(), "DB_PASSWORD");
    }

    #[test]
    fn a_custom_backing_fills_in_its_host_port_and_password() {
        let custom = CustomBacking {
            port: 7000,
            password: true,
            connection: BTreeMap::from([
                ("URL".to_string(), "http://${HOST}:${PORT}".to_string()),
                ("KEY".to_string(), "${PASSWORD}".to_string()),
                ("DSN".to_string(), "user:${PASSWORD}@${HOST}".to_string()),
            ]),
            ..CustomBacking::default()
        };
        let spec = BackingService::custom("store", "busybox:1", custom).spec("p");
        assert_eq!(spec.connection["URL"], Value::Text("http://store:7000".into()));
        assert_eq!(spec.connection["KEY"], Value::Password);
        assert_eq!(spec.connection["DSN"], Value::WithPassword("user:${PASSWORD}@store".into()));
    }
}
