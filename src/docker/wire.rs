//! Reading what the compose CLI prints: `ps --format json` in both its shapes, and what an `up` changed.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::state::{PublishedPort, ServiceChange, ServiceState};

/// The last `lines` lines of `text`.
pub(super) fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    let mut out = all[all.len().saturating_sub(lines)..].join("\n");
    out.push('\n');
    out
}

/// JSON that is either one array of values (older Compose v2) or one value a line (newer).
pub(super) fn json_values<T: serde::de::DeserializeOwned>(text: &str) -> Result<Vec<T>, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Ok(Vec::new());
    }
    if trimmed.starts_with('[') {
        return serde_json::from_str(trimmed).map_err(|e| e.to_string());
    }
    trimmed
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).map_err(|e| format!("{e} in `{l}`")))
        .collect()
}

/// One line of `docker compose ps --format json`.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PsEntry {
    #[serde(rename = "ID")]
    id: String,
    name: String,
    service: String,
    #[serde(default)]
    image: String,
    state: String,
    #[serde(default)]
    health: String,
    #[serde(default)]
    exit_code: i32,
    #[serde(default)]
    labels: String,
    #[serde(default)]
    publishers: Option<Vec<Publisher>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Publisher {
    #[serde(rename = "URL", default)]
    url: String,
    target_port: u16,
    published_port: u16,
    #[serde(default)]
    protocol: String,
}

impl PsEntry {
    pub(super) fn into_state(self) -> ServiceState {
        // Compose joins labels as `k=v,k=v`; a value holding a comma is cut there, which no label compose
        // or slipway writes does.
        let labels = self
            .labels
            .split(',')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let mut published: Vec<PublishedPort> = self
            .publishers
            .unwrap_or_default()
            .into_iter()
            .filter(|p| p.published_port != 0)
            .map(|p| PublishedPort {
                service: self.service.clone(),
                host_ip: p.url,
                published: p.published_port,
                target: p.target_port,
                protocol: p.protocol,
            })
            .collect();
        published.sort();
        published.dedup();
        ServiceState {
            service: self.service,
            container: self.name,
            id: self.id,
            image: self.image,
            state: self.state,
            health: self.health,
            exit_code: self.exit_code,
            labels,
            published,
        }
    }
}

/// What `up` did to each service, from the containers before and after: a container with the same ID
/// that was running is unchanged; a new ID for a service is a recreation.
pub(super) fn changes(before: &[ServiceState], after: &[ServiceState]) -> BTreeMap<String, ServiceChange> {
    let mut out = BTreeMap::new();
    for s in after {
        let earlier: Vec<&ServiceState> = before.iter().filter(|b| b.service == s.service).collect();
        let change = match earlier.iter().find(|b| b.id == s.id) {
            Some(b) if b.state == "running" => ServiceChange::Unchanged,
            Some(_) => ServiceChange::Started,
            None if earlier.is_empty() => ServiceChange::Created,
            None => ServiceChange::Recreated,
        };
        // With several containers per service, the biggest change wins.
        let entry = out.entry(s.service.clone()).or_insert(change);
        if change < *entry {
            *entry = change;
        }
    }
    for b in before {
        if !after.iter().any(|s| s.service == b.service) {
            out.insert(b.service.clone(), ServiceChange::Removed);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const PS_LINE: &str = r#"{"Command":"\"httpd\"","ExitCode":0,"Health":"healthy","ID":"82abed611f2d","Image":"slipway-test/busybox:1","Labels":"com.docker.compose.project=cp1,slipway.environment=dark-mode,com.docker.compose.service=web","Name":"cp1-web-1","Project":"cp1","Publishers":[{"URL":"0.0.0.0","TargetPort":8080,"PublishedPort":28080,"Protocol":"tcp"},{"URL":"::","TargetPort":8080,"PublishedPort":28080,"Protocol":"tcp"},{"URL":"","TargetPort":9000,"PublishedPort":0,"Protocol":"tcp"}],"Service":"web","State":"running","Status":"Up 2 seconds (healthy)"}"#;

    #[test]
    fn reads_ps_lines_and_arrays_alike() {
        let lines: Vec<PsEntry> = json_values(&format!("{PS_LINE}\n{PS_LINE}\n")).unwrap();
        let array: Vec<PsEntry> = json_values(&format!("[{PS_LINE}]")).unwrap();
        assert_eq!((lines.len(), array.len()), (2, 1));
        let state = array.into_iter().next().unwrap().into_state();
        assert_eq!(state.labels["slipway.environment"], "dark-mode");
        assert_eq!(state.labels.len(), 3);
        assert!(state.is_ready());
        let ports = crate::docker::state::published_of(&[state]);
        assert_eq!(ports.len(), 1, "one port bound twice is one port, an unpublished one none: {ports:?}");
        assert_eq!(ports[0].url("localhost"), "http://localhost:28080");
        assert_eq!(ports[0].url("::1"), "http://[::1]:28080");
        assert!(json_values::<PsEntry>("  \n").unwrap().is_empty());
        assert!(json_values::<PsEntry>("not json").is_err());
    }

    fn state(service: &str, id: &str, state: &str) -> ServiceState {
        ServiceState {
            service: service.into(),
            container: format!("p-{service}"),
            id: id.into(),
            image: String::new(),
            state: state.into(),
            health: String::new(),
            exit_code: 0,
            labels: BTreeMap::new(),
            published: Vec::new(),
        }
    }

    #[test]
    fn changes_come_from_container_ids() {
        let before = [
            state("a", "1", "running"),
            state("b", "2", "running"),
            state("c", "3", "exited"),
            state("gone", "4", "running"),
        ];
        let after = [
            state("a", "1", "running"),
            state("b", "9", "running"),
            state("c", "3", "running"),
            state("new", "5", "running"),
        ];
        let changes = changes(&before, &after);
        assert_eq!(
            changes.into_iter().collect::<Vec<_>>(),
            [
                ("a".to_string(), ServiceChange::Unchanged),
                ("b".into(), ServiceChange::Recreated),
                ("c".into(), ServiceChange::Started),
                ("gone".into(), ServiceChange::Removed),
                ("new".into(), ServiceChange::Created)
            ]
        );
    }
}
