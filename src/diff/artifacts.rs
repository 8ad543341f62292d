//! Two sets of synthesized files (an earlier `slipway synth` directory and what the definitions give
//! now) compared per environment and stack.
//!
//! Artifacts are matched by [`ArtifactKey`]: a stack's template (whatever its file's extension) is diffed
//! structurally; any other file (cloud.gov manifests, compose files, project-wide files) gets a unified
//! text diff with context and, when it lists apps (`applications:`) or services (`services:`), a one-line
//! summary per app or service. The manifest only restates the other files' hashes, so it is not compared.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::template::{TemplateDiff, diff_templates};
use super::value::{ParseError, from_yaml, parse_template};
use super::{Change, Impact};
use crate::synth::{ArtifactKey, Artifacts};

/// The name under which project-wide artifacts (GitHub workflows and settings) are listed, in place of
/// an environment's.
pub const PROJECT: &str = "(project)";

/// A template that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("`{path}` ({side}) {source}")]
pub struct ArtifactError {
    /// The file's path.
    pub path: String,
    /// `old` or `new`.
    pub side: &'static str,
    /// Why.
    pub source: ParseError,
}

/// Everything that differs, per environment.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Diff {
    /// Every environment compared, in the order given, then any only the old side has. For
    /// [`Subject::Templates`], one group named after the two paths compared.
    pub environments: Vec<EnvironmentDiff>,
    /// What was compared, which decides how the renderers name the groups and stacks.
    pub subject: Subject,
}

/// What a [`Diff`] compares.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Subject {
    /// The definitions' environments, each with its stacks and other files (`slipway diff --against`).
    #[default]
    Environments,
    /// Template files given by path (`slipway diff OLD NEW`): one group named `OLD → NEW`, and a
    /// "stack" per template, named by its path relative to the directory (or its file name).
    Templates,
}

impl Subject {
    /// What a group is called: `environment` or `templates`.
    pub fn group(self) -> &'static str {
        match self {
            Subject::Environments => "environment",
            Subject::Templates => "templates",
        }
    }

    /// What a stack is called: `stack` or `template`.
    pub fn stack(self) -> &'static str {
        match self {
            Subject::Environments => "stack",
            Subject::Templates => "template",
        }
    }

    /// `environments` or `templates`, as the JSON rendering names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Subject::Environments => "environments",
            Subject::Templates => "templates",
        }
    }
}

impl Diff {
    /// Whether nothing differs.
    pub fn is_empty(&self) -> bool {
        self.environments.iter().all(EnvironmentDiff::is_empty)
    }

    /// The worst impact on any resource.
    pub fn worst(&self) -> Option<Impact> {
        self.environments.iter().flat_map(|e| &e.stacks).filter_map(|s| s.template.worst()).max()
    }
}

/// One environment's differences.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EnvironmentDiff {
    /// The environment's name.
    pub name: String,
    /// Stacks that differ (unchanged stacks are left out).
    pub stacks: Vec<StackDiff>,
    /// Other files that differ.
    pub files: Vec<FileDiff>,
}

impl EnvironmentDiff {
    /// Whether nothing in this environment differs.
    pub fn is_empty(&self) -> bool {
        self.stacks.is_empty() && self.files.is_empty()
    }
}

/// One stack's differences.
#[derive(Clone, Debug, PartialEq)]
pub struct StackDiff {
    /// The stack's short name (`app`).
    pub name: String,
    /// Added (no old template), removed (no new one) or modified.
    pub change: Change,
    /// What differs in its template.
    pub template: TemplateDiff,
}

impl StackDiff {
    /// Stack `name`, whose template was `old` and is `new` (`None`: the stack is not on that side), or
    /// `None` when it is on both sides and nothing in it differs.
    pub fn between(name: String, old: Option<&Value>, new: Option<&Value>) -> Option<StackDiff> {
        let change = match (old, new) {
            (Some(_), Some(_)) => Change::Modified,
            (None, _) => Change::Added,
            (_, None) => Change::Removed,
        };
        let empty = Value::Object(Default::default());
        let template = diff_templates(old.unwrap_or(&empty), new.unwrap_or(&empty));
        (!template.is_empty() || change != Change::Modified).then_some(StackDiff { name, change, template })
    }
}

/// A file that is not a template and differs.
#[derive(Clone, Debug, PartialEq)]
pub struct FileDiff {
    /// Its path.
    pub path: String,
    /// Added, removed or modified.
    pub change: Change,
    /// A unified diff with three lines of context, `a/` and `b/` headers.
    pub unified: String,
    /// One line per app or service that changed (instances, memory, routes, ...), when the file lists any.
    pub summary: Vec<String>,
}

/// The name `key` is grouped under: its environment's, or [`PROJECT`].
fn group(key: &ArtifactKey) -> &str {
    key.environment().unwrap_or(PROJECT)
}

/// Diffs `old` against `new`. Environments come in `order` first (names not in either side are skipped),
/// then the rest alphabetically, then project-wide artifacts.
pub fn diff_artifacts(old: &Artifacts, new: &Artifacts, order: &[String]) -> Result<Diff, ArtifactError> {
    let mut envs: Vec<String> = Vec::new();
    let present: BTreeSet<&str> = old.keys().chain(new.keys()).map(group).collect();
    for name in order {
        if present.contains(name.as_str()) && !envs.contains(name) {
            envs.push(name.clone());
        }
    }
    for name in present {
        if name != PROJECT && !envs.iter().any(|e| e == name) {
            envs.push(name.to_string());
        }
    }
    if old.keys().chain(new.keys()).any(|k| k.environment().is_none()) {
        envs.push(PROJECT.to_string());
    }
    let mut diff = Diff::default();
    for env in envs {
        let mut out = EnvironmentDiff { name: env.clone(), ..EnvironmentDiff::default() };
        let keys: BTreeSet<&ArtifactKey> = old.keys().chain(new.keys()).filter(|k| group(k) == env).collect();
        for key in keys {
            let (a, b) = (old.get(key), new.get(key));
            if a == b {
                continue;
            }
            let path = key.path();
            match key.stack() {
                Some(stack) => {
                    let read = |bytes: Option<&Vec<u8>>, side| {
                        bytes
                            .map(|b| parse_template(&String::from_utf8_lossy(b)))
                            .transpose()
                            .map_err(|source| ArtifactError { path: path.clone(), side, source })
                    };
                    let (a, b) = (read(a, "old")?, read(b, "new")?);
                    out.stacks.extend(StackDiff::between(stack.to_string(), a.as_ref(), b.as_ref()));
                }
                None => {
                    let change = match (a, b) {
                        (Some(_), Some(_)) => Change::Modified,
                        (None, _) => Change::Added,
                        (_, None) => Change::Removed,
                    };
                    out.files.push(file_diff(&path, change, a, b));
                }
            }
        }
        diff.environments.push(out);
    }
    Ok(diff)
}

fn file_diff(path: &str, change: Change, old: Option<&Vec<u8>>, new: Option<&Vec<u8>>) -> FileDiff {
    let text = |b: Option<&Vec<u8>>| b.map(|b| String::from_utf8_lossy(b).into_owned()).unwrap_or_default();
    let (a, b) = (text(old), text(new));
    let unified = similar::TextDiff::from_lines(&a, &b)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string();
    FileDiff { path: path.to_string(), change, unified, summary: summarize(&a, &b) }
}

/// What a reviewer wants to know about an app or service at a glance.
const FACTS: [(&str, &[&str]); 7] = [
    ("instances", &["instances"]),
    ("memory", &["memory"]),
    ("disk", &["disk_quota"]),
    ("image", &["image"]),
    ("replicas", &["deploy", "replicas"]),
    ("memory limit", &["deploy", "resources", "limits", "memory"]),
    ("command", &["command"]),
];

/// Apps of a cloud.gov manifest (`applications:` list) or services of a compose file (`services:` map),
/// by name.
fn units(text: &str) -> Option<(&'static str, BTreeMap<String, Value>)> {
    let yaml: serde_yaml_ng::Value = serde_yaml_ng::from_str(text).ok()?;
    let doc = from_yaml(yaml);
    if let Some(Value::Array(apps)) = doc.get("applications") {
        let by_name = apps
            .iter()
            .enumerate()
            .map(|(i, a)| {
                (a.get("name").and_then(Value::as_str).map_or_else(|| i.to_string(), str::to_string), a.clone())
            })
            .collect();
        return Some(("app", by_name));
    }
    if let Some(Value::Object(services)) = doc.get("services") {
        return Some(("service", services.iter().map(|(k, v)| (k.clone(), v.clone())).collect()));
    }
    None
}

fn routes(unit: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for key in ["routes", "ports"] {
        if let Some(Value::Array(items)) = unit.get(key) {
            for r in items {
                out.insert(match r.get("route") {
                    Some(Value::String(s)) => s.clone(),
                    _ => super::value::show(r).trim_matches('"').to_string(),
                });
            }
        }
    }
    out
}

/// One line per app or service that differs between two manifests or compose files.
fn summarize(old: &str, new: &str) -> Vec<String> {
    let (a, b) = (units(old), units(new));
    let noun = a.as_ref().or(b.as_ref()).map(|(n, _)| *n).unwrap_or("app");
    let (a, b) = (a.map(|u| u.1).unwrap_or_default(), b.map(|u| u.1).unwrap_or_default());
    let names: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    let mut out = Vec::new();
    for name in names {
        match (a.get(name), b.get(name)) {
            (None, Some(_)) => out.push(format!("{noun} `{name}`: added")),
            (Some(_), None) => out.push(format!("{noun} `{name}`: removed")),
            (Some(x), Some(y)) if !super::value::same(x, y) => {
                let mut parts = Vec::new();
                for (label, path) in FACTS {
                    let at = |v: &Value| super::value::values_at(v, path).first().map(|v| super::value::show(v));
                    let (p, q) = (at(x), at(y));
                    if p != q {
                        let none = || "none".to_string();
                        parts.push(format!("{label} {} → {}", p.unwrap_or_else(none), q.unwrap_or_else(none)));
                    }
                }
                let (r, s) = (routes(x), routes(y));
                let added: Vec<&String> = s.difference(&r).collect();
                let removed: Vec<&String> = r.difference(&s).collect();
                if !added.is_empty() || !removed.is_empty() {
                    let mut route = Vec::new();
                    route.extend(added.iter().map(|x| format!("+{x}")));
                    route.extend(removed.iter().map(|x| format!("-{x}")));
                    parts.push(format!("routes {}", route.join(" ")));
                }
                if parts.is_empty() {
                    parts.push("other settings changed".into());
                }
                out.push(format!("{noun} `{name}`: {}", parts.join(", ")));
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summarizes_cloud_gov_apps() {
        let old = "applications:\n- name: web\n  instances: 1\n  memory: 256M\n  routes:\n  - route: a.app.cloud.gov\n";
        let new = "applications:\n- name: web\n  instances: 2\n  memory: 256M\n  routes:\n  - route: b.app.cloud.gov\n- name: worker\n";
        assert_eq!(
            summarize(old, new),
            vec![
                "app `web`: instances 1 → 2, routes +b.app.cloud.gov -a.app.cloud.gov".to_string(),
                "app `worker`: added".to_string()
            ]
        );
    }
}
