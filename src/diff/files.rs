//! `slipway diff OLD NEW`: CloudFormation templates that slipway did not necessarily write, compared with
//! the same verdicts as the ones it did.
//!
//! Teams keep templates from before they adopted slipway, from other tools and from the console, and a
//! reviewer wants the same replacement and security verdicts on those. So two template files (JSON or
//! YAML, either one of each), or two directories of templates matched by relative path, are read into
//! the same [`Diff`] value that `--against` produces, and the same renderers show it: one group named
//! after the two paths ([`Subject::Templates`]), with a "stack" per template named by its relative path.
//!
//! In a directory, a file is a template when its name ends in one of [`TEMPLATE_EXTENSIONS`]; other files
//! and hidden files and directories (`.git`, `.aws-sam`) are not compared, and the caller is told which
//! were left out ([`Compared::skipped`]). A template that is neither JSON nor YAML is an error naming it,
//! never skipped.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::value::{ParseError, parse_template};
use super::{Diff, EnvironmentDiff, StackDiff, Subject};

/// The file-name endings (compared without regard to case) of the files in a directory that are read
/// as templates.
pub const TEMPLATE_EXTENSIONS: [&str; 4] = ["json", "yaml", "yml", "template"];

/// Why two paths could not be compared.
#[derive(Debug, thiserror::Error)]
pub enum FilesError {
    /// A path does not exist.
    #[error("`{}` does not exist", .0.display())]
    Missing(PathBuf),
    /// One path is a directory, the other a file.
    #[error("`{}` is a directory but `{}` is a file", dir.display(), file.display())]
    Mixed {
        /// The directory.
        dir: PathBuf,
        /// The file.
        file: PathBuf,
    },
    /// A file or directory could not be read.
    #[error("cannot read `{}`: {message}", path.display())]
    Read {
        /// What could not be read.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// A template is not text.
    #[error("`{}` is not UTF-8 text, so it is neither JSON nor YAML", .0.display())]
    NotText(PathBuf),
    /// A template could not be parsed.
    #[error("`{}` {source}", path.display())]
    Template {
        /// The template.
        path: PathBuf,
        /// Why.
        source: ParseError,
    },
    /// Neither directory holds a template.
    #[error("neither `{}` nor `{}` holds a template (a file ending in .json, .yaml, .yml or .template)", old.display(), new.display())]
    NoTemplates {
        /// The old directory.
        old: PathBuf,
        /// The new directory.
        new: PathBuf,
    },
}

impl FilesError {
    /// What the user can do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            FilesError::Missing(_) | FilesError::Read { .. } => "check the path; OLD and NEW are read as given",
            FilesError::Mixed { .. } => "give two template files, or two directories of templates",
            FilesError::NotText(_) | FilesError::Template { .. } => {
                "every file ending in .json, .yaml, .yml or .template is read as a CloudFormation template: fix \
                 it, or move it out of the directory"
            }
            FilesError::NoTemplates { .. } => "point OLD and NEW at the directories that hold the templates",
        }
    }
}

/// The diff of two paths, and what was not compared.
#[derive(Clone, Debug, PartialEq)]
pub struct Compared {
    /// The templates' differences, one group named `OLD → NEW`.
    pub diff: Diff,
    /// Files in either directory that are not templates, by relative path (sorted, each once).
    pub skipped: Vec<String>,
}

/// Compares `old` with `new`: two template files, or two directories of templates.
pub fn diff_paths(old: &Path, new: &Path) -> Result<Compared, FilesError> {
    for path in [old, new] {
        if std::fs::metadata(path).is_err() {
            return Err(FilesError::Missing(path.to_path_buf()));
        }
    }
    let name = format!("{} → {}", old.display(), new.display());
    let mut group = EnvironmentDiff { name, ..EnvironmentDiff::default() };
    let mut skipped = Vec::new();
    match (old.is_dir(), new.is_dir()) {
        (false, false) => {
            let (a, b) = (read_template(old)?, read_template(new)?);
            let file_name =
                |p: &Path| p.file_name().map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into_owned());
            let (a_name, b_name) = (file_name(old), file_name(new));
            let name = if a_name == b_name { b_name } else { format!("{a_name} → {b_name}") };
            group.stacks.extend(StackDiff::between(name, Some(&a), Some(&b)));
        }
        (true, true) => {
            let (a, b) = (list(old)?, list(new)?);
            if a.templates.is_empty() && b.templates.is_empty() {
                return Err(FilesError::NoTemplates { old: old.to_path_buf(), new: new.to_path_buf() });
            }
            let paths: BTreeSet<&String> = a.templates.keys().chain(b.templates.keys()).collect();
            for rel in paths {
                let read = |p: Option<&PathBuf>| p.map(|p| read_template(p)).transpose();
                let (x, y) = (read(a.templates.get(rel))?, read(b.templates.get(rel))?);
                group.stacks.extend(StackDiff::between(rel.clone(), x.as_ref(), y.as_ref()));
            }
            skipped = a.skipped.union(&b.skipped).cloned().collect();
        }
        (true, false) => return Err(FilesError::Mixed { dir: old.to_path_buf(), file: new.to_path_buf() }),
        (false, true) => return Err(FilesError::Mixed { dir: new.to_path_buf(), file: old.to_path_buf() }),
    }
    Ok(Compared { diff: Diff { environments: vec![group], subject: Subject::Templates }, skipped })
}

/// Reads and parses one template.
fn read_template(path: &Path) -> Result<Value, FilesError> {
    let bytes =
        std::fs::read(path).map_err(|e| FilesError::Read { path: path.to_path_buf(), message: e.to_string() })?;
    let text = String::from_utf8(bytes).map_err(|_| FilesError::NotText(path.to_path_buf()))?;
    parse_template(&text).map_err(|source| FilesError::Template { path: path.to_path_buf(), source })
}

/// A directory's files: templates by relative path, and the relative paths of the others.
struct Listing {
    templates: BTreeMap<String, PathBuf>,
    skipped: BTreeSet<String>,
}

fn list(root: &Path) -> Result<Listing, FilesError> {
    let mut out = Listing { templates: BTreeMap::new(), skipped: BTreeSet::new() };
    let hidden = |e: &walkdir::DirEntry| e.depth() > 0 && e.file_name().to_string_lossy().starts_with('.');
    // Symbolic links are followed, as a shell's `cp -rL` would see the tree; walkdir refuses a loop.
    let walk = walkdir::WalkDir::new(root).follow_links(true).sort_by_file_name().into_iter();
    for entry in walk.filter_entry(|e| !hidden(e)) {
        let entry = entry
            .map_err(|e| FilesError::Read { path: e.path().unwrap_or(root).to_path_buf(), message: e.to_string() })?;
        if entry.file_type().is_dir() {
            continue;
        }
        let rel = entry.path().strip_prefix(root).unwrap_or(entry.path());
        let rel = rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
        if is_template(entry.path()) {
            out.templates.insert(rel, entry.path().to_path_buf());
        } else {
            out.skipped.insert(rel);
        }
    }
    Ok(out)
}

/// Whether a file in a directory is read as a template (by its name: see [`TEMPLATE_EXTENSIONS`]).
pub fn is_template(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| TEMPLATE_EXTENSIONS.iter().any(|t| t.eq_ignore_ascii_case(e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_are_known_by_their_extension() {
        for yes in ["a.json", "b.template.json", "c.YAML", "d.yml", "e.template"] {
            assert!(is_template(Path::new(yes)), "{yes}");
        }
        for no in ["README.md", "params.txt", "json", "template", ".yaml.bak"] {
            assert!(!is_template(Path::new(no)), "{no}");
        }
    }
}
