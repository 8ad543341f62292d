//! The code of a service staged by buildpacks on cloud.gov (its "bits"), as a release carries it: the
//! files of its source directory in a zip that is the same bytes for the same files (entries sorted by
//! path, stored uncompressed, every time 1980-01-01 00:00, no extra fields), so that a deploy, a promotion
//! and a later rollback upload exactly what was released, and making a release twice gives one release.

use std::path::{Path, PathBuf};

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
    let fail = |reason: String| BitsError { service: service.into(), dir: dir.display().to_string(), reason };
    if !dir.is_dir() {
        return Err(fail("it is not a directory".into()));
    }
    let mut files = Vec::new();
    walk(dir, dir, &mut files).map_err(|e| fail(e.to_string()))?;
    files.sort();
    let mut entries = Vec::new();
    for path in files {
        let data = std::fs::read(dir.join(&path)).map_err(|e| fail(format!("{}: {e}", path.display())))?;
        let name = path.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
        entries.push((name, data));
    }
    if entries.is_empty() {
        return Err(fail("it holds no files".into()));
    }
    zip(&entries).map_err(fail)
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            walk(root, &path, out)?;
        } else if entry.file_type()?.is_file() {
            out.push(path.strip_prefix(root).expect("below the root").to_path_buf());
        }
    }
    Ok(())
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// A stored zip of `entries`, in the order given (PKWARE APPNOTE 4.3: local headers, the central
/// directory, its end record); why not, when an entry or the whole is too big for the format.
pub fn zip(entries: &[(impl AsRef<str>, impl AsRef<[u8]>)]) -> Result<Vec<u8>, String> {
    let u16le = |v: usize| u16::try_from(v).map(u16::to_le_bytes).map_err(|_| format!("{v} does not fit a zip"));
    let u32le =
        |v: usize| u32::try_from(v).map(u32::to_le_bytes).map_err(|_| "over 4 GiB: too big for a zip".to_string());
    let (mut out, mut central) = (Vec::new(), Vec::new());
    for (name, data) in entries {
        let (name, data) = (name.as_ref(), data.as_ref());
        let offset = out.len();
        // Version 2.0, no flags, stored, 1980-01-01 00:00.
        let common = [
            &u16le(20)?[..],
            &u16le(0)?,
            &u16le(0)?,
            &u16le(0)?,
            &u16le(0x21)?,
            &crc32(data).to_le_bytes(),
            &u32le(data.len())?,
            &u32le(data.len())?,
            &u16le(name.len())?,
            &u16le(0)?,
        ]
        .concat();
        out.extend([&0x0403_4b50u32.to_le_bytes()[..], &common, name.as_bytes(), data].concat());
        central.extend(
            [
                &0x0201_4b50u32.to_le_bytes()[..],
                &u16le(20)?,
                &common,
                &u16le(0)?,
                &u16le(0)?,
                &u16le(0)?,
                &u32le(0)?,
                &u32le(offset)?,
                name.as_bytes(),
            ]
            .concat(),
        );
    }
    let (central_offset, central_size) = (out.len(), central.len());
    out.extend(central);
    out.extend(
        [
            &0x0605_4b50u32.to_le_bytes()[..],
            &u16le(0)?,
            &u16le(0)?,
            &u16le(entries.len())?,
            &u16le(entries.len())?,
            &u32le(central_size)?,
            &u32le(central_offset)?,
            &u16le(0)?,
        ]
        .concat(),
    );
    Ok(out)
}
