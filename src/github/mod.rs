//! The one layer that talks to GitHub's REST API (`GITHUB_API_URL`, default `https://api.github.com`,
//! with `GITHUB_TOKEN`), beside `cloud` as a floor: it imports no engine module and answers in plain data.
//!
//! - [`approvals`]: who approved a workflow run's pending deployments, which slipway's policy counts
//!   (GitHub's environments pass a deployment on any one reviewer; slipway enforces the count itself).

pub mod approvals;

use std::time::Duration;

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::rt::TokioExecutor;

/// How long one request may take.
const TIMEOUT: Duration = Duration::from_secs(30);

/// Why a GitHub call failed.
#[derive(Debug, thiserror::Error)]
pub enum GithubError {
    /// A setting is missing.
    #[error("{0} is not set; it is needed to ask GitHub (GitHub Actions sets it in every run)")]
    Missing(&'static str),
    /// The request could not be made or answered.
    #[error("GET {url} failed: {message}")]
    Request {
        /// The URL.
        url: String,
        /// What happened.
        message: String,
    },
    /// GitHub answered with an error status.
    #[error("GET {url} answered HTTP {status}: {body}")]
    Status {
        /// The URL.
        url: String,
        /// The status.
        status: u16,
        /// The start of the answer.
        body: String,
    },
    /// The answer was not what the API documents.
    #[error("GET {url} answered something that is not the documented shape: {why}")]
    Shape {
        /// The URL.
        url: String,
        /// What did not fit.
        why: String,
    },
}

/// A GitHub API endpoint and token.
#[derive(Clone, Debug)]
pub struct Github {
    /// The API's base URL.
    pub api: String,
    token: String,
}

impl Github {
    /// From `GITHUB_API_URL` (default `https://api.github.com`) and `GITHUB_TOKEN`.
    pub fn from_env() -> Result<Github, GithubError> {
        let token =
            std::env::var("GITHUB_TOKEN").ok().filter(|t| !t.is_empty()).ok_or(GithubError::Missing("GITHUB_TOKEN"))?;
        let api = std::env::var("GITHUB_API_URL")
            .ok()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| "https://api.github.com".into());
        Ok(Github { api: api.trim_end_matches('/').to_string(), token })
    }

    /// GETs `path` (below the API's base URL) and parses the JSON answer.
    pub async fn get_json(&self, path: &str) -> Result<serde_json::Value, GithubError> {
        let url = format!("{}{path}", self.api);
        let failed = |message: String| GithubError::Request { url: url.clone(), message };
        let uri: hyper::Uri = url.parse().map_err(|e| failed(format!("not a URL: {e}")))?;
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()
            .map_err(|e| failed(format!("no TLS root certificates: {e}")))?
            .https_or_http()
            .enable_http1()
            .build();
        let client: HyperClient<_, Empty<Bytes>> = HyperClient::builder(TokioExecutor::new()).build(https);
        let request = hyper::Request::get(uri)
            .header("Authorization", format!("Bearer {}", self.token))
            .header("Accept", "application/vnd.github+json")
            .header("X-GitHub-Api-Version", "2022-11-28")
            .header("User-Agent", concat!("slipway/", env!("CARGO_PKG_VERSION")))
            .body(Empty::new())
            .map_err(|e| failed(e.to_string()))?;
        let response = tokio::time::timeout(TIMEOUT, client.request(request))
            .await
            .map_err(|_| failed(format!("no answer within {}s", TIMEOUT.as_secs())))?
            .map_err(|e| failed(e.to_string()))?;
        let status = response.status().as_u16();
        let body = tokio::time::timeout(TIMEOUT, response.into_body().collect())
            .await
            .map_err(|_| failed(format!("the answer did not end within {}s", TIMEOUT.as_secs())))?
            .map_err(|e| failed(e.to_string()))?
            .to_bytes();
        if !(200..300).contains(&status) {
            let text = String::from_utf8_lossy(&body);
            return Err(GithubError::Status { url, status, body: text.chars().take(300).collect() });
        }
        serde_json::from_slice(&body).map_err(|e| GithubError::Shape { url, why: format!("not JSON: {e}") })
    }
}
