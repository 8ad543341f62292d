//! The definitions' program reads its assets' files (the one place it reads files besides its own
//! output): each asset's hash before synthesis, and, for `release create`, its bytes: a file as it is, a
//! directory as a zip that is the same bytes for the same files (entries sorted by path, stored
//! uncompressed, every time 1980-01-01 00:00, no extra fields, hidden files left out), so that making a
//! release twice gives one stored asset and a template changes exactly when its code does.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::model::{Asset, AssetKind, Definitions};
use crate::synth::sha256_hex;

/// Why an asset cannot be hashed or read.
#[derive(Debug, thiserror::Error)]
#[error("asset `{name}` ({path}): {reason}")]
pub struct AssetError {
    /// The asset.
    pub name: String,
    /// The file or directory it was read from.
    pub path: String,
    /// Why.
    pub reason: String,
}

/// The directory `definitions`' asset paths are relative to: theirs ([`Definitions::assets_in`]), else the
/// directory the program runs in (the project's top, where slipway runs it).
pub fn root(definitions: &Definitions) -> PathBuf {
    PathBuf::from(definitions.assets_root.as_deref().unwrap_or("."))
}

/// `definitions` with every asset hashed, its paths relative to `root` (the project's top directory).
pub fn hashed(definitions: &Definitions, root: &Path) -> Result<Definitions, AssetError> {
    let mut out = definitions.clone();
    for asset in &mut out.project.assets {
        asset.hash = Some(hash(asset, root)?);
    }
    Ok(out)
}

/// What a synthesis writes beside the templates of every asset of `definitions` (hashed), by key: a file
/// or directory asset's bytes under the key it is stored and published under, an image's build context
/// (zipped) under [`Asset::context_key`].
pub fn files(definitions: &Definitions, root: &Path) -> Result<BTreeMap<String, Vec<u8>>, AssetError> {
    let mut out = BTreeMap::new();
    for asset in &definitions.project.assets {
        match (&asset.kind, asset.object_key(), asset.context_key()) {
            (AssetKind::Image { context, .. }, _, Some(key)) => {
                let zip = zip_dir(&root.join(context)).map_err(|reason| fail(asset, context, reason))?;
                out.insert(key, zip);
            }
            (_, Some(key), _) => {
                out.insert(key, bytes(asset, root)?);
            }
            _ => {}
        }
    }
    Ok(out)
}

/// The hash of `asset`: the SHA-256 of its bytes (a file, a directory's zip); of its Dockerfile's name
/// and its context's files (an image).
pub fn hash(asset: &Asset, root: &Path) -> Result<String, AssetError> {
    match &asset.kind {
        AssetKind::File { .. } | AssetKind::Directory { .. } => Ok(sha256_hex(&bytes(asset, root)?)),
        AssetKind::Image { context, dockerfile } => {
            let files = zip_dir(&root.join(context)).map_err(|reason| fail(asset, context, reason))?;
            if !root.join(context).join(dockerfile).is_file() {
                return Err(fail(asset, context, format!("it holds no Dockerfile `{dockerfile}`")));
            }
            Ok(image_hash(dockerfile, &files))
        }
    }
}

/// The hash of an image asset built with `dockerfile` from the context whose zip is `context`: what the
/// definitions' program refers to it by, and what `release create` checks the synthesized context against.
pub fn image_hash(dockerfile: &str, context: &[u8]) -> String {
    sha256_hex(&[b"slipway image\0".as_slice(), dockerfile.as_bytes(), b"\0", context].concat())
}

/// What is stored and published of a file or directory asset: the file's bytes, the directory's zip.
/// (An image is built and pushed instead; its bytes are not read here.)
pub fn bytes(asset: &Asset, root: &Path) -> Result<Vec<u8>, AssetError> {
    match &asset.kind {
        AssetKind::File { path } => std::fs::read(root.join(path)).map_err(|e| {
            let reason = match e.kind() {
                std::io::ErrorKind::NotFound => "there is no such file".to_string(),
                _ => e.to_string(),
            };
            fail(asset, path, reason)
        }),
        AssetKind::Directory { path } => zip_dir(&root.join(path)).map_err(|reason| fail(asset, path, reason)),
        AssetKind::Image { context, .. } => {
            Err(fail(asset, context, "an image is built and pushed, not read as bytes".into()))
        }
    }
}

fn fail(asset: &Asset, path: &str, reason: String) -> AssetError {
    AssetError { name: asset.name.clone(), path: path.into(), reason }
}

/// The zip of every file below `dir` (hidden files and directories, such as `.git`, left out); why not.
pub fn zip_dir(dir: &Path) -> Result<Vec<u8>, String> {
    if !dir.is_dir() {
        return Err(if dir.exists() { "it is not a directory" } else { "there is no such directory" }.into());
    }
    let mut files = Vec::new();
    walk(dir, dir, &mut files).map_err(|e| e.to_string())?;
    files.sort();
    let mut entries = Vec::new();
    for path in files {
        let data = std::fs::read(dir.join(&path)).map_err(|e| format!("{}: {e}", path.display()))?;
        let name = path.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
        entries.push((name, data));
    }
    if entries.is_empty() {
        return Err("it holds no files".into());
    }
    zip(&entries)
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

/// The entries of a zip that [`zip`] wrote (stored, no data descriptors), read from its local headers in
/// order: (name, bytes). Why not, for anything else (a compressed entry, a short or damaged file).
pub fn unzip(bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, String> {
    let u16at = |at: usize| bytes.get(at..at + 2).map(|b| u16::from_le_bytes([b[0], b[1]]) as usize);
    let u32at = |at: usize| bytes.get(at..at + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize);
    let short = || "the zip ends in the middle of an entry".to_string();
    let mut out = Vec::new();
    let mut at = 0;
    while u32at(at) == Some(0x0403_4b50) {
        let (flags, method) = (u16at(at + 6).ok_or_else(short)?, u16at(at + 8).ok_or_else(short)?);
        if flags & 0x8 != 0 || method != 0 {
            return Err(format!("entry {} is compressed or streamed; only stored entries are read", out.len() + 1));
        }
        let crc = u32at(at + 14).ok_or_else(short)?;
        let size = u32at(at + 18).ok_or_else(short)?;
        let (name_len, extra_len) = (u16at(at + 26).ok_or_else(short)?, u16at(at + 28).ok_or_else(short)?);
        let name_at = at + 30;
        let data_at = name_at + name_len + extra_len;
        let name = bytes.get(name_at..name_at + name_len).ok_or_else(short)?;
        let data = bytes.get(data_at..data_at + size).ok_or_else(short)?;
        let name = String::from_utf8_lossy(name).into_owned();
        if crc32(data) as usize != crc {
            return Err(format!("entry `{name}` is damaged (its CRC-32 differs)"));
        }
        out.push((name, data.to_vec()));
        at = data_at + size;
    }
    if u32at(at) != Some(0x0201_4b50) && u32at(at) != Some(0x0605_4b50) {
        return Err("it is not a zip slipway wrote (no local or central header where one was due)".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zip_reads_back_as_the_entries_written() {
        let entries = vec![("Dockerfile".to_string(), b"FROM x\n".to_vec()), ("a/b.txt".to_string(), vec![0, 1, 2])];
        assert_eq!(unzip(&zip(&entries).unwrap()).unwrap(), entries);
        let mut damaged = zip(&entries).unwrap();
        let last = damaged.iter().position(|&b| b == 0).unwrap();
        damaged.truncate(last);
        assert!(unzip(&damaged).is_err());
        assert!(unzip(b"not a zip").is_err());
    }
}
