//! Writes an artifact set to an output directory, all or nothing.
//!
//! The files are written to a fresh directory beside the target and swapped in with renames, so a failure
//! midway leaves the previous output as it was, never a half-written one. An existing directory is only
//! replaced when it is slipway's own output (its `manifest.json` lists every file in it): anything else a
//! user put there would be lost, so that is refused instead. A target that is a symbolic link to a
//! directory is written through (the directory it points to is replaced, the link stays), and the new
//! directory keeps the old one's permissions. Errors name the user's path, never the temporary one.

use std::collections::BTreeSet;
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
    #[error("could not write `{}`: {source}{}", .path.display(), .why.map(|w| format!(" ({w})")).unwrap_or_default())]
    Io {
        /// The output directory, as the user named it.
        path: PathBuf,
        /// What slipway needed that the file system refused, when it is not plain from `source`.
        why: Option<&'static str>,
        /// Why it failed.
        source: io::Error,
    },
}

/// An I/O error while writing `dir` (the user's path), with what was needed.
fn failed<'a>(dir: &'a Path, why: Option<&'static str>) -> impl FnOnce(io::Error) -> OutputError + 'a {
    move |source| OutputError::Io { path: dir.to_path_buf(), why, source }
}

/// slipway writes a new directory beside the old one and swaps it in, so the parent must be writable.
const BESIDE: Option<&str> =
    Some("slipway writes the new output beside it and swaps it in, so its parent directory must be writable");

/// Replaces `dir` with exactly the files of `set`.
pub fn write(set: &ArtifactSet, dir: &Path) -> Result<(), OutputError> {
    // A link to a directory is written through: the directory it points to is replaced.
    let target = match fs::symlink_metadata(dir) {
        Ok(m) if m.file_type().is_symlink() => match fs::canonicalize(dir) {
            Ok(real) if real.is_dir() => Some(real),
            Ok(_) => return Err(OutputError::NotADirectory(dir.to_path_buf())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(OutputError::Io {
                    path: dir.to_path_buf(),
                    why: Some("it is a link to nothing"),
                    source: e,
                });
            }
            Err(e) => return Err(failed(dir, None)(e)),
        },
        Ok(m) if m.is_dir() => Some(dir.to_path_buf()),
        Ok(_) => return Err(OutputError::NotADirectory(dir.to_path_buf())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(failed(dir, None)(e)),
    };
    if let Some(existing) = &target {
        refuse_foreign(existing, dir)?;
    }
    let real = target.clone().unwrap_or_else(|| dir.to_path_buf());
    let parent = match real.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(failed(dir, None))?;
    let base = real.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "out".into());
    let staging = parent.join(format!(".{base}.slipway-new-{}", std::process::id()));
    let retired = parent.join(format!(".{base}.slipway-old-{}", std::process::id()));
    let permissions =
        target.as_ref().map(fs::metadata).transpose().map_err(failed(dir, None))?.map(|m| m.permissions());
    let written = write_tree(set, &staging, dir).and_then(|()| match permissions {
        Some(p) => fs::set_permissions(&staging, p).map_err(failed(dir, None)),
        None => Ok(()),
    });
    if let Err(e) = written {
        let _ = fs::remove_dir_all(&staging);
        return Err(e);
    }
    if target.is_some()
        && let Err(e) = fs::rename(&real, &retired)
    {
        let _ = fs::remove_dir_all(&staging);
        return Err(failed(dir, BESIDE)(e));
    }
    if let Err(e) = fs::rename(&staging, &real) {
        if target.is_some() {
            let _ = fs::rename(&retired, &real);
        }
        let _ = fs::remove_dir_all(&staging);
        return Err(failed(dir, BESIDE)(e));
    }
    if target.is_some() {
        fs::remove_dir_all(&retired)
            .map_err(failed(dir, Some("the new output is in place; the old one could not be removed")))?;
    }
    Ok(())
}

/// Writes every file of `set` below `root`, a fresh directory beside `dir`: each artifact from where the
/// set holds it (no copy of its bytes), each directory created once.
fn write_tree(set: &ArtifactSet, root: &Path, dir: &Path) -> Result<(), OutputError> {
    fs::create_dir(root).map_err(failed(dir, BESIDE))?;
    let mut made: BTreeSet<PathBuf> = BTreeSet::new();
    let manifest = set.manifest().to_json();
    let files = set.artifacts.iter().map(|(k, v)| (k.path(), v.as_slice()));
    let assets = set.assets.iter().map(|(k, v)| (k.clone(), v.as_slice()));
    for (rel, bytes) in files.chain(assets).chain([(MANIFEST.to_string(), manifest.as_bytes())]) {
        let path = root.join(&rel);
        if let Some(p) = path.parent()
            && !made.contains(p)
        {
            fs::create_dir_all(p).map_err(failed(dir, None))?;
            made.insert(p.to_path_buf());
        }
        fs::write(&path, bytes).map_err(failed(dir, None))?;
    }
    Ok(())
}

/// Refuses a non-empty directory unless its manifest lists every file in it; `shown` is the path the
/// user gave for it.
fn refuse_foreign(dir: &Path, shown: &Path) -> Result<(), OutputError> {
    let found = list_files(dir).map_err(failed(shown, None))?;
    if found.is_empty() {
        return Ok(());
    }
    let manifest = fs::read(dir.join(MANIFEST))
        .ok()
        .and_then(|b| serde_json::from_slice::<Manifest>(&b).ok())
        .filter(Manifest::is_slipways);
    let mut foreign: Vec<String> = match &manifest {
        Some(m) => found.into_iter().filter(|f| f != MANIFEST && !m.lists(f)).collect(),
        None => found,
    };
    if foreign.is_empty() {
        return Ok(());
    }
    foreign.sort();
    foreign.truncate(5);
    Err(OutputError::Foreign { dir: shown.to_path_buf(), files: foreign })
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
