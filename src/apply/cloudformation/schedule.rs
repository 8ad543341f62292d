//! The scheduler: stacks start as soon as every stack they depend on has succeeded, up to
//! `--concurrency` at once, and no new stack starts after one has failed (the ones running finish, so
//! that the rollback knows where each stack ended).

use std::collections::{BTreeMap, BTreeSet};

use futures_util::stream::{FuturesUnordered, StreamExt};

use super::{Deploy, StackResult};

impl Deploy<'_> {
    /// Deploys every stack in dependency order; returns each started stack's result by short name.
    pub(super) async fn deploy_all(&self) -> BTreeMap<String, StackResult> {
        let mut results: BTreeMap<String, StackResult> = BTreeMap::new();
        let mut started: BTreeSet<String> = BTreeSet::new();
        let mut running = FuturesUnordered::new();
        let mut failed = false;
        loop {
            if !failed {
                for sp in &self.plan.stacks {
                    if running.len() >= self.opts.concurrency.max(1) {
                        break;
                    }
                    let ready = !started.contains(&sp.short)
                        && sp.depends_on.iter().all(|d| results.get(d).is_some_and(StackResult::ok));
                    if ready {
                        started.insert(sp.short.clone());
                        running.push(async move { (sp.short.clone(), self.deploy_stack(sp).await) });
                    }
                }
            }
            let Some((short, result)) = running.next().await else { break };
            failed |= !result.ok();
            results.insert(short, result);
        }
        results
    }
}
