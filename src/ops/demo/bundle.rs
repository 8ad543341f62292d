//! A demo's bytes outside the ledger: the store keeps a copy of each `up`'s artifacts under
//! `demos/<slug>/<run>/`, what a failed update goes back to.

use crate::store::{Store, StoreError};
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
