//! The store, releases, the ledger and the lock, on both stores: a directory, and S3 on the moto server
//! (conditional writes and deletes through the real SDK). Each check runs on both.

use std::sync::Arc;
use std::time::Duration;

use aws_credential_types::Credentials;
use slipway::clock::{Clock, SystemClock, Timestamp};
use slipway::cloud::{Connector, Settings};
use slipway::ledger::lock::{self, LockError, LockInfo};
use slipway::ledger::{self, Actor, Phase, Record, RunKind};
use slipway::release::{self, Created, ReleaseError, ReleaseInfo};
use slipway::store::Store;

use crate::moto::{Moto, block_on};
use crate::support::{TestClock, tempdir};

/// An S3 store in a new bucket on `moto`.
async fn s3_store(moto: &Moto, bucket: &str) -> Store {
    let loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(&moto.endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"));
    let connector = Connector::load_from(loader, Settings::default()).await;
    let cloud = connector.anywhere(Some("us-east-1")).await.expect("credentials");
    let s3 = moto.s3();
    s3.create_bucket().bucket(bucket).send().await.unwrap();
    Store::S3 { cloud, bucket: bucket.into(), prefix: "team/".into() }
}

/// Runs `check` on a directory store and on an S3 store.
fn on_both_stores(check: impl Fn(Store) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>) {
    let dir = tempdir();
    block_on(check(Store::local(&dir.path().join("state"))));
    let moto = Moto::start();
    block_on(async { check(s3_store(&moto, "slipway-state").await).await });
}

fn actor(name: &str) -> Actor {
    Actor { name: name.into(), ci_run: Some(format!("https://github.com/acme/shop/actions/runs/{}", name.len())) }
}

fn info(id: &str) -> ReleaseInfo {
    ReleaseInfo {
        id: id.into(),
        commit: Some("abc123".into()),
        git_ref: Some("refs/heads/main".into()),
        created_at: SystemClock.now(),
        created_by: "ana".into(),
        slipway_version: "test".into(),
        environments: vec!["dev".into(), "test".into(), "staging".into(), "prod".into()],
        dirty: vec![],
    }
}

#[test]
fn a_release_is_written_once_read_back_checked_and_never_changed() {
    on_both_stores(|store| {
        Box::pin(async move {
            let set = crate::support::synth(&webapp::project(), &[]).unwrap();
            assert_eq!(release::create(&store, &info("r1"), &set.artifacts, &[]).await.unwrap(), Created::New);
            let read = release::read(&store, "r1").await.unwrap();
            assert_eq!(read.artifacts, set.artifacts, "every artifact comes back byte for byte");
            assert_eq!(read.info.commit.as_deref(), Some("abc123"));

            // The same bytes again: nothing is written.
            match release::create(&store, &info("r1"), &set.artifacts, &[]).await.unwrap() {
                Created::Existed(existing) => assert_eq!(existing.created_by, "ana"),
                other => panic!("{other:?}"),
            }
            // Other bytes under the same id: refused, naming what differs.
            let mut changed = set.artifacts.clone();
            let key = slipway::synth::ArtifactKey::template("dev", "app");
            changed.get_mut(&key).unwrap().extend_from_slice(b"\n");
            match release::create(&store, &info("r1"), &changed, &[]).await {
                Err(ReleaseError::Differs { id, differing }) => {
                    assert_eq!(id, "r1");
                    assert_eq!(differing, ["dev/cloudformation/app.template.json"]);
                }
                other => panic!("{other:?}"),
            }
            assert_eq!(release::read(&store, "r1").await.unwrap().artifacts, set.artifacts, "r1 is untouched");

            assert_eq!(release::create(&store, &info("r2"), &changed, &[]).await.unwrap(), Created::New);
            let listed: Vec<String> = release::list(&store).await.unwrap().into_iter().map(|r| r.id).collect();
            assert_eq!(listed, ["r2", "r1"], "newest first");
            assert!(matches!(release::read(&store, "r9").await, Err(ReleaseError::Missing { .. })));
            assert!(matches!(
                release::create(&store, &info("bad id"), &set.artifacts, &[]).await,
                Err(ReleaseError::BadId(_))
            ));
        })
    });
}

#[test]
fn a_damaged_release_is_refused_when_read() {
    let dir = tempdir();
    let store = Store::local(&dir.path().join("state"));
    block_on(async {
        let set = crate::support::synth(&webapp::project(), &[]).unwrap();
        release::create(&store, &info("r1"), &set.artifacts, &[]).await.unwrap();
    });
    let file = dir.path().join("state/releases/r1/dev/cloudformation/app.template.json");
    std::fs::write(&file, "{}").unwrap();
    match block_on(release::read(&store, "r1")) {
        Err(ReleaseError::Damaged { id, why }) => {
            assert_eq!(id, "r1");
            assert_eq!(why, "`dev/cloudformation/app.template.json` is not the bytes its manifest.json lists");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn ledger_records_are_never_rewritten_and_read_back_in_time_order() {
    on_both_stores(|store| {
        Box::pin(async move {
            let base = Timestamp::from_unix_millis(1_795_500_000_000);
            let mut written = Vec::new();
            for (i, (env, kind)) in
                [("dev", RunKind::Deploy), ("test", RunKind::Promote), ("dev", RunKind::Rollback)].iter().enumerate()
            {
                let at = base.plus(Duration::from_secs(i as u64 * 60));
                let mut r = Record::new(&format!("run{i}"), Phase::Finished, *kind, env, at, &actor("ana"));
                r.release = Some(format!("r{i}"));
                ledger::append(&store, &r).await.unwrap();
                written.push(r);
            }
            let dev: Vec<String> =
                ledger::records(&store, "dev").await.unwrap().iter().map(|r| r.run.clone()).collect();
            assert_eq!(dev, ["run0", "run2"]);
            let all = ledger::all_records(&store).await.unwrap();
            assert_eq!(all, written, "every record, oldest first, exactly as written");
            // The same record again (the same key): refused, the first one kept.
            let mut again = written[0].clone();
            again.reason = Some("rewritten".into());
            assert!(matches!(ledger::append(&store, &again).await, Err(ledger::LedgerError::Taken(_))));
            assert_eq!(ledger::records(&store, "dev").await.unwrap()[0].reason, None);
        })
    });
}

fn lock_info(env: &str, run: &str, host: &str, started: Timestamp, ttl: Duration) -> LockInfo {
    LockInfo {
        environment: env.into(),
        run: run.into(),
        holder: actor(run),
        reason: "deploy release r1".into(),
        started_at: started,
        expires_at: started.plus(ttl),
        host: host.into(),
        pid: 4_000_000_000,
    }
}

#[test]
fn a_held_lock_refuses_a_second_run_naming_its_holder_until_it_is_given_back() {
    on_both_stores(|store| {
        Box::pin(async move {
            let now = SystemClock.now();
            let here = lock::this_host();
            let mut first = lock_info("dev", "first", &here, now, Duration::from_secs(3600));
            first.pid = std::process::id();
            let held =
                lock::acquire(&store, first, Duration::ZERO, Duration::from_millis(10), &SystemClock).await.unwrap();
            let mut second = lock_info("dev", "second", &here, now, Duration::from_secs(3600));
            second.pid = std::process::id();
            match lock::acquire(&store, second.clone(), Duration::ZERO, Duration::from_millis(10), &SystemClock).await {
                Err(e @ LockError::Held { .. }) => {
                    let text = e.to_string();
                    assert!(text.starts_with("environment `dev` is locked: held by first (https://github.com/acme/shop/actions/runs/5) on "), "{text}");
                    assert!(text.contains(", to deploy release r1; it expires at "), "{text}");
                }
                other => panic!("{other:?}"),
            }
            // Another environment is not held by it.
            let mut other = lock_info("test", "second", &here, now, Duration::from_secs(3600));
            other.pid = std::process::id();
            lock::acquire(&store, other, Duration::ZERO, Duration::from_millis(10), &SystemClock).await.unwrap();
            lock::release(&store, &held).await.unwrap();
            let taken =
                lock::acquire(&store, second, Duration::ZERO, Duration::from_millis(10), &SystemClock).await.unwrap();
            assert_eq!(taken.info.run, "second");
            assert!(taken.took_over.is_none());
        })
    });
}

#[test]
fn a_killed_holders_lock_is_refused_until_it_expires_then_taken_over_once() {
    on_both_stores(|store| {
        Box::pin(async move {
            // A holder on another machine that was killed: only the expiry frees its lock. The clock is the
            // test's: the expiry passes when the test moves it, not after a sleep that races the machine's load.
            let clock = Arc::new(TestClock::starting_now());
            let now = clock.now();
            let dead = lock_info("dev", "dead", "another-runner", now, Duration::from_millis(1500));
            let json = serde_json::to_vec_pretty(&dead).unwrap();
            assert!(store.put_new("locks/dev.json", json).await.unwrap());
            let here = lock::this_host();
            let mut try_now = lock_info("dev", "early", &here, now, Duration::from_secs(3600));
            try_now.pid = std::process::id();
            assert!(matches!(
                lock::acquire(&store, try_now, Duration::ZERO, Duration::from_millis(10), &*clock).await,
                Err(LockError::Held { .. })
            ));
            clock.advance(Duration::from_millis(1500));
            // Two runs at the same moment, each on a thread of its own: exactly one takes it over.
            let store = Arc::new(store);
            let contenders: Vec<_> = ["a", "b"]
                .into_iter()
                .map(|run| {
                    let (store, clock) = (store.clone(), clock.clone());
                    let mut info = lock_info("dev", run, &here, clock.now(), Duration::from_secs(3600));
                    // Both contenders run (in this process): neither lock is stale.
                    info.pid = std::process::id();
                    std::thread::spawn(move || {
                        block_on(lock::acquire(&store, info, Duration::ZERO, Duration::from_millis(10), &*clock))
                    })
                })
                .collect();
            let results: Vec<_> = contenders.into_iter().map(|t| t.join().unwrap()).collect();
            let winners: Vec<&lock::Held> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
            assert_eq!(winners.len(), 1, "{results:?}");
            // Which of the two deleted the stale lock does not matter; only one holds the new one.
            let loser = results.iter().find_map(|r| r.as_ref().err()).unwrap();
            assert!(
                loser.to_string().contains(&format!("held by {}", winners[0].info.run)),
                "the loser names the winner: {loser}"
            );
            let (now_held, _) = lock::current(&store, "dev").await.unwrap().unwrap();
            assert_eq!(now_held.run, winners[0].info.run);
        })
    });
}

#[test]
fn a_lock_whose_holder_no_longer_runs_on_this_machine_is_taken_over_at_once() {
    let dir = tempdir();
    let store = Store::local(&dir.path().join("state"));
    block_on(async {
        let here = lock::this_host();
        let now = SystemClock.now();
        let gone = lock_info("dev", "gone", &here, now, Duration::from_secs(3600));
        assert!(store.put_new("locks/dev.json", serde_json::to_vec(&gone).unwrap()).await.unwrap());
        let mine = lock_info("dev", "mine", &here, now, Duration::from_secs(3600));
        let held = lock::acquire(&store, mine, Duration::ZERO, Duration::from_millis(10), &SystemClock).await.unwrap();
        assert_eq!(held.took_over.map(|l| l.run), Some("gone".to_string()));
    });
}
