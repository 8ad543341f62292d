//! The store in a directory, safe for several slipway processes on one machine: an object is written to a
//! temporary file and hard-linked to its name (which fails if the name exists, and never shows a reader
//! half a file); a conditional delete runs under an exclusive lock of the store's `.lock` file.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::{Object, StoreError};
use crate::synth::sha256_hex;

/// A store in a directory.
#[derive(Clone, Debug)]
pub struct LocalStore {
    root: PathBuf,
}

/// The prefix of temporary files, which listings skip.
const TEMPORARY: &str = ".tmp-";

impl LocalStore {
    /// The store in `root`.
    pub fn new(root: &Path) -> Self {
        LocalStore { root: root.to_path_buf() }
    }

    /// Its directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path(&self, key: &str) -> PathBuf {
        key.split('/').fold(self.root.clone(), |p, part| p.join(part))
    }

    fn io(&self, path: &Path) -> impl FnOnce(io::Error) -> StoreError + '_ {
        let path = path.to_path_buf();
        move |source| StoreError::Io { path, source }
    }

    pub(super) fn put_new(&self, key: &str, bytes: &[u8]) -> Result<bool, StoreError> {
        let path = self.path(key);
        let dir = path.parent().expect("a key has a file name");
        fs::create_dir_all(dir).map_err(self.io(dir))?;
        if path.exists() {
            return Ok(false);
        }
        let temporary = dir.join(format!("{TEMPORARY}{}-{}", std::process::id(), fastrand::u64(..)));
        let written = fs::File::create_new(&temporary).and_then(|mut f| {
            f.write_all(bytes)?;
            f.sync_all()
        });
        if let Err(e) = written {
            let _ = fs::remove_file(&temporary);
            return Err(self.io(&path)(e));
        }
        let linked = fs::hard_link(&temporary, &path);
        let _ = fs::remove_file(&temporary);
        match linked {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(self.io(&path)(e)),
        }
    }

    pub(super) fn get(&self, key: &str) -> Result<Option<Object>, StoreError> {
        let path = self.path(key);
        match fs::read(&path) {
            Ok(bytes) => Ok(Some(Object { etag: sha256_hex(&bytes), bytes })),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.io(&path)(e)),
        }
    }

    pub(super) fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        // The prefix may end inside a file name (`ledger/dev/2026`): walk the directory it is in.
        let dir = match prefix.rfind('/') {
            Some(i) => self.path(&prefix[..i]),
            None => self.root.clone(),
        };
        if !dir.is_dir() {
            return Ok(Vec::new());
        }
        let mut keys = Vec::new();
        for entry in walkdir::WalkDir::new(&dir) {
            let entry = entry.map_err(|e| self.io(&dir)(io::Error::from(e)))?;
            let name = entry.file_name().to_string_lossy();
            if entry.file_type().is_dir() || name.starts_with(TEMPORARY) || name == ".lock" {
                continue;
            }
            let rel = entry.path().strip_prefix(&self.root).unwrap_or(entry.path());
            let key = rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
            if key.starts_with(prefix) {
                keys.push(key);
            }
        }
        keys.sort();
        Ok(keys)
    }

    /// Deletes `key`, and the directories it leaves empty (`releases/<id>/` once a gc took its last file).
    pub(super) fn delete(&self, key: &str) -> Result<(), StoreError> {
        let path = self.path(key);
        match fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(self.io(&path)(e)),
        }
        let mut dir = path.parent();
        while let Some(d) = dir.filter(|d| *d != self.root && d.starts_with(&self.root)) {
            if fs::remove_dir(d).is_err() {
                break;
            }
            dir = d.parent();
        }
        Ok(())
    }

    pub(super) fn delete_if(&self, key: &str, etag: &str) -> Result<bool, StoreError> {
        fs::create_dir_all(&self.root).map_err(self.io(&self.root))?;
        let lock_path = self.root.join(".lock");
        let lock = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(self.io(&lock_path))?;
        lock.lock().map_err(self.io(&lock_path))?;
        let path = self.path(key);
        let result = match fs::read(&path) {
            Ok(bytes) if sha256_hex(&bytes) == etag => fs::remove_file(&path).map(|()| true),
            Ok(_) => Ok(false),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        };
        let _ = lock.unlock();
        result.map_err(self.io(&path))
    }
}
