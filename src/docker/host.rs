//! Where a Docker engine is: `DOCKER_HOST`'s forms, checked before any command runs.

use std::fmt;

use super::ComposeError;

/// A Docker host, as `DOCKER_HOST` names it: `unix:///var/run/docker.sock`, `tcp://host:2376` or
/// `ssh://user@server`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DockerHost(String);

impl DockerHost {
    /// The host `host`, refused unless it is a `unix://`, `tcp://` or `ssh://` address.
    pub fn parse(host: &str) -> Result<Self, ComposeError> {
        let valid = ["unix:///", "tcp://", "ssh://"].iter().any(|scheme| {
            host.strip_prefix(scheme).is_some_and(|rest| !rest.is_empty() && !rest.chars().any(char::is_whitespace))
        });
        if valid { Ok(DockerHost(host.to_string())) } else { Err(ComposeError::BadHost { host: host.to_string() }) }
    }

    /// The host `DOCKER_HOST` names, if it is set.
    pub fn from_env() -> Result<Option<Self>, ComposeError> {
        crate::vars::var("DOCKER_HOST").map(|h| Self::parse(&h)).transpose()
    }

    /// The address, as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DockerHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_hosts_are_unix_tcp_or_ssh_addresses() {
        for ok in ["unix:///var/run/docker.sock", "tcp://10.0.0.5:2376", "ssh://deploy@demo.example"] {
            assert_eq!(DockerHost::parse(ok).unwrap().as_str(), ok);
        }
        for bad in ["", "/var/run/docker.sock", "unix://", "ssh://", "http://x", "tcp://a b"] {
            let err = DockerHost::parse(bad).unwrap_err().to_string();
            assert!(err.contains("is not a Docker host"), "{bad}: {err}");
        }
    }
}
