//! A release's assets in the store: each kept once under its hash (`assets/<hash>.zip`, an image's
//! `assets/<hash>.tar`, shared by every release that has the same code), and listed in the release's `assets.json` with the SHA-256 of the
//! bytes stored, so that a deploy, a promotion and a rollback publish exactly what was released, and
//! `slipway gc` can tell which stored assets no release in use lists.

use serde::{Deserialize, Serialize};

use super::{ReleaseError, key};
use crate::model::{Asset, AssetKind};
use crate::store::Store;
use crate::synth::sha256_hex;

/// The list of a release's assets, beside its `manifest.json`.
pub const ASSETS_FILE: &str = "assets.json";

/// The store's directory of assets, shared by all releases.
pub const STORE_PREFIX: &str = "assets/";

/// One asset of a release.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredAsset {
    /// Its name in the definitions.
    pub name: String,
    /// `file`, `directory` or `image`.
    pub kind: String,
    /// Its hash (what the templates' references are made of).
    pub hash: String,
    /// Its key in the store and in the bootstrap bucket (`assets/<hash>.zip`); an image's tag.
    pub key: String,
    /// The size of what is stored, in bytes (an image's: its `docker save` tar).
    pub bytes: u64,
    /// The SHA-256 of what is stored.
    pub sha256: String,
}

impl StoredAsset {
    /// The entry of `asset` (hashed) whose stored bytes are `bytes`.
    pub fn of(asset: &Asset, bytes: &[u8]) -> Option<StoredAsset> {
        let kind = match asset.kind {
            AssetKind::File { .. } => "file",
            AssetKind::Directory { .. } => "directory",
            AssetKind::Image { .. } => "image",
        };
        Some(StoredAsset {
            name: asset.name.clone(),
            kind: kind.into(),
            hash: asset.hash.clone()?,
            key: asset.object_key()?,
            bytes: bytes.len() as u64,
            sha256: sha256_hex(bytes),
        })
    }

    /// Whether it is published to the bootstrap bucket (a file or a directory's zip).
    pub fn is_file(&self) -> bool {
        self.kind != "image"
    }
}

/// Keeps `bytes` as `asset` in the store, unless it is there already (then it must be the same bytes);
/// whether it was written.
pub async fn put(store: &Store, asset: &StoredAsset, bytes: Vec<u8>) -> Result<bool, ReleaseError> {
    if store.put_new(&asset.key, bytes).await? {
        return Ok(true);
    }
    let there = store.get(&asset.key).await?.map(|o| sha256_hex(&o.bytes));
    if there.as_deref() != Some(asset.sha256.as_str()) {
        return Err(ReleaseError::Damaged {
            id: asset.name.clone(),
            why: format!(
                "the store's `{}` is not the bytes of asset `{}` with that hash; delete it and create the release again",
                asset.key, asset.name
            ),
        });
    }
    Ok(false)
}

/// The bytes of `asset` of release `id`, checked against what the release lists.
pub async fn bytes(store: &Store, id: &str, asset: &StoredAsset) -> Result<Vec<u8>, ReleaseError> {
    let damaged = |why: String| ReleaseError::Damaged { id: id.into(), why };
    let object = store
        .get(&asset.key)
        .await?
        .ok_or_else(|| damaged(format!("its asset `{}` ({}) is missing from the store", asset.name, asset.key)))?;
    if sha256_hex(&object.bytes) != asset.sha256 {
        return Err(damaged(format!("the store's `{}` is not the bytes of its asset `{}`", asset.key, asset.name)));
    }
    Ok(object.bytes)
}

/// The assets release `id` lists (none for a release made before assets were kept).
pub async fn read(store: &Store, id: &str) -> Result<Vec<StoredAsset>, ReleaseError> {
    let Some(object) = store.get(&key(id, ASSETS_FILE)).await? else { return Ok(Vec::new()) };
    serde_json::from_slice(&object.bytes)
        .map_err(|e| ReleaseError::Damaged { id: id.into(), why: format!("its {ASSETS_FILE} cannot be read: {e}") })
}

/// `assets` as `assets.json` holds them: pretty JSON, sorted by name, with a final newline.
pub fn to_json(assets: &[StoredAsset]) -> Vec<u8> {
    let mut sorted = assets.to_vec();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let mut json = serde_json::to_string_pretty(&sorted).expect("assets serialize");
    json.push('\n');
    json.into_bytes()
}
