//! Reading a `slipway synth` output directory back: its manifest, and every file the manifest lists,
//! each checked against the SHA-256 the manifest recorded, so that a deploy of the directory deploys
//! exactly what was synthesized (and reviewed), and a diff against it knows what changed since.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::artifact::{ArtifactKey, Artifacts};
use super::manifest::{MANIFEST, Manifest, sha256_hex};

/// Why a directory could not be read as a synth output directory.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The path is not a directory.
    #[error("`{0}` is not a directory")]
    NotADirectory(PathBuf),
    /// No manifest, or not one slipway wrote.
    #[error("`{dir}` is not a `slipway synth` output directory: {why}")]
    NoManifest {
        /// The directory.
        dir: PathBuf,
        /// What is wrong with its manifest.
        why: String,
    },
    /// The manifest lists a path where slipway puts no artifact.
    #[error("`{manifest}` lists `{path}`, which is not where slipway writes an artifact")]
    UnknownPath {
        /// The manifest's path.
        manifest: PathBuf,
        /// The listed path.
        path: String,
    },
    /// A listed file cannot be read (it is missing, say).
    #[error("`{path}`, which {MANIFEST} lists, cannot be read: {source}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
}

/// A synth output directory as read.
#[derive(Clone, Debug)]
pub struct SynthDir {
    /// Its manifest.
    pub manifest: Manifest,
    /// The files the manifest lists, as they are now.
    pub artifacts: Artifacts,
    /// Listed files whose contents no longer match the manifest's SHA-256 (relative paths).
    pub changed: Vec<String>,
    /// Files in the directory that the manifest does not list (relative paths).
    pub unlisted: Vec<String>,
    /// The assets' files the manifest lists, by path (`assets/<hash>.zip`).
    pub assets: std::collections::BTreeMap<String, Vec<u8>>,
}

/// Reads the synth output directory `dir`: the manifest and every file it lists, restricted to the
/// environments in `only` (all when empty).
pub fn read_dir(dir: &Path, only: &[String]) -> Result<SynthDir, ReadError> {
    if !dir.is_dir() {
        return Err(ReadError::NotADirectory(dir.to_path_buf()));
    }
    let manifest_path = dir.join(MANIFEST);
    let bytes = fs::read(&manifest_path)
        .map_err(|e| ReadError::NoManifest { dir: dir.to_path_buf(), why: format!("cannot read {MANIFEST}: {e}") })?;
    let manifest: Manifest = serde_json::from_slice(&bytes).ok().filter(Manifest::is_slipways).ok_or_else(|| {
        ReadError::NoManifest { dir: dir.to_path_buf(), why: format!("its {MANIFEST} is not one slipway wrote") }
    })?;
    let mut artifacts = Artifacts::new();
    let mut changed = Vec::new();
    for entry in &manifest.files {
        let key = ArtifactKey::from_path(&entry.path)
            .ok_or_else(|| ReadError::UnknownPath { manifest: manifest_path.clone(), path: entry.path.clone() })?;
        if !only.is_empty() && !key.environment().is_some_and(|e| only.iter().any(|o| o == e)) {
            continue;
        }
        let path = dir.join(&entry.path);
        let contents = fs::read(&path).map_err(|source| ReadError::Unreadable { path, source })?;
        if sha256_hex(&contents) != entry.sha256 {
            changed.push(entry.path.clone());
        }
        artifacts.insert(key, contents);
    }
    let mut assets = std::collections::BTreeMap::new();
    for entry in &manifest.assets {
        let path = dir.join(&entry.path);
        let contents = fs::read(&path).map_err(|source| ReadError::Unreadable { path, source })?;
        if sha256_hex(&contents) != entry.sha256 {
            changed.push(entry.path.clone());
        }
        assets.insert(entry.path.clone(), contents);
    }
    let mut unlisted: Vec<String> = super::output::list_files(dir)
        .map_err(|source| ReadError::Unreadable { path: dir.to_path_buf(), source })?
        .into_iter()
        .filter(|f| f != MANIFEST && !manifest.lists(f))
        .collect();
    unlisted.sort();
    Ok(SynthDir { manifest, artifacts, changed, unlisted, assets })
}
