//! Smoke checks: after the last stack, an HTTP GET of a URL a stack output holds, retried, each attempt
//! bounded in time. A failing check fails the deploy, which then rolls the environment back.

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::cloud::Poll;
use crate::model::SmokeCheck;

use super::Deploy;

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

impl Deploy<'_> {
    /// Runs the environment's smoke checks, stopping at the first that fails; every result, and the cause
    /// of the failure if one failed.
    pub(super) async fn smoke(&self) -> (Vec<SmokeResult>, Option<String>) {
        let mut results = Vec::new();
        for check in &self.plan.smoke_checks {
            let failed = |detail: String| SmokeResult { name: check.name.clone(), passed: false, detail };
            let Some(stack) = self.plan.stacks.iter().find(|s| s.short == check.url.stack) else {
                let why = format!("it reads stack `{}`, which this deploy does not have", check.url.stack);
                results.push(failed(why.clone()));
                return (results, Some(format!("smoke check `{}`: {why}", check.name)));
            };
            let url = match self.cloud.describe_stack(&stack.name).await {
                Ok(Some(s)) => s.outputs.get(&check.url.output).cloned(),
                _ => None,
            };
            let Some(url) = url else {
                let why = format!("stack {} has no output `{}` to read the URL from", stack.name, check.url.output);
                results.push(failed(why.clone()));
                return (results, Some(format!("smoke check `{}`: {why}", check.name)));
            };
            self.note(&format!("smoke check `{}`: GET {url}{}", check.name, check.path));
            match get(check, &url, &self.opts.poll).await {
                Ok(status) => {
                    self.note(&format!("smoke check `{}` passed ({status})", check.name));
                    results.push(SmokeResult {
                        name: check.name.clone(),
                        passed: true,
                        detail: format!("GET {url}{} answered {status}", check.path),
                    });
                }
                Err(why) => {
                    results.push(failed(why.clone()));
                    return (results, Some(format!("smoke check `{}` failed: {why}", check.name)));
                }
            }
        }
        (results, None)
    }
}

/// Runs `check` against `base_url`; `Err` says why the last attempt failed.
pub async fn get(check: &SmokeCheck, base_url: &str, poll: &Poll) -> Result<u16, String> {
    let url = format!("{}{}", base_url.trim_end_matches('/'), check.path);
    let uri: hyper::Uri = url.parse().map_err(|e| format!("`{url}` is not a URL: {e}"))?;
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_native_roots()
        .map_err(|e| format!("no TLS root certificates: {e}"))?
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
    Err(format!("{last} (after {} attempt(s))", check.attempts))
}
