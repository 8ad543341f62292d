//! How one request travels: bounded in time, with the bearer token only to `CF_API`, a new token once when
//! the API says the one sent expired (401), `Retry-After` waited out on 429 (bounded, and said when it keeps
//! happening), CF's error body turned into the error, and lists read to their last page through
//! `pagination.next`. Everything above it speaks in paths and typed values.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::header::HeaderMap;
use hyper::{Method, Request, StatusCode};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{ApiError, CfError, CloudFoundry, Link, Secret};

/// A request's body.
pub(crate) enum Payload {
    /// None.
    Empty,
    /// JSON.
    Json(Vec<u8>),
    /// `application/x-www-form-urlencoded` (the token endpoint).
    Form(String),
    /// `multipart/form-data` with this boundary (package bits).
    Multipart { boundary: String, bytes: Vec<u8> },
}

impl Payload {
    pub(crate) fn json<B: Serialize + ?Sized>(body: &B) -> Payload {
        Payload::Json(serde_json::to_vec(body).expect("a request body serializes"))
    }

    fn content_type(&self) -> Option<String> {
        match self {
            Payload::Empty => None,
            Payload::Json(_) => Some("application/json".into()),
            Payload::Form(_) => Some("application/x-www-form-urlencoded".into()),
            Payload::Multipart { boundary, .. } => Some(format!("multipart/form-data; boundary={boundary}")),
        }
    }

    fn bytes(&self) -> Bytes {
        match self {
            Payload::Empty => Bytes::new(),
            Payload::Json(b) | Payload::Multipart { bytes: b, .. } => Bytes::copy_from_slice(b),
            Payload::Form(s) => Bytes::copy_from_slice(s.as_bytes()),
        }
    }
}

/// A successful answer, with what errors about it must name.
pub(crate) struct Answer {
    pub(crate) method: String,
    pub(crate) url: String,
    pub(crate) status: StatusCode,
    /// The `Location` header (a job, for 202).
    pub(crate) location: Option<String>,
    pub(crate) body: Bytes,
}

impl Answer {
    /// The body as `T`; an empty body reads as JSON `null`.
    pub(crate) fn decode<T: DeserializeOwned>(&self) -> Result<T, CfError> {
        let body: &[u8] = if self.body.iter().all(u8::is_ascii_whitespace) { b"null" } else { &self.body };
        serde_json::from_slice(body).map_err(|e| self.error(e.to_string()))
    }

    pub(crate) fn error(&self, reason: String) -> CfError {
        CfError::Decode { method: self.method.clone(), url: self.url.clone(), reason }
    }
}

/// How a request proves who sends it.
enum Authorization<'a> {
    /// The API's bearer token, fetched and renewed as needed.
    Bearer,
    /// None, or HTTP basic (the token endpoint's client); `secrets` are scrubbed from any error text.
    Open { basic: Option<String>, secrets: &'a [&'a Secret] },
}

#[derive(Deserialize)]
struct Page<T> {
    pagination: Pagination,
    resources: Vec<T>,
}

#[derive(Deserialize)]
struct Pagination {
    next: Option<Link>,
}

impl CloudFoundry {
    /// `GET target` (a path under `CF_API`, or a link the API gave), decoded.
    pub(crate) async fn get<T: DeserializeOwned>(&self, target: &str) -> Result<T, CfError> {
        self.send(Method::GET, target, Payload::Empty).await?.decode()
    }

    /// `GET target`, decoded, or `None` when the API answers 404.
    pub(crate) async fn get_optional<T: DeserializeOwned>(&self, target: &str) -> Result<Option<T>, CfError> {
        match self.get(target).await {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `POST target` with `body` as JSON, the answer decoded.
    pub(crate) async fn post<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        target: &str,
        body: &B,
    ) -> Result<T, CfError> {
        self.send(Method::POST, target, Payload::json(body)).await?.decode()
    }

    /// `PATCH target` with `body` as JSON, the answer decoded.
    pub(crate) async fn patch<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        target: &str,
        body: &B,
    ) -> Result<T, CfError> {
        self.send(Method::PATCH, target, Payload::json(body)).await?.decode()
    }

    /// Every resource of a paginated list (docs/v3 `concepts/_pagination`), following `pagination.next`.
    pub(crate) async fn list<T: DeserializeOwned>(&self, target: &str) -> Result<Vec<T>, CfError> {
        let sep = if target.contains('?') { '&' } else { '?' };
        let mut next = Some(format!("{target}{sep}per_page={}", self.settings.page_size));
        let mut read = BTreeSet::new();
        let mut all = Vec::new();
        while let Some(page) = next.take() {
            let answer = self.send(Method::GET, &page, Payload::Empty).await?;
            if !read.insert(answer.url.clone()) {
                return Err(answer.error("pagination.next leads back to a page already read".into()));
            }
            let page: Page<T> = answer.decode()?;
            all.extend(page.resources);
            next = page.pagination.next.map(|l| l.href);
        }
        Ok(all)
    }

    /// Sends an authenticated request to the API; the answer if it is a success (2xx).
    pub(crate) async fn send(&self, method: Method, target: &str, payload: Payload) -> Result<Answer, CfError> {
        let url = self.url(&method, target)?;
        self.attempt(method, url, payload, Authorization::Bearer).await
    }

    /// Sends a request that carries no bearer token (the root document, the token endpoint), to any URL.
    pub(crate) async fn send_open(
        &self,
        method: Method,
        url: &str,
        payload: Payload,
        basic: Option<String>,
        secrets: &[&Secret],
    ) -> Result<Answer, CfError> {
        self.attempt(method, url.to_string(), payload, Authorization::Open { basic, secrets }).await
    }

    /// The full URL of a path or link; the token goes only to `CF_API`, so a link elsewhere is refused.
    fn url(&self, method: &Method, target: &str) -> Result<String, CfError> {
        let api = &self.settings.api_url;
        if !target.starts_with("http://") && !target.starts_with("https://") {
            return Ok(format!("{api}{target}"));
        }
        let inside = target
            .strip_prefix(api.as_str())
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/') || rest.starts_with('?'));
        if inside {
            Ok(target.to_string())
        } else {
            Err(CfError::OffSite { method: method.to_string(), url: target.to_string(), api: api.clone() })
        }
    }

    /// The request, again with a new token after a 401 (once) and after each 429 (bounded).
    async fn attempt(
        &self,
        method: Method,
        url: String,
        payload: Payload,
        authorization: Authorization<'_>,
    ) -> Result<Answer, CfError> {
        let m = method.to_string();
        let mut renewed = false;
        let mut limited = 0u32;
        let mut waited = Duration::ZERO;
        loop {
            let (token, header) = match &authorization {
                Authorization::Bearer => {
                    let token = self.token().await?;
                    let header = format!("bearer {}", token.expose());
                    (Some(token), Some(header))
                }
                Authorization::Open { basic, .. } => (None, basic.clone()),
            };
            let (status, headers, body) = self.exchange(&method, &url, &payload, header).await?;
            if status == StatusCode::UNAUTHORIZED
                && !renewed
                && let Some(stale) = &token
            {
                // The token expired (or was revoked): one new one, then the same request again.
                renewed = true;
                if self.renew_token(stale).await?.is_some() {
                    continue;
                }
            }
            if status == StatusCode::TOO_MANY_REQUESTS {
                if limited >= self.settings.rate_limit_retries {
                    return Err(CfError::RateLimited {
                        method: m,
                        url,
                        attempts: limited + 1,
                        waited: waited.as_secs(),
                    });
                }
                limited += 1;
                let wait = retry_after(&headers).min(self.settings.retry_after_limit);
                tokio::time::sleep(wait).await;
                waited += wait;
                continue;
            }
            if !status.is_success() {
                let mut secrets: Vec<&Secret> = token.iter().collect();
                if let Authorization::Open { secrets: more, .. } = &authorization {
                    secrets.extend(more.iter().copied());
                }
                return Err(status_error(m, url, status, &body, &secrets));
            }
            let location = headers.get("location").and_then(|v| v.to_str().ok()).map(str::to_string);
            return Ok(Answer { method: m, url, status, location, body });
        }
    }

    /// One exchange, bounded by the timeout: status, headers, body.
    async fn exchange(
        &self,
        method: &Method,
        url: &str,
        payload: &Payload,
        authorization: Option<String>,
    ) -> Result<(StatusCode, HeaderMap, Bytes), CfError> {
        let m = method.to_string();
        let transport = |reason: String| CfError::Transport { method: m.clone(), url: url.to_string(), reason };
        let mut request = Request::builder()
            .method(method.clone())
            .uri(url)
            .header("Accept", "application/json")
            .header("User-Agent", concat!("slipway/", env!("CARGO_PKG_VERSION")));
        if let Some(value) = authorization {
            request = request.header("Authorization", value);
        }
        if let Some(content_type) = payload.content_type() {
            request = request.header("Content-Type", content_type);
        }
        let request =
            request.body(Full::new(payload.bytes())).map_err(|e| transport(format!("not a valid request: {e}")))?;
        let started = Instant::now();
        let exchange = async {
            let response = self.client.request(request).await.map_err(|e| transport(chain(&e)))?;
            let status = response.status();
            let headers = response.headers().clone();
            let bytes = response.into_body().collect().await.map_err(|e| transport(chain(&e)))?.to_bytes();
            Ok::<_, CfError>((status, headers, bytes))
        };
        tokio::time::timeout(self.settings.timeout, exchange).await.map_err(|_| CfError::Timeout {
            method: m.clone(),
            url: url.to_string(),
            seconds: started.elapsed().as_secs().max(self.settings.timeout.as_secs()),
        })?
    }

    /// Waits one poll interval, or until `deadline` if that is sooner.
    pub(crate) async fn pause(&self, deadline: Instant) {
        let left = deadline.saturating_duration_since(Instant::now());
        tokio::time::sleep(self.settings.poll_interval.min(left)).await;
    }
}

/// The error for an answer with status `status`: CF's `errors`, or UAA's `error` and `error_description`,
/// with any secret scrubbed from their text.
fn status_error(method: String, url: String, status: StatusCode, body: &[u8], secrets: &[&Secret]) -> CfError {
    #[derive(Deserialize)]
    struct CfErrors {
        errors: Vec<ApiError>,
    }
    #[derive(Deserialize)]
    struct UaaError {
        error: String,
        #[serde(default)]
        error_description: String,
    }
    let mut errors = match serde_json::from_slice::<CfErrors>(body) {
        Ok(e) => e.errors,
        Err(_) => serde_json::from_slice::<UaaError>(body)
            .map(|e| vec![ApiError { code: 0, title: e.error, detail: e.error_description }])
            .unwrap_or_default(),
    };
    for e in &mut errors {
        for secret in secrets.iter().filter(|s| !s.expose().is_empty()) {
            e.title = e.title.replace(secret.expose(), "[redacted]");
            e.detail = e.detail.replace(secret.expose(), "[redacted]");
        }
    }
    CfError::Status { method, url, status: status.as_u16(), errors }
}

/// `Retry-After` in seconds (the Cloud Controller sends seconds); 1 s when absent or a date.
fn retry_after(headers: &HeaderMap) -> Duration {
    headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map_or(Duration::from_secs(1), Duration::from_secs)
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

/// `s` percent-encoded for a query value or a form field: everything but unreserved characters.
pub(crate) fn encode(s: &str) -> String {
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

/// `path?k=v&...`, each value percent-encoded.
pub(crate) fn with_query(path: &str, pairs: &[(&str, &str)]) -> String {
    let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect();
    format!("{path}?{}", query.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_query_values() {
        assert_eq!(encode("my app,x/y"), "my%20app%2Cx%2Fy");
        assert_eq!(
            with_query("/v3/apps", &[("names", "a b"), ("space_guids", "g")]),
            "/v3/apps?names=a%20b&space_guids=g"
        );
    }

    #[test]
    fn scrubs_secrets_from_error_text() {
        let token = Secret::new("tok123");
        let body = br#"{"errors":[{"code":1000,"title":"CF-InvalidAuthToken","detail":"token tok123 expired"}]}"#;
        let e =
            status_error("GET".into(), "https://api.example/v3/apps".into(), StatusCode::UNAUTHORIZED, body, &[&token]);
        assert_eq!(
            e.to_string(),
            "GET https://api.example/v3/apps: Cloud Foundry answered 401: CF-InvalidAuthToken (1000): token [redacted] expired"
        );
    }

    #[test]
    fn sends_its_token_only_under_cf_api() {
        let settings =
            super::super::Settings::new("https://api.example", super::super::Credentials::Token(Secret::new("t")));
        let cf = CloudFoundry::new(settings).unwrap();
        assert_eq!(cf.url(&Method::GET, "/v3/apps").unwrap(), "https://api.example/v3/apps");
        assert_eq!(cf.url(&Method::GET, "https://api.example/v3/jobs/1").unwrap(), "https://api.example/v3/jobs/1");
        for elsewhere in
            ["https://api.example.evil/v3/jobs/1", "https://other.example/v3/jobs/1", "http://api.example/v3"]
        {
            let e = cf.url(&Method::GET, elsewhere).unwrap_err();
            assert!(matches!(e, CfError::OffSite { .. }), "{elsewhere}: {e:?}");
            assert_eq!(
                e.to_string(),
                format!(
                    "GET {elsewhere}: the API linked outside https://api.example; slipway sends its token only to CF_API"
                )
            );
        }
    }

    #[test]
    fn reads_uaa_errors() {
        let body = br#"{"error":"unauthorized","error_description":"Bad credentials"}"#;
        let e = status_error(
            "POST".into(),
            "https://login.example/oauth/token".into(),
            StatusCode::UNAUTHORIZED,
            body,
            &[],
        );
        assert_eq!(e.titles(), ["unauthorized"]);
        assert!(e.to_string().ends_with("unauthorized (0): Bad credentials"), "{e}");
    }
}
