//! One run at a time per environment: a lock object in the store, created only if none exists, naming its
//! holder, CI run, reason, start and expiry.
//!
//! A second run is refused at once with the holder's name, run URL and age, or waits for it (bounded). A
//! lock past its expiry, or one whose holder was a process on this machine that no longer runs, is taken
//! over: deleted only if it is still the lock that was read (S3 `If-Match`), then created again only if
//! absent, so of two runs taking over at the same moment exactly one wins. A run releases its lock when
//! it ends, also when it fails or is interrupted; `slipway unlock` removes one by hand.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::Actor;
use crate::clock::{Clock, Timestamp, human};
use crate::store::{Store, StoreError};

/// What a lock says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    /// The environment.
    pub environment: String,
    /// The run holding it.
    pub run: String,
    /// Who holds it.
    pub holder: Actor,
    /// What for (`deploy release r1`).
    pub reason: String,
    /// Since when.
    pub started_at: Timestamp,
    /// When it may be taken over.
    pub expires_at: Timestamp,
    /// The machine the holder runs on.
    pub host: String,
    /// The holder's process id there.
    pub pid: u32,
}

impl LockInfo {
    /// Whether the lock may be taken over at `now`: it expired, or its holder was a process of this
    /// machine that no longer runs.
    pub fn is_stale(&self, now: Timestamp, this_host: &str) -> bool {
        now >= self.expires_at || (self.host == this_host && !process_runs(self.pid))
    }

    /// "held by NAME (CI run URL) for 3m, to deploy release r1".
    pub fn describe(&self, now: Timestamp) -> String {
        let run = self.holder.ci_run.as_deref().map(|u| format!(" ({u})")).unwrap_or_default();
        format!(
            "held by {}{run} on {} for {}, to {}; it expires at {}",
            self.holder.name,
            self.host,
            human(now.since(self.started_at)),
            self.reason,
            self.expires_at
        )
    }
}

/// Whether process `pid` runs on this machine (Linux's `/proc`; elsewhere it is assumed to run, so only
/// expiry frees its locks).
fn process_runs(pid: u32) -> bool {
    let proc = std::path::Path::new("/proc");
    !proc.is_dir() || proc.join(pid.to_string()).exists()
}

/// This machine's name, as locks record it.
pub fn this_host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

/// A lock this run holds; give it back with [`release`].
#[derive(Clone, Debug)]
pub struct Held {
    key: String,
    etag: String,
    /// What it says.
    pub info: LockInfo,
    /// Whether it was taken over from a stale lock, and that lock.
    pub took_over: Option<LockInfo>,
}

/// Why a lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another run holds it.
    #[error("environment `{env}` is locked: {}", .holder.describe(*.now))]
    Held {
        /// The environment.
        env: String,
        /// The lock.
        holder: Box<LockInfo>,
        /// When it was seen.
        now: Timestamp,
    },
    /// It was still held when the wait ran out.
    #[error("environment `{env}` was still locked after waiting {}: {}", human(*.waited), .holder.describe(*.now))]
    StillHeld {
        /// The environment.
        env: String,
        /// The lock.
        holder: Box<LockInfo>,
        /// How long this run waited.
        waited: Duration,
        /// When it gave up.
        now: Timestamp,
    },
    /// The lock object cannot be read.
    #[error("the lock of environment `{env}` cannot be read: {why}; remove it with `slipway unlock --env {env}`")]
    Unreadable {
        /// The environment.
        env: String,
        /// Why.
        why: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn key(env: &str) -> String {
    format!("locks/{env}.json")
}

/// The lock of `env` and its tag, if one is held.
pub async fn current(store: &Store, env: &str) -> Result<Option<(LockInfo, String)>, LockError> {
    let Some(object) = store.get(&key(env)).await? else { return Ok(None) };
    let info = serde_json::from_slice(&object.bytes)
        .map_err(|e| LockError::Unreadable { env: env.into(), why: e.to_string() })?;
    Ok(Some((info, object.etag)))
}

/// Takes the lock `info` describes, waiting up to `wait` (polling every `poll`) while another run holds
/// it, and taking over a stale one.
pub async fn acquire(
    store: &Store,
    info: LockInfo,
    wait: Duration,
    poll: Duration,
    clock: &dyn Clock,
) -> Result<Held, LockError> {
    let env = info.environment.clone();
    let k = key(&env);
    let began = clock.now();
    let host = this_host();
    let mut took_over = None;
    loop {
        let mut json = serde_json::to_string_pretty(&info).expect("a lock serializes");
        json.push('\n');
        if store.put_new(&k, json.into_bytes()).await? {
            let (_, etag) = current(store, &env).await?.expect("the lock was just written");
            return Ok(Held { key: k, etag, info, took_over });
        }
        let Some((holder, etag)) = current(store, &env).await? else { continue };
        let now = clock.now();
        if holder.is_stale(now, &host) {
            // Only the run whose delete finds the lock it read takes it over; the others see a new lock.
            if store.delete_if(&k, &etag).await? {
                took_over = Some(holder);
            }
            continue;
        }
        let waited = now.since(began);
        if waited >= wait {
            if wait.is_zero() {
                return Err(LockError::Held { env, holder: Box::new(holder), now });
            }
            return Err(LockError::StillHeld { env, holder: Box::new(holder), waited, now });
        }
        tokio::time::sleep(poll.min(wait - waited)).await;
    }
}

/// Gives back a lock this run holds (only if it is still this run's).
pub async fn release(store: &Store, held: &Held) -> Result<(), StoreError> {
    store.delete_if(&held.key, &held.etag).await.map(|_| ())
}

/// Removes whatever lock `env` has, returning what it said.
pub async fn unlock(store: &Store, env: &str) -> Result<Option<LockInfo>, LockError> {
    loop {
        let Some((info, etag)) = current(store, env).await? else { return Ok(None) };
        if store.delete_if(&key(env), &etag).await? {
            return Ok(Some(info));
        }
    }
}
