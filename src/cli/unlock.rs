//! `slipway unlock`: removes an environment's lock by hand (its run is gone for good), and records who
//! did it and what the lock said.

use super::context::{self, StoreArgs};
use super::{CliError, Exit, Ui};
use crate::clock::{Clock, SystemClock};
use crate::ledger::{self, Kind, Outcome, Phase, Record, lock};
use crate::model::Project;

/// Removes an environment's lock, and records who removed it. Use it when the run that holds it is gone
/// for good; a lock past its expiry is taken over without it.
#[derive(Debug, clap::Args)]
pub struct UnlockArgs {
    /// The environment.
    #[arg(long = "env", value_name = "NAME")]
    env: String,
    #[command(flatten)]
    store: StoreArgs,
}

pub fn run(project: Project, args: &UnlockArgs, ui: &mut Ui) -> Result<Exit, CliError> {
    let names = super::resolve_envs(&project, std::slice::from_ref(&args.env))?;
    let env = &names[0];
    let runtime = super::runtime()?;
    runtime.block_on(async {
        let store = args.store.open(None).await?;
        let clock = SystemClock;
        let Some(removed) = lock::unlock(&store, env).await? else {
            writeln!(ui.out, "environment {env} was not locked; nothing was changed")?;
            return Ok(Exit::Success);
        };
        let now = clock.now();
        let actor = context::actor();
        let mut record = Record::new(&ledger::new_run_id(now), Phase::Done, Kind::Unlock, env, now, &actor);
        record.outcome = Some(Outcome::Done);
        record.reason = Some(format!("removed the lock of run {}, {}", removed.run, removed.describe(now)));
        ledger::append(&store, &record).await?;
        writeln!(ui.out, "unlocked {env}: the lock was {}", removed.describe(now))?;
        Ok(Exit::Success)
    })
}
