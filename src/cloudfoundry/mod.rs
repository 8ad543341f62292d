//! The one layer over the Cloud Foundry v3 API (cloud.gov is Cloud Foundry), beside `github` and `cloud` on
//! the floor: it imports no engine module, and the rest of the engine knows nothing of HTTP, UAA or CF's
//! JSON. The apply step, the ledger and rollback for cloud.gov targets are built on it.
//!
//! One hyper client; every request bounded in time; every error naming its endpoint
//! (`GET https://api.fr.cloud.gov/v3/apps/123: ...`) and carrying CF's own error (`CF-ResourceNotFound
//! (10010): App not found`). Where it talks ([`Settings`], from `CF_API`, `CF_USERNAME` + `CF_PASSWORD` or
//! `CF_TOKEN`, `SLIPWAY_CF_TIMEOUT`) and who it is ([`auth`]: the UAA password grant as the cf CLI makes it,
//! a new token once when one expires) are below; the typed resources are in [`types`], and the operations
//! a deploy needs in [`apps`] (orgs, spaces, apps, processes), [`packages`] (packages, builds, droplets),
//! [`deployments`] (deployments, revisions, jobs) and [`routes`] (routes, service bindings). The token
//! never appears in an error, a `Debug` output or a log line.

pub mod apps;
pub mod auth;
pub mod deployments;
pub mod packages;
pub mod routes;
mod transport;
pub mod types;

use std::time::Duration;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

pub use apps::*;
pub use deployments::*;
pub use packages::*;
pub use routes::*;
pub use types::*;

/// How long one request may take, unless `SLIPWAY_CF_TIMEOUT` (seconds) says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long to wait between two polls of something asynchronous (a build, a deployment, a job).
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(2);
/// The longest single wait a `Retry-After` may ask for.
pub const DEFAULT_RETRY_AFTER_LIMIT: Duration = Duration::from_secs(60);
/// How many answers 429 in a row one request waits out before it gives up.
pub const DEFAULT_RATE_LIMIT_RETRIES: u32 = 5;
/// Resources per page of a list (the API allows 1 to 5000).
pub const DEFAULT_PAGE_SIZE: u32 = 200;

/// A secret (a password or a token): kept in memory, sent where it belongs, never printed. Its `Debug`
/// says `[redacted]`, and it has no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps `value`.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value, for the one place that sends it.
    fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Who the client is.
#[derive(Clone, Debug)]
pub enum Credentials {
    /// A user and password, for the UAA password grant (cloud.gov service accounts work this way): a token
    /// is fetched, and fetched again when it expires.
    Password {
        /// The user name.
        username: String,
        /// The password.
        password: Secret,
    },
    /// A bearer token given directly (`cf oauth-token`); it cannot be renewed.
    Token(Secret),
}

/// Where the API is, who calls it, and how patient the client is.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The API's root URL, without a trailing `/` (`https://api.fr.cloud.gov`).
    pub api_url: String,
    /// Who calls it.
    pub credentials: Credentials,
    /// How long one request may take.
    pub timeout: Duration,
    /// How long to wait between two polls.
    pub poll_interval: Duration,
    /// The longest single wait a `Retry-After` may ask for; longer ones are cut to it.
    pub retry_after_limit: Duration,
    /// How many answers 429 in a row one request waits out before it fails.
    pub rate_limit_retries: u32,
    /// Resources per page of a list.
    pub page_size: u32,
}

impl Settings {
    /// Settings for `api_url` and `credentials`, with the defaults for the rest.
    pub fn new(api_url: &str, credentials: Credentials) -> Settings {
        Settings {
            api_url: api_url.trim().trim_end_matches('/').to_string(),
            credentials,
            timeout: DEFAULT_TIMEOUT,
            poll_interval: DEFAULT_POLL_INTERVAL,
            retry_after_limit: DEFAULT_RETRY_AFTER_LIMIT,
            rate_limit_retries: DEFAULT_RATE_LIMIT_RETRIES,
            page_size: DEFAULT_PAGE_SIZE,
        }
    }

    /// `CF_API`; `CF_USERNAME` and `CF_PASSWORD`, or else `CF_TOKEN`; `SLIPWAY_CF_TIMEOUT`.
    pub fn from_env() -> Result<Settings, CfError> {
        Settings::from_lookup(|name| std::env::var(name).ok())
    }

    /// As [`Settings::from_env`], reading each variable through `var`.
    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<Settings, CfError> {
        let var = |name: &str| var(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let api = var("CF_API").ok_or_else(|| {
            CfError::Settings(
                "CF_API is not set: give the Cloud Foundry API's root URL, e.g. https://api.fr.cloud.gov".into(),
            )
        })?;
        if !api.starts_with("https://") && !api.starts_with("http://") {
            return Err(CfError::Settings(format!("CF_API is `{api}`, not an http(s) URL")));
        }
        let credentials = match (var("CF_USERNAME"), var("CF_PASSWORD"), var("CF_TOKEN")) {
            (Some(username), Some(password), _) => Credentials::Password { username, password: Secret(password) },
            (Some(_), None, _) | (None, Some(_), _) => {
                return Err(CfError::Settings("CF_USERNAME and CF_PASSWORD go together: set both, or neither".into()));
            }
            (None, None, Some(token)) => {
                // `cf oauth-token` prints `bearer <token>`: take it as it is given.
                let token = token.strip_prefix("bearer ").or_else(|| token.strip_prefix("Bearer ")).unwrap_or(&token);
                Credentials::Token(Secret(token.trim().to_string()))
            }
            (None, None, None) => {
                return Err(CfError::Settings(
                    "no Cloud Foundry credentials: set CF_USERNAME and CF_PASSWORD (a cloud.gov service account), \
                     or CF_TOKEN"
                        .into(),
                ));
            }
        };
        let mut settings = Settings::new(&api, credentials);
        if let Some(seconds) = var("SLIPWAY_CF_TIMEOUT") {
            let seconds = seconds.parse::<u64>().ok().filter(|s| *s > 0).ok_or_else(|| {
                CfError::Settings(format!("SLIPWAY_CF_TIMEOUT is `{seconds}`, not a whole number of seconds above 0"))
            })?;
            settings.timeout = Duration::from_secs(seconds);
        }
        Ok(settings)
    }
}

/// One of CF's errors, as its error body lists them (`{"errors": [{"code", "title", "detail"}]}`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
pub struct ApiError {
    /// The numeric code (`10010`).
    #[serde(default)]
    pub code: i64,
    /// The name (`CF-ResourceNotFound`), which clients should branch on.
    #[serde(default)]
    pub title: String,
    /// What happened, for people.
    #[serde(default)]
    pub detail: String,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.title, self.code, self.detail)
    }
}

/// What went wrong; every variant that made a request names it.
#[derive(Debug, thiserror::Error)]
pub enum CfError {
    /// The settings are missing or wrong.
    #[error("{0}")]
    Settings(String),
    /// The API answered with an error status.
    #[error("{method} {url}: Cloud Foundry answered {status}{}", list(.errors))]
    Status {
        /// The method.
        method: String,
        /// The full URL.
        url: String,
        /// The status code.
        status: u16,
        /// CF's errors from the body (or UAA's, as one error titled with its `error`).
        errors: Vec<ApiError>,
    },
    /// No answer in time.
    #[error("{method} {url}: no answer within {seconds} s")]
    Timeout {
        /// The method.
        method: String,
        /// The full URL.
        url: String,
        /// The bound.
        seconds: u64,
    },
    /// The API kept answering 429 (too many requests).
    #[error(
        "{method} {url}: still rate-limited (429) after {attempts} attempts and {waited} s of waiting as Retry-After asked"
    )]
    RateLimited {
        /// The method.
        method: String,
        /// The full URL.
        url: String,
        /// How many requests were answered 429.
        attempts: u32,
        /// Seconds waited in all.
        waited: u64,
    },
    /// The connection failed.
    #[error("{method} {url}: {reason}")]
    Transport {
        /// The method.
        method: String,
        /// The full URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// The answer was not what the v3 API documents.
    #[error("{method} {url}: the answer is not what the Cloud Foundry v3 API documents: {reason}")]
    Decode {
        /// The method.
        method: String,
        /// The full URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// Something the deploy needs does not exist (an organization, a space, a domain, a service instance).
    #[error("{method} {url}: no {what}")]
    NotFound {
        /// The method.
        method: String,
        /// The list it was looked for in.
        url: String,
        /// What, by name: ``organization `sandbox` ``.
        what: String,
    },
    /// An asynchronous operation ended in failure: a build that failed staging, a deployment canceled, a
    /// job FAILED, a package whose upload failed.
    #[error("{method} {url}: {what} {outcome}")]
    Failed {
        /// The method of the poll that saw it.
        method: String,
        /// The URL polled.
        url: String,
        /// What failed: `build 7c1…`.
        what: String,
        /// How, with CF's reason: `failed staging: NoAppDetectedError - ...`.
        outcome: String,
    },
    /// An asynchronous operation did not finish in the time allowed.
    #[error("{method} {url}: {what} not finished after {seconds} s: {last}")]
    Unfinished {
        /// The method of the polls.
        method: String,
        /// The URL polled.
        url: String,
        /// What: `deployment 5e2…`.
        what: String,
        /// How long it waited.
        seconds: u64,
        /// Its last state, and what else is known (instances crashed, ...).
        last: String,
    },
    /// The API linked somewhere this client does not send its token (outside `CF_API`).
    #[error("{method} {url}: the API linked outside {api}; slipway sends its token only to CF_API")]
    OffSite {
        /// The method.
        method: String,
        /// The link.
        url: String,
        /// `CF_API`.
        api: String,
    },
}

fn list(errors: &[ApiError]) -> String {
    errors.iter().map(|e| format!(": {e}")).collect()
}

impl CfError {
    /// The HTTP status the API answered with, if it answered with an error.
    pub fn status(&self) -> Option<u16> {
        match self {
            CfError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The titles of CF's errors in the answer (`CF-UnprocessableEntity`), for branching on.
    pub fn titles(&self) -> Vec<&str> {
        match self {
            CfError::Status { errors, .. } => errors.iter().map(|e| e.title.as_str()).collect(),
            _ => Vec::new(),
        }
    }
}

type Connector = hyper_rustls::HttpsConnector<HttpConnector>;

/// A client of one Cloud Foundry's v3 API.
pub struct CloudFoundry {
    settings: Settings,
    client: Client<Connector, Full<Bytes>>,
    tokens: auth::Tokens,
}

impl std::fmt::Debug for CloudFoundry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CloudFoundry").field("settings", &self.settings).field("tokens", &self.tokens).finish()
    }
}

impl CloudFoundry {
    /// A client for `settings`: HTTPS, or plain HTTP for an `http://` URL (a test server on loopback).
    pub fn new(settings: Settings) -> Result<CloudFoundry, CfError> {
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()
            .map_err(|e| CfError::Transport {
                method: "-".into(),
                url: settings.api_url.clone(),
                reason: format!("no TLS root certificates: {e}"),
            })?
            .https_or_http()
            .enable_http1()
            .build();
        let tokens = auth::Tokens::new(&settings.credentials);
        Ok(CloudFoundry { settings, client: Client::builder(TokioExecutor::new()).build(https), tokens })
    }

    /// The settings it uses.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }
}
