//! An image registry through its HTTP API v2 (the CNCF distribution specification): whether it holds a
//! tag (`HEAD /v2/<name>/manifests/<tag>`), so that a deploy pushes an image only when it is missing.
//!
//! A registry on the loopback (`127.0.0.1:5000`, `localhost:5000`) is spoken to over plain HTTP, as
//! dockerd does without being told (it allows 127.0.0.0/8 as insecure); any other over HTTPS. A registry
//! that wants credentials for the read (401, 403) is not an error: the answer is [`Presence::Unknown`],
//! and the caller pushes (docker's own login is what a push uses, and a push of layers the registry has
//! sends nothing but the manifest).

use std::time::Duration;

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::{Method, Request};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

/// What a registry says of a tag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Presence {
    /// It has the tag; its manifest's digest (`sha256:...`), when the registry says it.
    Present(Option<String>),
    /// It has no such tag (404).
    Absent,
    /// It would not say without credentials (401, 403): why.
    Unknown(String),
}

/// Why a registry could not be asked.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The address cannot be made into a URL.
    #[error("`{registry}` is not an image registry address (`host:port`, no scheme or path): {why}")]
    BadAddress {
        /// The address.
        registry: String,
        /// Why.
        why: String,
    },
    /// Nothing answered, or not in time.
    #[error(
        "the image registry `{registry}` does not answer ({url}: {why}); start it, or fix the `registry` of the compose target"
    )]
    Unreachable {
        /// The address.
        registry: String,
        /// The URL asked.
        url: String,
        /// What went wrong.
        why: String,
    },
    /// It answered something other than found, not found or a refusal.
    #[error("the image registry `{registry}` answered {status} to HEAD {url}")]
    Unexpected {
        /// The address.
        registry: String,
        /// The URL asked.
        url: String,
        /// The HTTP status.
        status: u16,
    },
}

/// The manifest media types a pushed image may have; the registry answers the one it holds.
const ACCEPT: &str = "application/vnd.docker.distribution.manifest.v2+json, \
                      application/vnd.docker.distribution.manifest.list.v2+json, \
                      application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json";

/// Whether `registry` is on the loopback, where it is spoken to over plain HTTP.
pub fn is_loopback(registry: &str) -> bool {
    let host = match registry.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or_default(),
        None => registry.split(':').next().unwrap_or_default(),
    };
    host == "localhost" || host == "::1" || host.starts_with("127.")
}

/// The URL of the manifest of `repository:tag` in `registry`.
pub fn manifest_url(registry: &str, repository: &str, tag: &str) -> String {
    let scheme = if is_loopback(registry) { "http" } else { "https" };
    format!("{scheme}://{registry}/v2/{repository}/manifests/{tag}")
}

/// Whether `registry` has `repository:tag`, asked within `timeout`.
pub async fn manifest(
    registry: &str,
    repository: &str,
    tag: &str,
    timeout: Duration,
) -> Result<Presence, RegistryError> {
    let url = manifest_url(registry, repository, tag);
    let bad = |why: String| RegistryError::BadAddress { registry: registry.into(), why };
    let request = Request::builder()
        .method(Method::HEAD)
        .uri(&url)
        .header("Accept", ACCEPT)
        .body(Empty::<Bytes>::new())
        .map_err(|e| bad(e.to_string()))?;
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_native_roots()
        .map_err(|e| bad(format!("no TLS roots: {e}")))?
        .https_or_http()
        .enable_http1()
        .build();
    let client: Client<_, Empty<Bytes>> = Client::builder(TokioExecutor::new()).build(https);
    let unreachable = |why: String| RegistryError::Unreachable { registry: registry.into(), url: url.clone(), why };
    let response = match tokio::time::timeout(timeout, client.request(request)).await {
        Ok(Ok(response)) => response,
        Ok(Err(e)) => {
            // hyper's own text is "client error (Connect)"; the cause below it says what happened.
            let mut why = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(cause) = source {
                why = format!("{why}: {cause}");
                source = cause.source();
            }
            return Err(unreachable(why));
        }
        Err(_) => return Err(unreachable(format!("no answer in {} s", timeout.as_secs()))),
    };
    let status = response.status().as_u16();
    let digest = response.headers().get("Docker-Content-Digest").and_then(|v| v.to_str().ok()).map(String::from);
    let _ = response.into_body().collect().await;
    match status {
        200 => Ok(Presence::Present(digest)),
        404 => Ok(Presence::Absent),
        401 | 403 => Ok(Presence::Unknown(format!("HEAD {url} answered {status}"))),
        _ => Err(RegistryError::Unexpected { registry: registry.into(), url, status }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_registries_are_spoken_to_over_http_and_others_over_https() {
        assert_eq!(manifest_url("127.0.0.1:5000", "shop/api", "ab"), "http://127.0.0.1:5000/v2/shop/api/manifests/ab");
        assert_eq!(manifest_url("localhost:5000", "a/b", "t"), "http://localhost:5000/v2/a/b/manifests/t");
        assert_eq!(manifest_url("[::1]:5000", "a/b", "t"), "http://[::1]:5000/v2/a/b/manifests/t");
        assert_eq!(
            manifest_url("registry.example.org:5000", "a/b", "t"),
            "https://registry.example.org:5000/v2/a/b/manifests/t"
        );
        assert!(!is_loopback("127example.org"));
    }

    #[tokio::test]
    async fn a_registry_that_does_not_answer_is_named() {
        // A port just bound and released: nothing listens there.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let registry = format!("127.0.0.1:{port}");
        let err = manifest(&registry, "shop/api", "t", Duration::from_secs(5)).await.unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with(&format!("the image registry `{registry}` does not answer")), "{text}");
    }
}
