//! `slipway envs`: the environments, as a deployment-flow document would list them.

use serde::Serialize;

use super::{CliError, Exit, ListFormat, Streams, checked};
use crate::model::{Definitions, Environment};

/// Lists the environments with their tier, targets, the git refs that may deploy, trigger, what each is
/// promoted from, and the approvals a deploy needs. Refuses definitions that `slipway check` refuses.
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
            }
        }
    }
    Ok(Exit::Success)
}
