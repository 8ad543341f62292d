//! A demo's bytes outside the ledger: the store keeps a copy of each `up`'s artifacts under
//! `demos/<slug>/<run>/` (what a failed update goes back to), and each `up` writes the compose project's
//! `.env`, whose secrets are generated on the demo's first `up` and read back from its running containers
//! on later ones: they live on the Docker host with the demo, and nowhere else (not in the store, not in
//! the ledger).

use std::collections::BTreeMap;
use std::io::Read;

use super::DemoError;
use crate::store::{Store, StoreError};
use crate::synth::compose::ComposeVariable;
use crate::synth::{ArtifactKey, Artifacts};

/// Where everything of demo `slug` is in the store.
pub fn prefix(slug: &str) -> String {
    format!("demos/{slug}/")
}

fn run_prefix(slug: &str, run: &str) -> String {
    format!("{}{run}/", prefix(slug))
}

/// Keeps a copy of run `run`'s artifacts.
pub async fn save(store: &Store, slug: &str, run: &str, artifacts: &Artifacts) -> Result<(), StoreError> {
    for (key, bytes) in artifacts {
        store.put_new(&format!("{}{}", run_prefix(slug, run), key.path()), bytes.clone()).await?;
    }
    Ok(())
}

/// The artifacts run `run` kept (none when it kept nothing).
pub async fn load(store: &Store, slug: &str, run: &str) -> Result<Artifacts, StoreError> {
    let base = run_prefix(slug, run);
    let mut out = Artifacts::new();
    for key in store.list(&base).await? {
        let Some(path) = key.strip_prefix(&base) else { continue };
        let (Some(artifact), Some(object)) = (ArtifactKey::from_path(path), store.get(&key).await?) else { continue };
        out.insert(artifact, object.bytes);
    }
    Ok(out)
}

/// Deletes everything the store keeps of demo `slug`; how many objects there were.
pub async fn forget(store: &Store, slug: &str) -> Result<usize, StoreError> {
    let mut count = 0;
    for key in store.list(&prefix(slug)).await? {
        if let Some(object) = store.get(&key).await? {
            store.delete_if(&key, &object.etag).await?;
            count += 1;
        }
    }
    Ok(count)
}

/// The `.env` of a demo's compose project: `RELEASE`; each secret as its containers already run with it
/// (`running`), or newly generated when the project has no container at all; any other variable from
/// slipway's own environment.
pub fn env_file(
    variables: &[ComposeVariable],
    release: &str,
    running: &BTreeMap<String, String>,
    fresh: bool,
) -> Result<String, DemoError> {
    let mut text = String::from("# Written by `slipway demo up`; secrets were generated for this demo.\n");
    for v in variables {
        let value = if v.name == "RELEASE" {
            release.to_string()
        } else if v.secret {
            match running.get(&v.name) {
                Some(value) => value.clone(),
                None if fresh => secret()?,
                None => return Err(DemoError::SecretLost(v.name.clone())),
            }
        } else {
            match std::env::var(&v.name).ok().or_else(|| running.get(&v.name).cloned()) {
                Some(value) => value,
                None => return Err(DemoError::MissingVariable(v.name.clone())),
            }
        };
        if value.contains(['\n', '\r']) {
            return Err(DemoError::MissingVariable(format!("{} (its value holds a line break)", v.name)));
        }
        text.push_str(&format!("{}={value}\n", v.name));
    }
    Ok(text)
}

/// 32 random bytes from the kernel, as hex.
fn secret() -> Result<String, DemoError> {
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| DemoError::NoRandom(e.to_string()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}
