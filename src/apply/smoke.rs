//! Smoke checks: an HTTP GET of a URL, retried, each attempt bounded in time; what proves a deploy (of
//! stacks, or of a compose project) healthy. [`run_all`] is the one loop over an environment's checks:
//! resolve each one's URL (a stack output, where a compose target publishes a service), run it, stop at
//! the first that fails.

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::cloud::Poll;
use crate::model::{SmokeCheck, SmokeUrl};

/// One smoke check's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmokeResult {
    /// The check.
    pub name: String,
    /// Whether it passed.
    pub passed: bool,
    /// What it saw: the status, or why it failed.
    pub detail: String,
}

/// Why a check failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SmokeFailure {
    /// Its URL cannot be found (the stack output it reads is missing, say).
    #[error("{0}")]
    NoUrl(String),
    /// What its base URL and path make is not a URL.
    #[error("`{url}` is not a URL: {why}")]
    BadUrl {
        /// What was made.
        url: String,
        /// Why it is not one.
        why: String,
    },
    /// HTTPS cannot be set up on this machine.
    #[error("no TLS root certificates: {0}")]
    NoRoots(String),
    /// Every attempt failed; what the last one saw.
    #[error("{last} (after {attempts} attempt(s))")]
    Failed {
        /// What the last attempt saw.
        last: String,
        /// How many attempts were made.
        attempts: u32,
    },
}

/// Runs `checks` in order, each against the base URL `resolve` finds for it (`Err` says why there is
/// none), stopping at the first that fails: every result, and the cause of the failure if one failed.
/// Checks `resolve` answers `Ok(None)` for are not this caller's to run and are left out.
pub async fn run_all(
    checks: &[SmokeCheck],
    mut resolve: impl AsyncFnMut(&SmokeUrl) -> Result<Option<String>, SmokeFailure>,
    poll: &Poll,
    mut note: impl FnMut(&str),
) -> (Vec<SmokeResult>, Option<String>) {
    let mut results = Vec::new();
    for check in checks {
        let base = match resolve(&check.url).await {
            Ok(Some(base)) => base,
            Ok(None) => continue,
            Err(why) => {
                let why = why.to_string();
                results.push(SmokeResult { name: check.name.clone(), passed: false, detail: why.clone() });
                return (results, Some(format!("smoke check `{}`: {why}", check.name)));
            }
        };
        let (result, cause) = run(check, &base, poll, &mut note).await;
        results.push(result);
        if cause.is_some() {
            return (results, cause);
        }
    }
    (results, None)
}

/// Runs `check` against `base_url`, saying through `note` what it asks and when it passed: its result, and
/// the cause of the failure when it failed.
pub async fn run(
    check: &SmokeCheck,
    base_url: &str,
    poll: &Poll,
    mut note: impl FnMut(&str),
) -> (SmokeResult, Option<String>) {
    note(&format!("smoke check `{}`: GET {base_url}{}", check.name, check.path));
    match get(check, base_url, poll).await {
        Ok(status) => {
            note(&format!("smoke check `{}` passed ({status})", check.name));
            let detail = format!("GET {base_url}{} answered {status}", check.path);
            (SmokeResult { name: check.name.clone(), passed: true, detail }, None)
        }
        Err(why) => {
            let cause = format!("smoke check `{}` failed: {why}", check.name);
            (SmokeResult { name: check.name.clone(), passed: false, detail: why.to_string() }, Some(cause))
        }
    }
}

/// Runs `check` against `base_url`; `Err` says why the last attempt failed.
pub async fn get(check: &SmokeCheck, base_url: &str, poll: &Poll) -> Result<u16, SmokeFailure> {
    let url = format!("{}{}", base_url.trim_end_matches('/'), check.path);
    let uri: hyper::Uri = url.parse().map_err(|e| SmokeFailure::BadUrl { url: url.clone(), why: format!("{e}") })?;
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_native_roots()
        .map_err(|e| SmokeFailure::NoRoots(e.to_string()))?
        .https_or_http()
        .enable_http1()
        .build();
    let client: Client<_, Empty<Bytes>> = Client::builder(TokioExecutor::new()).build(https);
    let mut last = String::new();
    let mut delay = poll.start();
    for attempt in 1..=check.attempts {
        match tokio::time::timeout(check.timeout, client.get(uri.clone())).await {
            Ok(Ok(response)) => {
                let status = response.status().as_u16();
                // Read the body so the connection is reusable; its content does not matter.
                let _ = response.into_body().collect().await;
                if status == check.expect_status {
                    return Ok(status);
                }
                last = format!("GET {url} answered {status}, expected {}", check.expect_status);
            }
            Ok(Err(e)) => last = format!("GET {url} failed: {e}"),
            Err(_) => last = format!("GET {url} took longer than {}s", check.timeout.as_secs_f32()),
        }
        if attempt < check.attempts {
            delay = poll.wait(delay).await;
        }
    }
    Err(SmokeFailure::Failed { last, attempts: check.attempts })
}
