//! What git says about the working tree a command runs in: its top, the commit checked out, the branch,
//! and whether anything is uncommitted. On the floor beside the other clients: it runs the `git` command
//! line and imports no engine module. Every answer is `None` outside a git working tree (or without git),
//! and callers say what that means for them.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The top of the git working tree around `dir`, found by its `.git`; `None` outside one.
pub fn top(dir: &Path) -> Option<PathBuf> {
    dir.ancestors().find(|d| d.join(".git").exists()).map(Path::to_path_buf)
}

/// The commit checked out in `dir` (`git rev-parse HEAD`).
pub fn head(dir: &Path) -> Option<String> {
    run(dir, &["rev-parse", "HEAD"])
}

/// The branch checked out in `dir`, short (`main`); `None` on a detached head.
pub fn branch(dir: &Path) -> Option<String> {
    run(dir, &["symbolic-ref", "--short", "-q", "HEAD"])
}

/// The user's name as git knows it (`git config user.name`).
pub fn user_name(dir: &Path) -> Option<String> {
    run(dir, &["config", "user.name"])
}

/// The paths in `dir`'s working tree whose content is not what HEAD holds: modified, added, deleted,
/// renamed and untracked files (ignored ones are not), relative to the top; `None` outside a working tree.
pub fn uncommitted(dir: &Path) -> Option<Vec<String>> {
    let out = Command::new("git")
        .args(["status", "--porcelain=v1", "-z", "--untracked-files=all"])
        .current_dir(dir)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut paths = Vec::new();
    let mut entries = text.split('\0').filter(|e| !e.is_empty());
    while let Some(entry) = entries.next() {
        let (status, path) = entry.split_at(entry.len().min(3));
        paths.push(path.to_string());
        // A rename or copy is followed by the path it came from, which is not a change of its own.
        if status.starts_with('R') || status.starts_with('C') {
            entries.next();
        }
    }
    paths.sort();
    paths.dedup();
    Some(paths)
}

fn run(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).current_dir(dir).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string()).filter(|s| !s.is_empty())
}
