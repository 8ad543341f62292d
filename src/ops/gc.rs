//! `slipway gc`: removes from the store the releases no ledger record refers to, once they are older
//! than a given age, and the assets no release left lists.
//!
//! A release any record names (deployed, promoted, rolled back to, refused, a demo's) is kept whatever its
//! age, since a rollback may go back to it; so is one younger than the age (made, not yet deployed). A
//! release's `release.json` is removed first, so a gc that stops half way leaves an incomplete release,
//! which nothing deploys, rather than a damaged one. An asset is kept while any release directory left,
//! complete or not, lists it. A release being created while gc runs may find an asset it shares with an
//! old release gone: run gc when no release is being made (CI runs it on a schedule of its own).

use std::collections::BTreeSet;
use std::time::Duration;

use crate::clock::Timestamp;
use crate::ledger;
use crate::release::{self, assets as stored};
use crate::store::Store;

use super::OpsError;

/// What a gc removes (or, with `--dry-run`, would remove), and what it keeps.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Garbage {
    /// Releases no record refers to, older than the age: (id, when made).
    pub releases: Vec<(String, Timestamp)>,
    /// Stored assets (`assets/<hash>.zip`) no release left lists.
    pub assets: Vec<String>,
    /// How many releases stay.
    pub kept_releases: usize,
    /// How many stored assets stay.
    pub kept_assets: usize,
}

/// What a gc of `store` at `now` would remove: releases unreferenced and older than `older_than`, and
/// the assets that only they (or no release at all) list.
pub async fn find(store: &Store, now: Timestamp, older_than: Duration) -> Result<Garbage, OpsError> {
    let referred: BTreeSet<String> = ledger::all_records(store).await?.into_iter().filter_map(|r| r.release).collect();
    let mut garbage = Garbage::default();
    let mut gone = BTreeSet::new();
    for info in release::list(store).await? {
        if !referred.contains(&info.id) && now.since(info.created_at) > older_than {
            gone.insert(info.id.clone());
            garbage.releases.push((info.id, info.created_at));
        }
    }
    garbage.releases.sort();
    // Every release directory that stays, complete or not, and the assets it lists.
    let dirs: BTreeSet<String> = store
        .list("releases/")
        .await?
        .iter()
        .filter_map(|k| k.strip_prefix("releases/")?.split_once('/').map(|(id, _)| id.to_string()))
        .collect();
    garbage.kept_releases = dirs.iter().filter(|id| !gone.contains(*id)).count();
    let mut listed = BTreeSet::new();
    for id in dirs.iter().filter(|id| !gone.contains(*id)) {
        listed.extend(stored::read(store, id).await?.into_iter().map(|a| a.key));
    }
    for key in store.list(stored::STORE_PREFIX).await? {
        if listed.contains(&key) {
            garbage.kept_assets += 1;
        } else {
            garbage.assets.push(key);
        }
    }
    Ok(garbage)
}

/// Removes what `garbage` lists: each release's `release.json` first, then the rest of it, then the
/// assets.
pub async fn remove(store: &Store, garbage: &Garbage) -> Result<(), OpsError> {
    for (id, _) in &garbage.releases {
        let prefix = format!("releases/{id}/");
        store.delete(&format!("{prefix}release.json")).await?;
        for key in store.list(&prefix).await? {
            store.delete(&key).await?;
        }
    }
    for key in &garbage.assets {
        store.delete(key).await?;
    }
    Ok(())
}
