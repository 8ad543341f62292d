//! Why a release cannot be made from what it was asked to be made of: apart from `release.rs`, which
//! makes releases, so that the parts it calls (`assets.rs`) can refuse with it without importing it back.

use std::path::PathBuf;

use crate::synth::MANIFEST;

/// Why a release cannot be made from what it was asked to be made of.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// A service's source directory cannot be zipped into the release.
    #[error("{0}")]
    Bits(String),
    /// An asset cannot be built, read or kept.
    #[error("{0}")]
    Asset(String),
    /// A file of the synth directory changed after `synth` wrote it.
    #[error(
        "`{}` changed after `slipway synth` wrote it (its SHA-256 differs from the one in {MANIFEST}); refusing to \
         {doing} what was not reviewed",
        .path.display()
    )]
    Edited {
        /// The file.
        path: PathBuf,
        /// What was refused (`deploy`, `release`).
        doing: &'static str,
    },
    /// A file of an environment is in the directory but not in its manifest.
    #[error("`{}` is not listed in {MANIFEST}: slipway did not write it, so it would not be deployed", .0.display())]
    Unlisted(PathBuf),
    /// The directory holds no templates for the environment being deployed.
    #[error("`{}` holds no CloudFormation templates for environment `{env}` (it was synthesized for: {})", .dir.display(), .synthesized.join(", "))]
    NoTemplates {
        /// The directory.
        dir: PathBuf,
        /// The environment.
        env: String,
        /// What it was synthesized for.
        synthesized: Vec<String>,
    },
    /// The working tree has uncommitted changes.
    #[error(
        "the working tree has uncommitted changes ({}{}), so a release of it would not be commit {commit}",
        .paths.iter().take(5).map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", "),
        if .paths.len() > 5 { format!(" and {} more", .paths.len() - 5) } else { String::new() }
    )]
    Dirty {
        /// The commit the release would name.
        commit: String,
        /// What differs from it.
        paths: Vec<String>,
    },
    /// The directory cannot be read as a synth output directory.
    #[error(transparent)]
    Read(#[from] crate::synth::ReadError),
}
