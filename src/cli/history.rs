//! `slipway history`: the ledger's records, newest first: who changed what where, when, with whose
//! approval, and how it ended.

use std::io::Write;

use super::run_args::StoreArgs;
use super::{CliError, Exit, ListFormat, Session};
use crate::ledger::{self, Phase, Record};

/// Lists the ledger's records, newest first.
#[derive(Debug, clap::Args)]
pub struct HistoryArgs {
    /// Only this environment's records (repeatable); every environment's by default.
    #[arg(long = "env", value_name = "NAME")]
    envs: Vec<String>,
    /// Output format: text, or json (the records as stored).
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    format: ListFormat,
    #[command(flatten)]
    pub(super) store: StoreArgs,
}

pub fn run(s: &Session, args: &HistoryArgs) -> Result<Exit, CliError> {
    let envs = s.environments(&args.envs)?;
    let store = s.store()?;
    let mut records = s.block_on(async {
        let mut records = Vec::new();
        if envs.is_empty() {
            records = ledger::all_records(store).await?;
        } else {
            for env in &envs {
                records.extend(ledger::records(store, env).await?);
            }
        }
        Ok::<_, CliError>(records)
    })?;
    let mut out = s.out();
    records.sort_by(|a, b| (b.at, &b.run).cmp(&(a.at, &a.run)));
    match args.format {
        ListFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&records).expect("records serialize"))?,
        ListFormat::Text if records.is_empty() => writeln!(out, "no records")?,
        ListFormat::Text => {
            for r in &records {
                writeln!(out, "{}", line(r))?;
            }
        }
    }
    Ok(Exit::Success)
}

/// One record as a line: `2026-11-24T10:00:00.000Z  dev  deploy r1 finished: deployed  by ana (run URL)`.
fn line(r: &Record) -> String {
    let phase = match r.phase {
        Phase::Started => "started".to_string(),
        Phase::Finished | Phase::Reconciled | Phase::Done => {
            let phase = if r.phase == Phase::Reconciled { "reconciled" } else { "finished" };
            format!("{phase}: {}", r.outcome.map(|o| o.as_str()).unwrap_or("-"))
        }
    };
    let release = r.release.as_deref().map(|x| format!(" {x}")).unwrap_or_default();
    let from = r.from.as_deref().map(|x| format!(" from {x}")).unwrap_or_default();
    let approvals = if r.approvals.is_empty() {
        String::new()
    } else {
        format!(", approved by {}", r.approvals.iter().map(|a| a.by.as_str()).collect::<Vec<_>>().join(", "))
    };
    let ci = r.actor.ci_run.as_deref().map(|u| format!(" ({u})")).unwrap_or_default();
    let reason = r.reason.as_deref().map(|x| format!(" — {x}")).unwrap_or_default();
    format!(
        "{}  {}  {}{release}{from} {phase}  by {}{ci}{approvals}{reason}",
        r.at,
        r.environment,
        r.kind.as_str(),
        r.actor.name
    )
}
