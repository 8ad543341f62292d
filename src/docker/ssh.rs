//! Reaching a Docker engine over SSH (`ssh://user@server`) with the host's key checked, always.
//!
//! The docker and compose command lines reach an `ssh://` host by running `ssh` from `PATH` with
//! `docker system dial-stdio`; whatever the user's `~/.ssh/config` says applies, `StrictHostKeyChecking
//! no` included. So every command slipway runs against a host goes through a small `ssh` of its own put
//! first on `PATH`: the real `ssh` with `StrictHostKeyChecking=yes` and `BatchMode=yes` given on the
//! command line (which wins over any configuration file), the pinned known-hosts file when one is given
//! (then only it: neither the user's nor the system's list), and the key to log in with when one is given.
//! An unknown host or one whose key changed is refused, and [`host_key_refused`] says so plainly.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::ComposeError;

/// How slipway logs in to `ssh://` hosts: the host keys it trusts and the key it logs in with.
#[derive(Clone, Debug)]
pub struct SshAccess {
    dir: Arc<tempfile::TempDir>,
    known_hosts: Option<PathBuf>,
}

impl SshAccess {
    /// Access that trusts only the host keys in `known_hosts` (OpenSSH's format; the user's own list when
    /// `None`) and logs in with the private key `identity` (the agent's and the default keys when `None`).
    /// Fails when `ssh` is not installed or a file given does not exist.
    pub fn new(known_hosts: Option<&Path>, identity: Option<&Path>) -> Result<Self, ComposeError> {
        for (what, file) in [("known-hosts file", known_hosts), ("SSH key", identity)] {
            if let Some(file) = file.filter(|f| !f.is_file()) {
                return Err(ComposeError::Ssh(format!("the {what} {} does not exist", file.display())));
            }
        }
        let real = which("ssh").ok_or_else(|| {
            ComposeError::Ssh("no `ssh` on PATH to reach an ssh:// Docker host; install OpenSSH's client".into())
        })?;
        let dir = tempfile::Builder::new()
            .prefix("slipway-ssh-")
            .tempdir()
            .map_err(|e| ComposeError::Ssh(format!("cannot make a directory for ssh's options: {e}")))?;
        let mut options =
            vec!["-o".to_string(), "StrictHostKeyChecking=yes".into(), "-o".into(), "BatchMode=yes".into()];
        // One connection for a run's many commands (each `ps`, `inspect`, `up` is one): the first opens it,
        // the others ride on it, and it closes a few seconds after the last.
        let control = dir.path().join("cm-%C");
        options.extend(["-o".into(), "ControlMaster=auto".into(), "-o".into(), "ControlPersist=5".into()]);
        options.extend(["-o".into(), format!("ControlPath={}", control.display())]);
        if let Some(file) = known_hosts {
            let file = absolute(file);
            options.extend(["-o".into(), format!("UserKnownHostsFile={}", file.display())]);
            options.extend(["-o".into(), "GlobalKnownHostsFile=/dev/null".into()]);
        }
        if let Some(key) = identity {
            options.extend([
                "-i".into(),
                absolute(key).display().to_string(),
                "-o".into(),
                "IdentitiesOnly=yes".into(),
            ]);
        }
        let quoted: Vec<String> = options.iter().map(|o| shell_quote(o)).collect();
        let script = format!(
            "#!/bin/sh\n# slipway's ssh: host keys are always checked.\nexec {} {} \"$@\"\n",
            shell_quote(&real.display().to_string()),
            quoted.join(" ")
        );
        let wrapper = dir.path().join("ssh");
        std::fs::write(&wrapper, script)
            .and_then(|()| {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o700))
            })
            .map_err(|e| ComposeError::Ssh(format!("cannot write {}: {e}", wrapper.display())))?;
        Ok(SshAccess { dir: Arc::new(dir), known_hosts: known_hosts.map(absolute) })
    }

    /// `PATH` for a command that may run `ssh`: slipway's first.
    pub(super) fn path(&self) -> OsString {
        let mut path = OsString::from(self.dir.path());
        if let Some(rest) = std::env::var_os("PATH") {
            path.push(":");
            path.push(rest);
        }
        path
    }

    /// The pinned known-hosts file, when one was given.
    pub fn known_hosts(&self) -> Option<&Path> {
        self.known_hosts.as_deref()
    }
}

/// Whether `said` (what a docker or compose command printed) is ssh refusing the host's key, and if so a
/// sentence saying what to do.
pub fn host_key_refused(said: &str, known_hosts: Option<&Path>) -> Option<String> {
    let pinned = known_hosts.map_or("your known_hosts".to_string(), |f| f.display().to_string());
    if said.contains("REMOTE HOST IDENTIFICATION HAS CHANGED") || said.contains("Host key for") {
        Some(format!(
            "the Docker host's SSH host key is not the one pinned in {pinned}: it changed (a reinstalled server, or \
             somebody in between); slipway refuses it. If the change is known, put the new key in {pinned}"
        ))
    } else if said.contains("Host key verification failed") || said.contains("No ED25519 host key is known") {
        Some(format!(
            "the Docker host's SSH host key is not in {pinned}, so it cannot be checked; slipway refuses unknown \
             hosts: add the host's key (`ssh-keyscan -p PORT HOST`, compared with the server's own) to {pinned}"
        ))
    } else {
        None
    }
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?.to_str()?.split(':').map(|d| Path::new(d).join(program)).find(|p| p.is_file())
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_or_unknown_host_key_is_told_apart_from_other_failures() {
        let changed =
            "@@@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\nHost key verification failed.";
        let pinned = Path::new("/ci/known_hosts");
        assert!(host_key_refused(changed, Some(pinned)).unwrap().contains("it changed"));
        let unknown = "stderr=Host key verification failed.\r\n";
        assert!(host_key_refused(unknown, Some(pinned)).unwrap().contains("is not in /ci/known_hosts"));
        assert_eq!(host_key_refused("connection refused", Some(pinned)), None);
    }

    #[test]
    fn missing_files_are_named() {
        let err = SshAccess::new(Some(Path::new("/nonexistent/known_hosts")), None).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/known_hosts does not exist"), "{err}");
    }
}
