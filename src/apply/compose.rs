//! One docker-compose bundle onto one Docker host: the release's compose file and the `.env` beside it,
//! written to a scratch directory and brought up as the bundle's project, through the driver in
//! [`crate::docker`].
//!
//! The `.env` holds `RELEASE` (the tag of the release's images), every secret the bundle reads and any
//! other variable it names. Secrets are generated on the project's first `up` and read back from its
//! running containers on later ones: they live on the Docker host with the project, and nowhere else (not
//! in the store, not in the ledger). A project whose containers exist but lost a secret is refused rather
//! than given a new value that would not match the data it keeps.

use std::collections::BTreeMap;
use std::io::Read;

use crate::docker::{COMPOSE_FILE, Compose, ComposeError, DockerHost, UpReport};
use crate::synth::compose::ComposeVariable;

/// Why a bundle could not be brought up.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// Compose failed (a service that did not come up names itself here).
    #[error(transparent)]
    Compose(#[from] ComposeError),
    /// A variable of the compose bundle that slipway cannot make up.
    #[error("the compose file reads `{0}`, which is not a secret slipway generates: set it in the environment")]
    MissingVariable(String),
    /// The project's containers exist but lost a secret they were made with.
    #[error(
        "the compose project's containers exist but none holds secret `{0}` any more, and a new value would not \
         match the data they keep; bring the project down (with its volumes) and up again"
    )]
    SecretLost(String),
    /// No random bytes for a secret.
    #[error("cannot read random bytes for the compose project's secrets: {0}")]
    NoRandom(String),
    /// A scratch directory for the compose files could not be made.
    #[error("cannot write the compose files to a temporary directory: {0}")]
    Scratch(String),
}

/// A bundle to bring up: its project name, compose file and the variables the file reads.
#[derive(Clone, Copy, Debug)]
pub struct Bundle<'a> {
    /// The compose project's name.
    pub project: &'a str,
    /// The bytes of `docker-compose.yml`, as the release holds them.
    pub compose_file: &'a [u8],
    /// Every variable the file reads (what `.env.example` lists).
    pub variables: &'a [ComposeVariable],
    /// The release: `RELEASE` in the `.env`, the tag of the release's images.
    pub release: &'a str,
}

/// Brings `bundle` up on `host`: what `up` changed, or why it did not come up.
pub fn apply(compose: &Compose, host: &DockerHost, bundle: &Bundle<'_>) -> Result<UpReport, BundleError> {
    let containers = compose.containers(bundle.project, host)?;
    let running: BTreeMap<String, String> = containers.iter().flat_map(|c| c.env.clone()).collect();
    let env_file = env_file(bundle.variables, bundle.release, &running, containers.is_empty())?;
    let dir = tempfile::Builder::new()
        .prefix("slipway-compose-")
        .tempdir()
        .map_err(|e| BundleError::Scratch(e.to_string()))?;
    std::fs::write(dir.path().join(COMPOSE_FILE), bundle.compose_file)
        .and_then(|()| std::fs::write(dir.path().join(".env"), env_file))
        .map_err(|e| BundleError::Scratch(e.to_string()))?;
    Ok(compose.up(dir.path(), bundle.project, host)?)
}

/// The `.env` of a compose project: `RELEASE`; each secret as its containers already run with it
/// (`running`), or newly generated when the project has no container at all (`fresh`); any other variable
/// from slipway's own environment.
pub fn env_file(
    variables: &[ComposeVariable],
    release: &str,
    running: &BTreeMap<String, String>,
    fresh: bool,
) -> Result<String, BundleError> {
    let mut text = String::from("# Written by slipway; secrets were generated on this host for this project.\n");
    for v in variables {
        let value = if v.name == "RELEASE" {
            release.to_string()
        } else if v.secret {
            match running.get(&v.name) {
                Some(value) => value.clone(),
                None if fresh => secret()?,
                None => return Err(BundleError::SecretLost(v.name.clone())),
            }
        } else {
            match std::env::var(&v.name).ok().or_else(|| running.get(&v.name).cloned()) {
                Some(value) => value,
                None => return Err(BundleError::MissingVariable(v.name.clone())),
            }
        };
        if value.contains(['\n', '\r']) {
            return Err(BundleError::MissingVariable(format!("{} (its value holds a line break)", v.name)));
        }
        text.push_str(&format!("{}={value}\n", v.name));
    }
    Ok(text)
}

/// 32 random bytes from the kernel, as hex.
fn secret() -> Result<String, BundleError> {
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| BundleError::NoRandom(e.to_string()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}
