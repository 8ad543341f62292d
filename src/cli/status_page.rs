//! `slipway status --format html --out DIR`: the status page, written as `DIR/index.html`. The page's data
//! comes from one engine call ([`crate::ops::page::page`]) and its bytes from the renderer
//! ([`crate::report::html`]); this module only reads `--drift-from` (what other runs found, each with its
//! own read-only role) and writes the file.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use serde_json::Value;

use super::{CliError, Exit, Session};
use crate::cloud::Connector;
use crate::model::Environment;
use crate::ops::status::Drift;

/// The file the page is written to, in the directory given.
pub const PAGE_FILE: &str = "index.html";

/// Writes the page of `envs` to `out/index.html`; drift read with `connector`, or from `drift_from`.
pub(super) fn run(
    s: &Session,
    envs: &[&Environment],
    connector: Option<&Connector>,
    out: &Path,
    drift_from: Option<&Path>,
) -> Result<Exit, CliError> {
    let drift = match drift_from {
        Some(dir) => read_drift(dir)?,
        None => BTreeMap::new(),
    };
    let cx = s.context()?;
    let page = s.block_on(crate::ops::page::page(&cx, envs, connector, &drift))?;
    let html = crate::report::html::page(&page);
    let cannot = |e: std::io::Error| CliError::user(format!("cannot write the page to `{}`: {e}", out.display()));
    std::fs::create_dir_all(out).map_err(cannot)?;
    std::fs::write(out.join(PAGE_FILE), html).map_err(cannot)?;
    writeln!(s.out(), "wrote {}", out.join(PAGE_FILE).display())?;
    Ok(Exit::Success)
}

/// Each environment's drift from the `status --format json` outputs in `dir` (`*.json`, each a list of
/// environments as `status --format json` prints them).
pub fn read_drift(dir: &Path) -> Result<BTreeMap<String, Drift>, CliError> {
    let unreadable =
        |what: &Path, why: String| CliError::user(format!("cannot read drift from `{}`: {why}", what.display()));
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| unreadable(dir, e.to_string()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    let mut out = BTreeMap::new();
    for path in paths {
        let text = std::fs::read_to_string(&path).map_err(|e| unreadable(&path, e.to_string()))?;
        let value: Value = serde_json::from_str(&text).map_err(|e| unreadable(&path, e.to_string()))?;
        for env in value.as_array().ok_or_else(|| unreadable(&path, "it is not a list of environments".into()))? {
            let (Some(name), Some(drift)) = (env["environment"].as_str(), env.get("drift")) else {
                return Err(unreadable(&path, "an entry has no `environment` or `drift`".into()));
            };
            out.insert(name.to_string(), drift_of(drift));
        }
    }
    Ok(out)
}

/// `status --format json`'s `drift` back as data.
fn drift_of(v: &Value) -> Drift {
    if v["checked"] != Value::Bool(true) {
        return Drift::NotChecked(v["why"].as_str().unwrap_or("no reason given").to_string());
    }
    let stacks: Vec<(String, String)> = v["drifted"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| (d["stack"].as_str().unwrap_or("?").to_string(), d["why"].as_str().unwrap_or("").to_string()))
        .collect();
    if stacks.is_empty() { Drift::None } else { Drift::Drifted(stacks) }
}
