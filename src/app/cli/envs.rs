//! `slipway envs`: the environments, as a deployment-flow document would list them.

use std::time::Duration;

use serde::Serialize;

use super::{CliError, Exit, ListFormat, Streams, checked};
use crate::model::{Definitions, Environment};

/// Lists the environments with their tier, targets, the git refs that may deploy, trigger, what each is
/// promoted from, the approvals a deploy needs, the soak on each edge into it, its allow and deny windows
/// and the alarms it is watched by. Refuses definitions that `slipway check` refuses.
#[derive(Debug, clap::Args)]
pub struct EnvsArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    format: ListFormat,
}

#[derive(Serialize)]
struct Row {
    name: String,
    tier: &'static str,
    targets: Vec<String>,
    refs: Vec<String>,
    trigger: String,
    promoted_from: Vec<String>,
    approvals: Approvals,
    /// Seconds a release soaks in each environment it is promoted from.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    soak_seconds: std::collections::BTreeMap<String, u64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    windows: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    alarms: Vec<String>,
    #[serde(skip_serializing_if = "is_zero")]
    bake_seconds: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

#[derive(Serialize)]
struct Approvals {
    required: u32,
    optional: u32,
    groups: Vec<String>,
    approvers: Vec<String>,
    wait_minutes: u64,
}

fn row(env: &Environment) -> Row {
    let a = &env.approvals;
    Row {
        name: env.name.clone(),
        tier: env.tier.as_str(),
        targets: env.targets.iter().map(ToString::to_string).collect(),
        refs: env.refs.iter().map(ToString::to_string).collect(),
        trigger: env.trigger.to_string(),
        promoted_from: env.promoted_from.clone(),
        approvals: Approvals {
            required: a.required,
            optional: a.optional,
            groups: a.groups.iter().map(|g| g.name.clone()).collect(),
            approvers: a.approvers().into_iter().map(String::from).collect(),
            wait_minutes: a.wait.as_secs() / 60,
        },
        soak_seconds: env.soak.iter().map(|(from, d)| (from.clone(), d.as_secs())).collect(),
        windows: env.windows.iter().map(ToString::to_string).collect(),
        alarms: env.evidence.alarms.iter().map(ToString::to_string).collect(),
        bake_seconds: env.evidence.bake.as_secs(),
    }
}

fn approvals_text(a: &Approvals) -> String {
    let mut s = match (a.required, a.optional) {
        (0, 0) => return "none".into(),
        (0, n) => format!("optional {n} from {}", a.groups.join(", ")),
        (r, 0) => format!("{r} from {}", a.groups.join(", ")),
        (r, n) => format!("{r} (and optional {n}) from {}", a.groups.join(", ")),
    };
    if a.wait_minutes > 0 {
        s.push_str(&format!(", then wait {} min", a.wait_minutes));
    }
    s
}

fn or_dash(items: &[String]) -> String {
    if items.is_empty() { "-".into() } else { items.join(", ") }
}

pub fn run(d: &Definitions, args: &EnvsArgs, io: &mut Streams) -> Result<Exit, CliError> {
    // A listing of definitions `check` refuses would describe environments that cannot deploy.
    checked(d)?;
    let rows: Vec<Row> = d.all_environments().map(row).collect();
    let out = &mut *io.out;
    match args.format {
        ListFormat::Json => {
            let json = serde_json::to_string_pretty(&rows).map_err(|e| CliError::internal(e.to_string()))?;
            writeln!(out, "{json}")?;
        }
        ListFormat::Text => {
            for (i, r) in rows.iter().enumerate() {
                if i > 0 {
                    writeln!(out)?;
                }
                writeln!(out, "{} ({})", r.name, r.tier)?;
                for (label, value) in [
                    ("targets", or_dash(&r.targets)),
                    ("refs", or_dash(&r.refs)),
                    ("trigger", r.trigger.clone()),
                    ("promoted from", or_dash(&r.promoted_from)),
                    ("approvals", approvals_text(&r.approvals)),
                ] {
                    writeln!(out, "  {label:<14}{value}")?;
                }
                // Shown only where the definitions set them.
                let soak: Vec<String> = r
                    .soak_seconds
                    .iter()
                    .map(|(from, s)| format!("{} in {from}", crate::clock::human(Duration::from_secs(*s))))
                    .collect();
                let alarms = if r.alarms.is_empty() {
                    Vec::new()
                } else {
                    vec![format!(
                        "{}; bake {}",
                        r.alarms.join(", "),
                        crate::clock::human(Duration::from_secs(r.bake_seconds))
                    )]
                };
                for (label, values) in [("soak", soak), ("windows", r.windows.clone()), ("alarms", alarms)] {
                    if !values.is_empty() {
                        writeln!(out, "  {label:<14}{}", values.join("; "))?;
                    }
                }
            }
        }
    }
    Ok(Exit::Success)
}
