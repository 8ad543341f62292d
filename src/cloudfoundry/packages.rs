//! What an app runs, from source to droplet: packages (a docker image reference, or source bits uploaded as a
//! zip in the multipart form docs/v3 `packages/_upload_bits` describes, then processed until READY), builds
//! that stage a package (STAGING until STAGED, or FAILED with the platform's reason), and the droplets they
//! make. Waiting is polling at the settings' interval, bounded by the caller's limit.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::{Duration, Instant};

use hyper::Method;
use serde::{Deserialize, Serialize};

use super::transport::Payload;
use super::types::string_enum;
use super::{CfError, CloudFoundry, Guid, Lifecycle, Secret, ToOne};

string_enum! {
    /// A package's kind.
    PackageType { Bits = "bits", Docker = "docker", }
}

string_enum! {
    /// A package's state (docs/v3 `packages/_object`).
    PackageState {
        AwaitingUpload = "AWAITING_UPLOAD", ProcessingUpload = "PROCESSING_UPLOAD", Ready = "READY",
        Failed = "FAILED", Copying = "COPYING", Expired = "EXPIRED",
    }
}

/// A package (docs/v3 `packages/_object`): source bits to upload, or a docker image.
#[derive(Clone, Debug, Deserialize)]
pub struct Package {
    /// Its guid.
    pub guid: String,
    /// `bits` or `docker`.
    #[serde(rename = "type")]
    pub kind: PackageType,
    /// Its state.
    pub state: PackageState,
    /// The image, the checksum of the bits, or the error.
    #[serde(default)]
    pub data: PackageData,
}

/// A package's data (the fields slipway reads; a docker password is never read back).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct PackageData {
    /// The docker image.
    #[serde(default)]
    pub image: Option<String>,
    /// The bits' checksum, once uploaded.
    #[serde(default)]
    pub checksum: Option<Checksum>,
    /// What went wrong.
    #[serde(default)]
    pub error: Option<String>,
}

/// A checksum: `{"type": "sha256", "value": "..."}`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Checksum {
    /// The algorithm.
    #[serde(rename = "type")]
    pub kind: String,
    /// The value, once known.
    pub value: Option<String>,
}

string_enum! {
    /// A build's state (docs/v3 `builds/_object`).
    BuildState { Staging = "STAGING", Staged = "STAGED", Failed = "FAILED", }
}

/// A build (docs/v3 `builds/_object`): a package staged into a droplet.
#[derive(Clone, Debug, Deserialize)]
pub struct Build {
    /// Its guid.
    pub guid: String,
    /// Its state.
    pub state: BuildState,
    /// Why it failed.
    pub error: Option<String>,
    /// The package it stages.
    pub package: Guid,
    /// The droplet it made, once staged.
    pub droplet: Option<Guid>,
}

string_enum! {
    /// A droplet's state (docs/v3 `droplets/_object`).
    DropletState {
        AwaitingUpload = "AWAITING_UPLOAD", ProcessingUpload = "PROCESSING_UPLOAD", Staged = "STAGED",
        Copying = "COPYING", Failed = "FAILED", Expired = "EXPIRED",
    }
}

/// A droplet (docs/v3 `droplets/_object`): what an app runs.
#[derive(Clone, Debug, Deserialize)]
pub struct Droplet {
    /// Its guid.
    pub guid: String,
    /// Its state.
    pub state: DropletState,
    /// The last error.
    pub error: Option<String>,
    /// The lifecycle it was staged with.
    pub lifecycle: Lifecycle,
    /// Process types and their start commands.
    #[serde(default)]
    pub process_types: BTreeMap<String, String>,
    /// The docker image, for a docker droplet.
    #[serde(default)]
    pub image: Option<String>,
    /// The checksum, for a buildpack droplet.
    #[serde(default)]
    pub checksum: Option<Checksum>,
    /// When it was made.
    pub created_at: String,
}

/// `relationships.app` of a new package.
#[derive(Serialize)]
struct AppOf<'a> {
    app: &'a ToOne,
}

impl CloudFoundry {
    /// `POST /v3/packages` of type `docker` for `image` (a registry address), with the registry's user and
    /// password when it is private. A docker package is READY at once.
    pub async fn create_docker_package(
        &self,
        app: &str,
        image: &str,
        registry_login: Option<(&str, &Secret)>,
    ) -> Result<Package, CfError> {
        let mut data = serde_json::json!({ "image": image });
        if let Some((username, password)) = registry_login {
            data["username"] = username.into();
            data["password"] = password.expose().into();
        }
        let body =
            serde_json::json!({ "type": "docker", "relationships": AppOf { app: &ToOne::to(app) }, "data": data });
        self.post("/v3/packages", &body).await
    }

    /// `POST /v3/packages` of type `bits`: a package AWAITING_UPLOAD.
    pub async fn create_bits_package(&self, app: &str) -> Result<Package, CfError> {
        let body = serde_json::json!({ "type": "bits", "relationships": AppOf { app: &ToOne::to(app) } });
        self.post("/v3/packages", &body).await
    }

    /// `POST /v3/packages/:guid/upload`: `zip` as the form's `bits` field (and an empty `resources` list,
    /// since slipway matches no resources already on the platform). The package is then PROCESSING_UPLOAD;
    /// [`CloudFoundry::wait_for_package`] waits until it is READY.
    pub async fn upload_bits(&self, package: &str, zip: &[u8]) -> Result<Package, CfError> {
        let payload = multipart(zip);
        self.send(Method::POST, &format!("/v3/packages/{package}/upload"), payload).await?.decode()
    }

    /// `GET /v3/packages/:guid`.
    pub async fn package(&self, guid: &str) -> Result<Package, CfError> {
        self.get(&format!("/v3/packages/{guid}")).await
    }

    /// Polls the package until it is READY; FAILED or EXPIRED is an error with the package's reason.
    pub async fn wait_for_package(&self, guid: &str, within: Duration) -> Result<Package, CfError> {
        let path = format!("/v3/packages/{guid}");
        let deadline = Instant::now() + within;
        loop {
            let package: Package = self.get(&path).await?;
            match package.state {
                PackageState::Ready => return Ok(package),
                PackageState::Failed | PackageState::Expired => {
                    let why = package.data.error.as_deref().unwrap_or("no reason given");
                    return Err(self.failed(&path, format!("package {guid}"), format!("is {}: {why}", package.state)));
                }
                _ if Instant::now() >= deadline => {
                    return Err(self.unfinished(
                        &path,
                        format!("package {guid}"),
                        within,
                        format!("still {}", package.state),
                    ));
                }
                _ => self.pause(deadline).await,
            }
        }
    }

    /// `POST /v3/builds`: stages the package (with the app's lifecycle, or `lifecycle`); STAGING.
    pub async fn create_build(&self, package: &str, lifecycle: Option<&Lifecycle>) -> Result<Build, CfError> {
        let mut body = serde_json::json!({ "package": Guid::of(package) });
        if let Some(lifecycle) = lifecycle {
            body["lifecycle"] = serde_json::to_value(lifecycle).expect("a lifecycle serializes");
        }
        self.post("/v3/builds", &body).await
    }

    /// `GET /v3/builds/:guid`.
    pub async fn build(&self, guid: &str) -> Result<Build, CfError> {
        self.get(&format!("/v3/builds/{guid}")).await
    }

    /// Polls the build until it is STAGED (the build, with its droplet); FAILED is an error that carries the
    /// build's `error` (`NoAppDetectedError - An app was not successfully detected ...`).
    pub async fn wait_for_build(&self, guid: &str, within: Duration) -> Result<Build, CfError> {
        let path = format!("/v3/builds/{guid}");
        let deadline = Instant::now() + within;
        loop {
            let build: Build = self.get(&path).await?;
            match build.state {
                BuildState::Staged if build.droplet.is_some() => return Ok(build),
                BuildState::Staged => {
                    return Err(CfError::Decode {
                        method: "GET".into(),
                        url: self.full(&path),
                        reason: "the build is STAGED but names no droplet".into(),
                    });
                }
                BuildState::Failed => {
                    let why = build.error.as_deref().unwrap_or("no reason given");
                    return Err(self.failed(&path, format!("build {guid}"), format!("failed staging: {why}")));
                }
                _ if Instant::now() >= deadline => {
                    return Err(self.unfinished(
                        &path,
                        format!("build {guid}"),
                        within,
                        format!("still {}", build.state),
                    ));
                }
                _ => self.pause(deadline).await,
            }
        }
    }

    /// `GET /v3/droplets/:guid`.
    pub async fn droplet(&self, guid: &str) -> Result<Droplet, CfError> {
        self.get(&format!("/v3/droplets/{guid}")).await
    }

    /// Every droplet of the app (`GET /v3/apps/:guid/droplets`), oldest first.
    pub async fn app_droplets(&self, app: &str) -> Result<Vec<Droplet>, CfError> {
        self.list(&format!("/v3/apps/{app}/droplets")).await
    }

    /// `path` under `CF_API`.
    pub(crate) fn full(&self, path: &str) -> String {
        format!("{}{path}", self.settings.api_url)
    }

    /// The error for something polled at `path` that ended in failure.
    pub(crate) fn failed(&self, path: &str, what: String, outcome: String) -> CfError {
        CfError::Failed { method: "GET".into(), url: self.full(path), what, outcome }
    }

    /// The error for something polled at `path` that did not finish `within`.
    pub(crate) fn unfinished(&self, path: &str, what: String, within: Duration, last: String) -> CfError {
        CfError::Unfinished { method: "GET".into(), url: self.full(path), what, seconds: within.as_secs(), last }
    }
}

/// The multipart form of an upload: `resources` (`[]`) and `bits` (the zip), under a boundary that does
/// not occur in the zip.
fn multipart(zip: &[u8]) -> Payload {
    let boundary = loop {
        let b = format!("slipway-{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..));
        if !zip.windows(b.len()).any(|w| w == b.as_bytes()) {
            break b;
        }
    };
    let mut bytes = Vec::with_capacity(zip.len() + 400);
    let write = |bytes: &mut Vec<u8>, s: &str| bytes.write_all(s.as_bytes()).expect("writing to memory");
    write(&mut bytes, &format!("--{boundary}\r\nContent-Disposition: form-data; name=\"resources\"\r\n\r\n[]\r\n"));
    write(
        &mut bytes,
        &format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"bits\"; filename=\"package.zip\"\r\n\
             Content-Type: application/zip\r\n\r\n"
        ),
    );
    bytes.extend_from_slice(zip);
    write(&mut bytes, &format!("\r\n--{boundary}--\r\n"));
    Payload::Multipart { boundary, bytes }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_holds_the_zip_and_an_empty_resource_list() {
        let Payload::Multipart { boundary, bytes } = multipart(b"PK\x03\x04zip") else { panic!("not multipart") };
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.starts_with(&format!("--{boundary}\r\n")), "{text}");
        assert!(text.contains("name=\"resources\"\r\n\r\n[]\r\n"), "{text}");
        assert!(text.contains(
            "name=\"bits\"; filename=\"package.zip\"\r\nContent-Type: application/zip\r\n\r\nPK\u{3}\u{4}zip\r\n"
        ));
        assert!(text.ends_with(&format!("\r\n--{boundary}--\r\n")), "{text}");
    }
}
