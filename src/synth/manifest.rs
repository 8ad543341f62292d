//! `manifest.json`: every file of an output directory with its SHA-256, so that CI can tell exactly what
//! a synthesis produced and `synth` can tell its own output directory from anything else.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Artifacts;

/// The manifest's file name, at the top of the output directory.
pub const MANIFEST: &str = "manifest.json";

/// One file of the output.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestEntry {
    /// Path relative to the output directory, with `/`.
    pub path: String,
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256 of the contents, in hex.
    pub sha256: String,
}

/// The manifest of an output directory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always `slipway`: marks a directory slipway may replace.
    pub generator: String,
    /// The manifest's format version.
    pub format: u32,
    /// The environments synthesized.
    pub environments: Vec<String>,
    /// Every file but the manifest itself, sorted by path.
    pub files: Vec<ManifestEntry>,
    /// The assets' files (`assets/<hash>.zip`), sorted by path: the project's code, beside its artifacts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assets: Vec<ManifestEntry>,
}

impl Manifest {
    /// The manifest of `artifacts`, synthesized for `environments`; entries sorted by path.
    pub fn of(artifacts: &Artifacts, environments: &[String]) -> Self {
        let mut files: Vec<ManifestEntry> = artifacts
            .iter()
            .map(|(key, bytes)| ManifestEntry {
                path: key.path(),
                bytes: bytes.len() as u64,
                sha256: sha256_hex(bytes),
            })
            .collect();
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Manifest { generator: "slipway".into(), format: 1, environments: environments.to_vec(), files, assets: vec![] }
    }

    /// The same manifest, listing `assets` (key to bytes) too.
    pub fn with_assets(mut self, assets: &std::collections::BTreeMap<String, Vec<u8>>) -> Self {
        self.assets = assets
            .iter()
            .map(|(path, bytes)| ManifestEntry {
                path: path.clone(),
                bytes: bytes.len() as u64,
                sha256: sha256_hex(bytes),
            })
            .collect();
        self
    }

    /// Whether `path` is a file it lists, an artifact or an asset.
    pub fn lists(&self, path: &str) -> bool {
        self.files.iter().chain(&self.assets).any(|e| e.path == path)
    }

    /// Whether this is a manifest slipway wrote.
    pub fn is_slipways(&self) -> bool {
        self.generator == "slipway"
    }

    /// Pretty JSON with a final newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("a manifest serializes");
        s.push('\n');
        s
    }
}

/// The SHA-256 of `bytes`, in lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    Sha256::digest(bytes).iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}
