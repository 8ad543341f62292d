//! Releases: every permanent environment's artifacts at one commit, as one immutable bundle in the store.
//!
//! What is deployed is what was reviewed: `release create` writes the bundle once, and deploy, promote
//! and rollback apply its bytes, each checked against its manifest, never synthesizing again. A bundle is
//! `releases/<id>/` in the store: the artifacts at their usual paths, `manifest.json` (every artifact's
//! SHA-256) and `release.json` (id, commit, ref, when, by whom, slipway's version), written last, so that a
//! release whose `release.json` exists is complete. Nothing in it is ever rewritten: creating an id that
//! exists is a no-op when its artifacts are the same bytes, and refused when they are not.

pub mod assets;
pub mod bits;
use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::store::{Store, StoreError};
use crate::synth::{ArtifactKey, Artifacts, MANIFEST, Manifest, sha256_hex};

/// What `release.json` says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseInfo {
    /// The release's id.
    pub id: String,
    /// The commit its artifacts were synthesized from.
    pub commit: Option<String>,
    /// The git ref it was made on (`refs/heads/main`, `main`).
    #[serde(rename = "ref")]
    pub git_ref: Option<String>,
    /// When it was created.
    pub created_at: Timestamp,
    /// Who created it.
    pub created_by: String,
    /// The slipway version that wrote it.
    pub slipway_version: String,
    /// The environments it holds artifacts for.
    pub environments: Vec<String>,
    /// Files of the working tree that differed from `commit` when the release was made (`release create
    /// --allow-dirty`): the release is then not exactly that commit. Empty for a clean tree.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dirty: Vec<String>,
}

/// A release as read back: what it says and its artifacts, each checked against its manifest.
#[derive(Clone, Debug)]
pub struct Release {
    /// `release.json`.
    pub info: ReleaseInfo,
    /// `manifest.json`.
    pub manifest: Manifest,
    /// The artifacts.
    pub artifacts: Artifacts,
    /// Its assets (`assets.json`), whose bytes are in the store's `assets/`.
    pub assets: Vec<assets::StoredAsset>,
}

/// Why a release could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    /// The id cannot be one.
    #[error("`{0}` cannot be a release id: 1 to 128 letters, digits, `.`, `_` or `-`, starting with a letter or digit")]
    BadId(String),
    /// The id exists with other artifacts.
    #[error(
        "release `{id}` already exists with other artifacts ({}); a release is never changed, so give this one \
         another id",
        .differing.join(", ")
    )]
    Differs {
        /// The release.
        id: String,
        /// Up to a few artifacts that differ.
        differing: Vec<String>,
    },
    /// No such release.
    #[error("there is no release `{id}` in the store at {store}")]
    Missing {
        /// The release.
        id: String,
        /// Where it was looked for.
        store: String,
    },
    /// A stored object is not what the manifest says.
    #[error("release `{id}` in the store is damaged: {why}; do not deploy it, create a new release instead")]
    Damaged {
        /// The release.
        id: String,
        /// What is wrong.
        why: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Whether [`create`] wrote a release.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Created {
    /// A new release.
    New,
    /// It existed with the same artifacts; nothing was written. Its `release.json` says this.
    Existed(ReleaseInfo),
}

/// Whether `id` can be a release id: it is a CloudFormation parameter value and a stack tag, so 1 to 128
/// letters, digits, `.`, `_` or `-`, starting with a letter or digit.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id.starts_with(|c: char| c.is_ascii_alphanumeric())
        && id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

fn key(id: &str, rest: &str) -> String {
    format!("releases/{id}/{rest}")
}

/// Writes a release of `artifacts` and `stored` assets (already kept in the store, [`assets::put`]) as
/// `info` says, unless one with that id exists: with the same artifacts that is a no-op, with others it is
/// refused.
pub async fn create(
    store: &Store,
    info: &ReleaseInfo,
    artifacts: &Artifacts,
    stored: &[assets::StoredAsset],
) -> Result<Created, ReleaseError> {
    if !valid_id(&info.id) {
        return Err(ReleaseError::BadId(info.id.clone()));
    }
    let manifest = Manifest::of(artifacts, &info.environments);
    match read(store, &info.id).await {
        Ok(old) => return settle(old, &manifest),
        Err(ReleaseError::Missing { .. }) => {}
        Err(e) => return Err(e),
    }
    // Artifacts first, then the manifest, each created only where absent; one already there (an earlier,
    // interrupted create of this id) must be these bytes.
    let mut differs = Vec::new();
    let files = artifacts.iter().map(|(k, bytes)| (k.path(), bytes.clone()));
    let listed = (!stored.is_empty()).then(|| (assets::ASSETS_FILE.to_string(), assets::to_json(stored)));
    for (path, bytes) in files.chain(listed).chain([(MANIFEST.to_string(), manifest.to_json().into_bytes())]) {
        if !store.put_new(&key(&info.id, &path), bytes.clone()).await? {
            let there = store.get(&key(&info.id, &path)).await?.map(|o| o.bytes);
            if there.as_deref() != Some(bytes.as_slice()) {
                differs.push(path);
            }
        }
    }
    if !differs.is_empty() {
        differs.truncate(5);
        return Err(ReleaseError::Differs { id: info.id.clone(), differing: differs });
    }
    let mut json = serde_json::to_string_pretty(info).expect("release info serializes");
    json.push('\n');
    if !store.put_new(&key(&info.id, "release.json"), json.into_bytes()).await? {
        // Another run created it a moment ago: the same bytes are a no-op, others are refused.
        return settle(read(store, &info.id).await?, &manifest);
    }
    Ok(Created::New)
}

/// What creating a release whose id `old` already has comes to: nothing, when `manifest` lists the same
/// artifacts, else a refusal naming the ones that differ.
fn settle(old: Release, manifest: &Manifest) -> Result<Created, ReleaseError> {
    match differing(&old.manifest, manifest) {
        d if d.is_empty() => Ok(Created::Existed(old.info)),
        differing => Err(ReleaseError::Differs { id: old.info.id, differing }),
    }
}

/// The artifacts whose hashes differ between two manifests (or that only one lists), a few of them.
fn differing(a: &Manifest, b: &Manifest) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for e in &a.files {
        if !b.files.iter().any(|f| f.path == e.path && f.sha256 == e.sha256) {
            out.push(e.path.clone());
        }
    }
    for e in &b.files {
        if !a.files.iter().any(|f| f.path == e.path) {
            out.push(e.path.clone());
        }
    }
    out.sort();
    out.dedup();
    out.truncate(5);
    out
}

/// `release.json` of release `id`, if it exists.
pub async fn read_info(store: &Store, id: &str) -> Result<Option<ReleaseInfo>, ReleaseError> {
    let Some(object) = store.get(&key(id, "release.json")).await? else { return Ok(None) };
    serde_json::from_slice(&object.bytes)
        .map(Some)
        .map_err(|e| ReleaseError::Damaged { id: id.into(), why: format!("its release.json cannot be read: {e}") })
}

/// Release `id` with every artifact, each checked against the manifest.
pub async fn read(store: &Store, id: &str) -> Result<Release, ReleaseError> {
    let Some(info) = read_info(store, id).await? else {
        return Err(ReleaseError::Missing { id: id.into(), store: store.location() });
    };
    let damaged = |why: String| ReleaseError::Damaged { id: id.into(), why };
    let manifest_bytes =
        store.get(&key(id, MANIFEST)).await?.ok_or_else(|| damaged(format!("its {MANIFEST} is missing")))?.bytes;
    let manifest: Manifest =
        serde_json::from_slice(&manifest_bytes).map_err(|e| damaged(format!("its {MANIFEST} cannot be read: {e}")))?;
    let mut artifacts = Artifacts::new();
    for entry in &manifest.files {
        let k = ArtifactKey::from_path(&entry.path)
            .ok_or_else(|| damaged(format!("its {MANIFEST} lists `{}`, which is no artifact path", entry.path)))?;
        let object = store
            .get(&key(id, &entry.path))
            .await?
            .ok_or_else(|| damaged(format!("`{}`, which its {MANIFEST} lists, is missing", entry.path)))?;
        if sha256_hex(&object.bytes) != entry.sha256 {
            return Err(damaged(format!("`{}` is not the bytes its {MANIFEST} lists", entry.path)));
        }
        artifacts.insert(k, object.bytes);
    }
    let assets = assets::read(store, id).await?;
    Ok(Release { info, manifest, artifacts, assets })
}

/// Every complete release, newest first.
pub async fn list(store: &Store) -> Result<Vec<ReleaseInfo>, ReleaseError> {
    let mut out = Vec::new();
    for k in store.list("releases/").await? {
        let Some(id) = k.strip_prefix("releases/").and_then(|r| r.strip_suffix("/release.json")) else { continue };
        if id.contains('/') {
            continue;
        }
        if let Some(info) = read_info(store, id).await? {
            out.push(info);
        }
    }
    out.sort_by(|a, b| b.created_at.cmp(&a.created_at).then_with(|| a.id.cmp(&b.id)));
    Ok(out)
}

/// The store key of an artifact of release `id` (for a template CloudFormation reads from S3).
pub fn artifact_key(id: &str, artifact: &ArtifactKey) -> String {
    key(id, &artifact.path())
}
