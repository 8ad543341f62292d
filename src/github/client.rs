//! The client: a small typed layer (`get_json`, `get_optional`, `put_json`, `post_json`, `delete`) over one
//! hyper client, each request bounded in time and every error naming its endpoint, and the endpoints
//! slipway calls.

use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Method, Request, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::api::{
    BranchPolicy, BranchPolicyRule, Environment, EnvironmentUpdate, RepositoryInfo, SubjectCustomization, Team, User,
};

/// The API GitHub.com serves.
pub const DEFAULT_API_URL: &str = "https://api.github.com";
/// The REST API version slipway speaks.
pub const API_VERSION: &str = "2022-11-28";
/// How long one request may take, unless `SLIPWAY_GITHUB_TIMEOUT` (seconds) says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Where the API is and who calls it.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The API's base URL, without a trailing `/`.
    pub api_url: String,
    /// The token, sent as `Authorization: Bearer`.
    pub token: Option<String>,
    /// How long one request may take.
    pub timeout: Duration,
}

impl Settings {
    /// `GITHUB_API_URL`, `GITHUB_TOKEN` and `SLIPWAY_GITHUB_TIMEOUT`, with their defaults.
    pub fn from_env() -> Settings {
        use crate::vars::var;
        Settings {
            api_url: var("GITHUB_API_URL").unwrap_or_else(|| DEFAULT_API_URL.into()).trim_end_matches('/').to_string(),
            token: var("GITHUB_TOKEN"),
            timeout: crate::vars::parsed::<u64>("SLIPWAY_GITHUB_TIMEOUT")
                .filter(|s| *s > 0)
                .map_or(DEFAULT_TIMEOUT, Duration::from_secs),
        }
    }
}

/// A request that failed, naming its endpoint.
#[derive(Debug, thiserror::Error)]
pub enum GitHubError {
    /// GitHub answered with an error status.
    #[error("{method} {url}: GitHub answered {status}{}", .message.as_deref().map(|m| format!(": {m}")).unwrap_or_default())]
    Status {
        /// The method.
        method: String,
        /// The full URL.
        url: String,
        /// The status code.
        status: u16,
        /// GitHub's `message`, when it sent one.
        message: Option<String>,
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
    /// The answer was not the JSON expected.
    #[error("{method} {url}: the answer is not what GitHub's API documents: {reason}")]
    Decode {
        /// The method.
        method: String,
        /// The full URL.
        url: String,
        /// Why.
        reason: String,
    },
}

impl GitHubError {
    /// The HTTP status GitHub answered with, if it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            GitHubError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

type Connector = hyper_rustls::HttpsConnector<HttpConnector>;

/// A client of GitHub's REST API.
pub struct GitHub {
    settings: Settings,
    client: Client<Connector, Full<Bytes>>,
}

impl GitHub {
    /// A client for `settings`; HTTPS, or plain HTTP for an `http://` URL (a test server on loopback).
    pub fn new(settings: Settings) -> Result<GitHub, GitHubError> {
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()
            .map_err(|e| GitHubError::Transport {
                method: "-".into(),
                url: settings.api_url.clone(),
                reason: format!("no TLS root certificates: {e}"),
            })?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(GitHub { settings, client: Client::builder(TokioExecutor::new()).build(https) })
    }

    /// The settings it uses.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// `GET path`, decoded.
    pub async fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T, GitHubError> {
        let (method, url, body) = self.send(Method::GET, path, None).await?;
        decode(&method, &url, &body)
    }

    /// `GET path`, decoded, or `None` when GitHub answers 404.
    pub async fn get_optional<T: DeserializeOwned>(&self, path: &str) -> Result<Option<T>, GitHubError> {
        match self.get_json(path).await {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `PUT path` with `body` as JSON, the answer decoded.
    pub async fn put_json<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<T, GitHubError> {
        let json = serde_json::to_vec(body).expect("a request body serializes");
        let (method, url, answer) = self.send(Method::PUT, path, Some(json)).await?;
        decode(&method, &url, &answer)
    }

    /// `POST path` with `body` as JSON, the answer decoded.
    pub async fn post_json<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<T, GitHubError> {
        let json = serde_json::to_vec(body).expect("a request body serializes");
        let (method, url, answer) = self.send(Method::POST, path, Some(json)).await?;
        decode(&method, &url, &answer)
    }

    /// `DELETE path`.
    pub async fn delete(&self, path: &str) -> Result<(), GitHubError> {
        self.send(Method::DELETE, path, None).await.map(drop)
    }

    /// Sends one request; the method and URL (for errors) and the body of a 2xx answer.
    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<(String, String, Bytes), GitHubError> {
        let url = format!("{}{path}", self.settings.api_url);
        let m = method.to_string();
        let transport = |reason: String| GitHubError::Transport { method: m.clone(), url: url.clone(), reason };
        let mut request = Request::builder()
            .method(method)
            .uri(&url)
            .header("Accept", "application/vnd.github+json")
            .header("X-GitHub-Api-Version", API_VERSION)
            .header("User-Agent", concat!("slipway/", env!("CARGO_PKG_VERSION")));
        if let Some(token) = &self.settings.token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        if body.is_some() {
            request = request.header("Content-Type", "application/json");
        }
        let request = request
            .body(Full::new(Bytes::from(body.unwrap_or_default())))
            .map_err(|e| transport(format!("not a valid request: {e}")))?;
        let timeout = self.settings.timeout;
        let exchange = async {
            let response = self.client.request(request).await.map_err(|e| transport(chain(&e)))?;
            let status = response.status();
            let bytes = response.into_body().collect().await.map_err(|e| transport(chain(&e)))?.to_bytes();
            Ok::<(StatusCode, Bytes), GitHubError>((status, bytes))
        };
        let (status, bytes) = tokio::time::timeout(timeout, exchange).await.map_err(|_| GitHubError::Timeout {
            method: m.clone(),
            url: url.clone(),
            seconds: timeout.as_secs(),
        })??;
        if !status.is_success() {
            #[derive(Deserialize)]
            struct Message {
                message: String,
            }
            let message = serde_json::from_slice::<Message>(&bytes).ok().map(|m| m.message);
            return Err(GitHubError::Status { method: m, url, status: status.as_u16(), message });
        }
        Ok((m, url, bytes))
    }
}

fn decode<T: DeserializeOwned>(method: &str, url: &str, body: &[u8]) -> Result<T, GitHubError> {
    // An empty answer (204) reads as JSON null.
    let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) { b"null" } else { body };
    serde_json::from_slice(body).map_err(|e| GitHubError::Decode {
        method: method.into(),
        url: url.into(),
        reason: e.to_string(),
    })
}

/// An error and its causes, on one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        s.push_str(": ");
        s.push_str(&cause.to_string());
        source = cause.source();
    }
    s
}

/// `s` as one path segment: everything but unreserved characters percent-encoded (an environment's
/// name may hold `/`).
pub fn segment(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[derive(Deserialize)]
struct BranchPolicies {
    total_count: usize,
    branch_policies: Vec<BranchPolicy>,
}

impl GitHub {
    /// `GET /users/{username}`; `None` when there is no such user.
    pub async fn user(&self, login: &str) -> Result<Option<User>, GitHubError> {
        self.get_optional(&format!("/users/{}", segment(login))).await
    }

    /// `GET /orgs/{org}/teams/{team_slug}`; `None` when there is no such team.
    pub async fn team(&self, org: &str, slug: &str) -> Result<Option<Team>, GitHubError> {
        self.get_optional(&format!("/orgs/{}/teams/{}", segment(org), segment(slug))).await
    }

    fn environment_path(owner: &str, repo: &str, env: &str) -> String {
        format!("/repos/{}/{}/environments/{}", segment(owner), segment(repo), segment(env))
    }

    /// `GET /repos/{owner}/{repo}`; `None` when there is no such repository (or the token may not see it).
    pub async fn repository(&self, owner: &str, repo: &str) -> Result<Option<RepositoryInfo>, GitHubError> {
        self.get_optional(&format!("/repos/{}/{}", segment(owner), segment(repo))).await
    }

    /// `GET /repos/{owner}/{repo}/actions/oidc/customization/sub`; `None` when GitHub has none to say (the
    /// default claim).
    pub async fn subject_customization(
        &self,
        owner: &str,
        repo: &str,
    ) -> Result<Option<SubjectCustomization>, GitHubError> {
        self.get_optional(&format!("/repos/{}/{}/actions/oidc/customization/sub", segment(owner), segment(repo))).await
    }

    /// `GET /repos/{owner}/{repo}/environments/{environment_name}`; `None` when it does not exist.
    pub async fn environment(&self, owner: &str, repo: &str, env: &str) -> Result<Option<Environment>, GitHubError> {
        self.get_optional(&Self::environment_path(owner, repo, env)).await
    }

    /// `PUT /repos/{owner}/{repo}/environments/{environment_name}`: creates or updates it.
    pub async fn put_environment(
        &self,
        owner: &str,
        repo: &str,
        env: &str,
        update: &EnvironmentUpdate,
    ) -> Result<Environment, GitHubError> {
        self.put_json(&Self::environment_path(owner, repo, env), update).await
    }

    /// Every custom deployment branch and tag policy of an environment (all pages).
    pub async fn branch_policies(&self, owner: &str, repo: &str, env: &str) -> Result<Vec<BranchPolicy>, GitHubError> {
        let base = format!("{}/deployment-branch-policies", Self::environment_path(owner, repo, env));
        let mut all = Vec::new();
        for page in 1.. {
            let answer: BranchPolicies = self.get_json(&format!("{base}?per_page=100&page={page}")).await?;
            let empty = answer.branch_policies.is_empty();
            all.extend(answer.branch_policies);
            if empty || all.len() >= answer.total_count {
                break;
            }
        }
        Ok(all)
    }

    /// `POST .../deployment-branch-policies`.
    pub async fn create_branch_policy(
        &self,
        owner: &str,
        repo: &str,
        env: &str,
        policy: &BranchPolicyRule,
    ) -> Result<BranchPolicy, GitHubError> {
        let path = format!("{}/deployment-branch-policies", Self::environment_path(owner, repo, env));
        self.post_json(&path, policy).await
    }

    /// `DELETE .../deployment-branch-policies/{branch_policy_id}`.
    pub async fn delete_branch_policy(&self, owner: &str, repo: &str, env: &str, id: u64) -> Result<(), GitHubError> {
        self.delete(&format!("{}/deployment-branch-policies/{id}", Self::environment_path(owner, repo, env))).await
    }
}
