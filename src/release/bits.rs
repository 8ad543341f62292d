//! The code of a service staged by buildpacks on cloud.gov (its "bits"), as a release carries it: the
//! files of its source directory in a zip that is the same bytes for the same files (the definitions'
//! deterministic zip, [`crate::app::assets::zip_dir`]), so that a deploy, a promotion and a later rollback
//! upload exactly what was released, and making a release twice gives one release.

use std::path::Path;

pub use crate::app::assets::zip;

/// Why a source directory cannot be zipped.
#[derive(Debug, thiserror::Error)]
#[error("cannot zip the source of service `{service}` ({dir}): {reason}")]
pub struct BitsError {
    /// The service.
    pub service: String,
    /// The directory.
    pub dir: String,
    /// Why.
    pub reason: String,
}

/// The zip of every file below `dir` (hidden files and directories, such as `.git`, left out).
pub fn zip_dir(service: &str, dir: &Path) -> Result<Vec<u8>, BitsError> {
    crate::app::assets::zip_dir(dir).map_err(|reason| BitsError {
        service: service.into(),
        dir: dir.display().to_string(),
        reason,
    })
}
