//! Writes an artifact set to an output directory, all or nothing.
//!
//! The files are written to a fresh directory beside the target and swapped in with renames, so a failure
//! midway leaves the previous output as it was, never a half-written one. An existing directory is only
//! replaced when it is slipway's own output (its `manifest.json` lists every file in it): anything else a
//! user put there would be lost, so that is refused instead.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::ArtifactSet;
use super::manifest::{MANIFEST, Manifest};

/// Why the output could not be written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// The target exists and is a file.
    #[error("`{0}` exists and is not a directory; choose another --out")]
    NotADirectory(PathBuf),
    /// The target holds files slipway did not write.
    #[error(
        "`{dir}` holds files slipway did not write ({}); move them away or choose another --out",
        .files.join(", ")
    )]
    Foreign {
        /// The target directory.
        dir: PathBuf,
        /// Up to a few of the foreign files, relative to `dir`.
        files: Vec<String>,
    },
    /// The file system refused.
    #[error("could not write `{path}`: {source}")]
    Io {
        /// What was being written.
        path: PathBuf,
        /// Why it failed.
        source: io::Error,
    },
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> OutputError + '_ {
    move |source| OutputError::Io { path: path.to_path_buf(), source }
}

/// Replaces `dir` with exactly the files of `set`.
pub fn write(set: &ArtifactSet, dir: &Path) -> Result<(), OutputError> {
    let exists = match fs::symlink_metadata(dir) {
        Ok(m) if m.is_dir() => true,
        Ok(_) => return Err(OutputError::NotADirectory(dir.to_path_buf())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => false,
        Err(e) => return Err(io_err(dir)(e)),
    };
    if exists {
        refuse_foreign(dir)?;
    }
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(io_err(&parent))?;
    let base = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "out".into());
    let staging = parent.join(format!(".{base}.slipway-new-{}", std::process::id()));
    let retired = parent.join(format!(".{base}.slipway-old-{}", std::process::id()));
    if let Err(e) = write_tree(set, &staging) {
        let _ = fs::remove_dir_all(&staging);
        return Err(e);
    }
    if exists {
        if let Err(e) = fs::rename(dir, &retired) {
            let _ = fs::remove_dir_all(&staging);
            return Err(io_err(dir)(e));
        }
    }
    if let Err(e) = fs::rename(&staging, dir) {
        if exists {
            let _ = fs::rename(&retired, dir);
        }
        let _ = fs::remove_dir_all(&staging);
        return Err(io_err(dir)(e));
    }
    if exists {
        fs::remove_dir_all(&retired).map_err(io_err(&retired))?;
    }
    Ok(())
}

fn write_tree(set: &ArtifactSet, root: &Path) -> Result<(), OutputError> {
    fs::create_dir(root).map_err(io_err(root))?;
    for (rel, bytes) in set.files() {
        let path = root.join(&rel);
        if let Some(p) = path.parent() {
            fs::create_dir_all(p).map_err(io_err(p))?;
        }
        fs::write(&path, &bytes).map_err(io_err(&path))?;
    }
    Ok(())
}

/// Refuses a non-empty directory unless its manifest lists every file in it.
fn refuse_foreign(dir: &Path) -> Result<(), OutputError> {
    let found = list_files(dir).map_err(io_err(dir))?;
    if found.is_empty() {
        return Ok(());
    }
    let manifest = fs::read(dir.join(MANIFEST))
        .ok()
        .and_then(|b| serde_json::from_slice::<Manifest>(&b).ok())
        .filter(Manifest::is_slipways);
    let mut foreign: Vec<String> = match &manifest {
        Some(m) => found.into_iter().filter(|f| f != MANIFEST && !m.files.iter().any(|e| &e.path == f)).collect(),
        None => found,
    };
    if foreign.is_empty() {
        return Ok(());
    }
    foreign.sort();
    foreign.truncate(5);
    Err(OutputError::Foreign { dir: dir.to_path_buf(), files: foreign })
}

/// Every file below `dir`, as relative paths with `/`.
pub(super) fn list_files(dir: &Path) -> io::Result<Vec<String>> {
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(dir) {
        let entry = entry.map_err(io::Error::from)?;
        if entry.file_type().is_dir() {
            continue;
        }
        let rel = entry.path().strip_prefix(dir).unwrap_or(entry.path());
        out.push(rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/"));
    }
    Ok(out)
}
