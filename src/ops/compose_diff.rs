//! `diff --against deployed` for an environment's compose host: what runs there (each service's release,
//! from slipway's label, its image, its state) against what the definitions synthesize now, by meaning:
//! a service the definitions add or drop, an image that is not the one they name (the release's tag
//! aside, which every release changes), and a service that is not running as a deploy leaves it (stopped,
//! unhealthy).

use super::compose_host::{HostError, HostReach};
use crate::docker::ServiceState;
use crate::synth::compose::{ComposeBundle, LABEL_RELEASE};

/// One compose host compared with its synthesized bundle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostDiff {
    /// The Docker engine.
    pub host: String,
    /// The compose project.
    pub project: String,
    /// A line per service, in the bundle's order, then those only the host runs: what runs, and how it
    /// differs.
    pub services: Vec<ServiceDiff>,
}

impl HostDiff {
    /// Whether anything differs.
    pub fn differs(&self) -> bool {
        self.services.iter().any(|s| !s.differences.is_empty())
    }
}

/// One service on the host and in the definitions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceDiff {
    /// The service's key.
    pub service: String,
    /// What runs (`release r-12, ghcr.io/acme/api:r-12, running, healthy`), or nothing when nothing does.
    pub runs: Option<String>,
    /// How it differs from the definitions (empty: it does not).
    pub differences: Vec<String>,
}

/// Compares what `bundle`'s project runs on `reach`'s host with `bundle`.
pub fn against(reach: &HostReach, bundle: &ComposeBundle) -> Result<HostDiff, HostError> {
    let running = reach.compose.services(&bundle.project, &reach.host)?;
    let mut services: Vec<ServiceDiff> = bundle
        .services
        .iter()
        .map(|wanted| {
            let found: Vec<&ServiceState> = running.iter().filter(|s| s.service == wanted.key).collect();
            let Some(first) = found.first() else {
                return ServiceDiff {
                    service: wanted.key.clone(),
                    runs: None,
                    differences: vec!["not on the host: a deploy adds it".into()],
                };
            };
            let mut differences = Vec::new();
            for s in &found {
                if !same_image(&wanted.image, &s.image) {
                    differences.push(format!("runs {}, the definitions name {}", s.image, shown(&wanted.image)));
                }
                // Every service slipway synthesizes is a long-running one (none is a one-off that others
                // wait on to complete): it runs, healthy where it has a check, as `up --wait` left it.
                if !s.is_ready() {
                    let health = if s.health.is_empty() { String::new() } else { format!(" ({})", s.health) };
                    differences.push(format!("container {} is {}{health}", s.container, s.state));
                }
            }
            differences.dedup();
            ServiceDiff { service: wanted.key.clone(), runs: Some(runs(first)), differences }
        })
        .collect();
    let mut extra: Vec<&ServiceState> =
        running.iter().filter(|s| bundle.services.iter().all(|w| w.key != s.service)).collect();
    extra.dedup_by(|a, b| a.service == b.service);
    services.extend(extra.into_iter().map(|s| ServiceDiff {
        service: s.service.clone(),
        runs: Some(runs(s)),
        differences: vec!["not in the definitions: a deploy removes it".into()],
    }));
    Ok(HostDiff { host: reach.host.to_string(), project: bundle.project.clone(), services })
}

/// What one container runs, as a line: its release (slipway's label), image, state and health.
fn runs(s: &ServiceState) -> String {
    let release = s.labels.get(LABEL_RELEASE).map(|r| format!("release {r}, ")).unwrap_or_default();
    let health = if s.health.is_empty() { String::new() } else { format!(", {}", s.health) };
    format!("{release}{}, {}{health}", s.image, s.state)
}

/// Whether `running` is the image `wanted` names, where `wanted` may end in the release variable
/// (`repo:${RELEASE:?...}`): then any tag of that repository is it, since each release is its own tag.
fn same_image(wanted: &str, running: &str) -> bool {
    match wanted.find("${") {
        Some(at) => running.starts_with(&wanted[..at]) && running.len() > at,
        None => wanted == running,
    }
}

/// `wanted` as a reader sees it: the release variable as `<release>`.
fn shown(wanted: &str) -> String {
    match wanted.find("${") {
        Some(at) => format!("{}<release>", &wanted[..at]),
        None => wanted.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_image_of_any_release_is_the_one_named_with_the_release_variable() {
        let wanted = "ghcr.io/acme/api:${RELEASE:?set RELEASE in .env}";
        assert!(same_image(wanted, "ghcr.io/acme/api:r-12"));
        assert!(!same_image(wanted, "ghcr.io/acme/api:"));
        assert!(!same_image(wanted, "ghcr.io/acme/web:r-12"));
        assert!(same_image("postgres:16-alpine", "postgres:16-alpine"));
        assert!(!same_image("postgres:16-alpine", "postgres:17-alpine"));
        assert_eq!(shown(wanted), "ghcr.io/acme/api:<release>");
    }
}
