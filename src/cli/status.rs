//! `slipway status`: what runs where, since when, who put it there with whose approval, how the last
//! change ended, and whether any stack drifted from what was applied.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use serde_json::{Value, json};

use super::run_args::StoreArgs;
use super::{CliError, Exit, Session};
use crate::clock::human;
use crate::ledger::state::{Deployment, LastChange};
use crate::ops::drift::DriftVerdict;
use crate::ops::status::{Drift, EnvStatus};

/// Shows, per environment, the release it runs, its commit, when and by whom it was deployed, the
/// approvals, how the last change ended, any freeze, hold or lock, and drift: a deployed stack whose
/// template differs from what the ledger says was applied (compared by meaning, as `diff` does). Without
/// credentials it says what it could not check.
#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// Only this environment (repeatable); all of them by default.
    #[arg(long = "env", value_name = "NAME")]
    envs: Vec<String>,
    /// Output format: text, json, markdown (for a pull-request comment), or html (a self-contained page:
    /// the promotion graph, each environment, the releases waiting at a gate, the history; see --out).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Where `--format html` writes its page, as `DIR/index.html`.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Do not read the deployed stacks (no drift check, no AWS credentials needed).
    #[arg(long)]
    no_drift: bool,
    /// Take each environment's drift from the `status --format json` outputs in DIR (`*.json`) instead of
    /// reading the stacks: what runs that each held one environment's read-only role found.
    #[arg(long, value_name = "DIR", conflicts_with = "no_drift")]
    drift_from: Option<PathBuf>,
    /// Exit 2 when a stack drifted from what the ledger says was applied (as `diff --exit-code`), 3 when
    /// the stacks could not be read, 0 otherwise: for a scheduled drift check.
    #[arg(long, conflicts_with_all = ["no_drift", "drift_from"])]
    exit_code: bool,
    #[command(flatten)]
    pub(super) store: StoreArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Text,
    Json,
    Markdown,
    Html,
}

pub fn run(s: &Session, args: &StatusArgs) -> Result<Exit, CliError> {
    let names = s.environments(&args.envs)?;
    let envs: Vec<_> =
        s.project()?.all_environments().filter(|e| names.is_empty() || names.contains(&e.name)).collect();
    // Without the drift check, AWS is needed only for an S3 store.
    let connector = if args.no_drift || args.drift_from.is_some() { None } else { Some(s.connector_for_a_person()) };
    match (args.format, &args.out) {
        (Format::Html, Some(out)) => {
            return super::status_page::run(s, &envs, connector.as_ref(), out, args.drift_from.as_deref());
        }
        (Format::Html, None) => return Err(CliError::user("--format html writes a page: say where with --out DIR")),
        (_, Some(_)) => return Err(CliError::user("--out is for --format html; other formats print")),
        (_, None) if args.drift_from.is_some() => return Err(CliError::user("--drift-from is for --format html")),
        _ => {}
    }
    let cx = s.context()?;
    let statuses = s.block_on(crate::ops::status::status(&cx, &envs, connector.as_ref()))?;
    let apps = if args.no_drift { BTreeMap::new() } else { cloud_gov_apps(s, &cx, &envs, &statuses) };
    let now = s.clock().now();
    let mut out = s.out();
    match args.format {
        Format::Json => {
            let value: Vec<Value> = statuses
                .iter()
                .map(|st| {
                    let mut v = to_json(st);
                    if let Some(text) = apps.get(&st.name) {
                        v["apps"] = json!(text);
                    }
                    v
                })
                .collect();
            writeln!(out, "{}", serde_json::to_string_pretty(&value).expect("status serializes"))?;
        }
        Format::Text => {
            for (i, s) in statuses.iter().enumerate() {
                if i > 0 {
                    writeln!(out)?;
                }
                writeln!(out, "{}", s.name)?;
                for (label, value) in rows(s, now) {
                    writeln!(out, "  {label:<12}{value}")?;
                }
                if let Some(text) = apps.get(&s.name) {
                    writeln!(out, "  {:<12}{text}", "apps")?;
                }
            }
        }
        Format::Html => unreachable!("written above"),
        Format::Markdown => {
            writeln!(out, "| environment | release | deployed | last change | drift |")?;
            writeln!(out, "|---|---|---|---|---|")?;
            for s in &statuses {
                let r = rows(s, now);
                let get = |label: &str| r.iter().find(|(l, _)| *l == label).map(|(_, v)| v.replace('|', "\\|"));
                writeln!(
                    out,
                    "| {} | {} | {} | {} | {} |",
                    s.name,
                    get("release").unwrap_or_default(),
                    get("deployed").unwrap_or_default(),
                    get("last change").unwrap_or_default(),
                    get("drift").unwrap_or_default()
                )?;
            }
        }
    }
    if !args.exit_code {
        return Ok(Exit::Success);
    }
    Ok(match crate::ops::drift::drift_verdict(&statuses) {
        DriftVerdict::Clean => Exit::Success,
        DriftVerdict::Drifted(_) => Exit::Differs,
        DriftVerdict::Unread(envs) => {
            writeln!(s.err(), "the stacks of {} could not be read, so their drift is unknown", envs.join(", "))?;
            Exit::CloudFailed
        }
    })
}

/// For each environment with a cloud.gov target and a release deployed there: whether its apps run what
/// the ledger says that release put there (its manifest by meaning, the droplet recorded), as a line.
fn cloud_gov_apps(
    s: &Session,
    cx: &crate::ops::Context<'_>,
    envs: &[&crate::model::Environment],
    statuses: &[EnvStatus],
) -> BTreeMap<String, String> {
    let envs: Vec<_> = envs
        .iter()
        .zip(statuses)
        .filter(|(env, st)| env.cloud_gov_target().is_some() && st.state.current.is_some())
        .map(|(env, _)| *env)
        .collect();
    if envs.is_empty() {
        return BTreeMap::new();
    }
    let cf = match crate::cloudfoundry::Settings::from_env().and_then(crate::cloudfoundry::CloudFoundry::new) {
        Ok(cf) => cf,
        Err(e) => return envs.iter().map(|env| (env.name.clone(), format!("not checked: {e}"))).collect(),
    };
    envs.iter()
        .map(|env| {
            let text = match s.block_on(crate::ops::cloudgov::drift(cx, env, &cf)) {
                Err(e) => format!("not checked: {e}"),
                Ok(None) => "not checked: the release it runs is not in the store".to_string(),
                Ok(Some(apps)) if apps.values().all(Vec::is_empty) => {
                    format!(
                        "none: every app runs what was applied ({})",
                        apps.keys().cloned().collect::<Vec<_>>().join(", ")
                    )
                }
                Ok(Some(apps)) => format!(
                    "DRIFTED: {}",
                    apps.iter()
                        .filter(|(_, w)| !w.is_empty())
                        .map(|(app, w)| format!("{app} {}", w.join(", ")))
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
            };
            (env.name.clone(), text)
        })
        .collect()
}

fn deployed_text(d: &Deployment, now: crate::clock::Timestamp) -> String {
    let ci = d.by.ci_run.as_deref().map(|u| format!(" ({u})")).unwrap_or_default();
    let from = d.from.as_deref().map(|f| format!(", promoted from {f}")).unwrap_or_default();
    format!("{} ago ({}) by {}{ci} with {}{from}", human(now.since(d.at)), d.at, d.by.name, d.kind.as_str())
}

fn change_text(c: &LastChange) -> String {
    let outcome = c.outcome.map(|o| o.as_str()).unwrap_or("not finished (running, or died)");
    let release = c.release.as_deref().map(|r| format!(" {r}")).unwrap_or_default();
    let reason = c.reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default();
    format!("{}{release} by {} at {}: {outcome}{reason}", c.kind.as_str(), c.by.name, c.started_at)
}

fn drift_text(d: &Drift) -> String {
    match d {
        Drift::None => "none: every stack holds the template applied".into(),
        Drift::NotChecked(why) => format!("not checked: {why}"),
        Drift::Drifted(stacks) => {
            format!("DRIFTED: {}", stacks.iter().map(|(s, why)| format!("{s} {why}")).collect::<Vec<_>>().join("; "))
        }
    }
}

/// The labelled lines of one environment's status.
fn rows(s: &EnvStatus, now: crate::clock::Timestamp) -> Vec<(&'static str, String)> {
    let mut rows = Vec::new();
    match &s.state.current {
        None => rows.push(("release", "none deployed".to_string())),
        Some(d) => {
            rows.push(("release", d.release.clone()));
            rows.push(("commit", d.commit.clone().unwrap_or_else(|| "-".into())));
            rows.push(("deployed", deployed_text(d, now)));
            let approvals = if d.approvals.is_empty() {
                "none".to_string()
            } else {
                d.approvals.iter().map(|a| format!("{} ({})", a.by, a.source)).collect::<Vec<_>>().join(", ")
            };
            rows.push(("approvals", approvals));
        }
    }
    if let Some(c) = &s.state.last_change {
        rows.push(("last change", change_text(c)));
    }
    if let Some(f) = &s.state.frozen {
        let until = f.until.map(|u| format!(" until {u}")).unwrap_or_default();
        rows.push(("frozen", format!("by {} at {}{until}: {}", f.by.name, f.at, f.reason)));
    }
    if let Some(h) = &s.state.held {
        rows.push(("held", format!("rolled back to {} by {} at {}: {}", h.release, h.by.name, h.at, h.reason)));
    }
    if let Some(l) = &s.lock {
        rows.push(("locked", l.describe(now)));
    }
    rows.push(("drift", drift_text(&s.drift)));
    for host in &s.hosts {
        rows.push(("compose", format!("{} on {}", host.project, host.host)));
        for svc in &host.services {
            let release = svc.change.as_deref().map(|r| format!("release {r}, ")).unwrap_or_default();
            let health = if svc.health.is_empty() { String::new() } else { format!(", {}", svc.health) };
            rows.push(("  service", format!("{}: {release}{} ({}{health})", svc.service, svc.image, svc.state)));
        }
        let drift = match &host.drift {
            Ok(none) if none.is_empty() => "none: every service runs what the deploy left".to_string(),
            Ok(drifted) => format!("DRIFTED: {}", drifted.join("; ")),
            Err(why) => format!("not checked: {why}"),
        };
        rows.push(("host drift", drift));
    }
    rows
}

fn to_json(s: &EnvStatus) -> Value {
    let deployment = |d: &Deployment| {
        json!({
            "release": d.release, "commit": d.commit, "at": d.at, "by": d.by, "kind": d.kind, "from": d.from,
            "approvals": d.approvals, "smoke": d.smoke,
        })
    };
    let drift = match &s.drift {
        Drift::None => json!({ "checked": true, "drifted": [] }),
        Drift::NotChecked(why) => json!({ "checked": false, "why": why }),
        Drift::Drifted(stacks) => json!({
            "checked": true,
            "drifted": stacks.iter().map(|(stack, why)| json!({ "stack": stack, "why": why })).collect::<Vec<_>>(),
        }),
    };
    let mut value = json!({
        "environment": s.name,
        "current": s.state.current.as_ref().map(deployment),
        "last_change": s.state.last_change.as_ref().map(|c| json!({
            "kind": c.kind, "release": c.release, "outcome": c.outcome, "started_at": c.started_at, "by": c.by,
            "reason": c.reason,
        })),
        "frozen": s.state.frozen.as_ref().map(|f| json!({ "reason": f.reason, "by": f.by, "at": f.at, "until": f.until })),
        "held": s.state.held.as_ref().map(|h| json!({ "release": h.release, "reason": h.reason, "by": h.by, "at": h.at })),
        "lock": s.lock,
        "drift": drift,
    });
    if !s.hosts.is_empty() {
        value["compose_hosts"] = s
            .hosts
            .iter()
            .map(|h| {
                json!({
                    "host": h.host, "project": h.project,
                    "services": h.services.iter().map(|svc| json!({
                        "service": svc.service, "release": svc.change, "image": svc.image, "state": svc.state,
                        "health": svc.health,
                    })).collect::<Vec<_>>(),
                    "drift": match &h.drift {
                        Ok(drifted) => json!({ "checked": true, "drifted": drifted }),
                        Err(why) => json!({ "checked": false, "why": why }),
                    },
                })
            })
            .collect::<Vec<_>>()
            .into();
    }
    value
}
