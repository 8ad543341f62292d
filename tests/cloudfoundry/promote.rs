//! The cloud.gov flow's promotions, run as CI runs them: the `slipway` binary with the team's program
//! (`tests/projects/tdp`, the flow of `shared/flows/cloudgov-four-environments.md` with staging and
//! production reached by promotion) as its app, against the v3 API server. A release deployed to
//! `development` is promoted to `staging` with the government's approval and on to `production` with two;
//! the ledger's promote records (from, approvals counted, each app's droplet) and what the server received
//! (the release's images, staged and deployed in the target's space) are asserted. Promotions the policy
//! refuses (an approval missing or not counting, a release that did not pass in the source) change nothing
//! on the server: it receives no request that changes anything. A later release promoted to `staging` is
//! then rolled back there, to the droplets the first one left.

use serde_json::{Value, json};
use slipway::cloudfoundry::CloudFoundry;
use slipway::ledger::{self, Approval, Phase, Record, RunKind};
use slipway::store::Store;

use super::{CfServer, PASSWORD, USER, run, slipway};
use crate::support::Run;

const ORG: &str = "hhs-tanf";

/// A team's repository (a directory of its own, with its `.slipway/` store) and its cloud.gov.
pub struct Team {
    pub server: CfServer,
    pub cf: CloudFoundry,
    pub dir: tempfile::TempDir,
}

impl Team {
    /// The server seeded as the team's cloud.gov is: org `hhs-tanf` with spaces `dev`, `staging` and `prod`,
    /// and each environment's user-provided service of secrets, made once by hand as its manifest says.
    pub fn new() -> Team {
        let server = CfServer::start();
        let instances: Vec<Value> =
            [("experiment", "dev"), ("development", "dev"), ("staging", "staging"), ("production", "prod")]
                .iter()
                .map(|(env, space)| {
                    json!({ "name": format!("tdp-secrets-{env}"), "space": space, "organization": ORG,
                            "type": "user-provided" })
                })
                .collect();
        server.control(
            "POST",
            "/_test/seed",
            &json!({ "organizations": [{ "name": ORG, "spaces": ["dev", "staging", "prod"] }],
                     "service_instances": instances }),
        );
        let cf = server.client();
        Team { server, cf, dir: crate::support::tempdir() }
    }

    /// The service account's settings, as CI's secrets give them.
    pub fn account(&self) -> Vec<(&'static str, String)> {
        vec![("CF_API", self.server.url.clone()), ("CF_USERNAME", USER.into()), ("CF_PASSWORD", PASSWORD.into())]
    }

    /// `slipway ARGS --yes --progress events --poll-ms 20` as `actor`, signed in as the service account.
    pub fn apply(&self, actor: &str, args: &[&str]) -> Run {
        let account = self.account();
        let cf: Vec<(&str, &str)> = account.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let args = [args, &["--yes", "--progress", "events", "--poll-ms", "20"]].concat();
        slipway(self.dir.path(), &cf, &[("GITHUB_ACTOR", actor)], &args)
    }

    /// The ledger's records of `env`, as the runs wrote them to the team's store.
    pub fn records(&self, env: &str) -> Vec<Record> {
        run(ledger::records(&Store::local(&self.dir.path().join(".slipway")), env)).unwrap()
    }

    /// The last finished record of `env`.
    pub fn finished(&self, env: &str) -> Record {
        self.records(env).into_iter().rev().find(|r| r.phase == Phase::Finished).expect("a finished run")
    }

    /// The guid of app `app` of space `space`, if it exists.
    pub fn app(&self, space: &str, app: &str) -> Option<String> {
        run(async {
            let org = self.cf.organization(ORG).await.unwrap();
            let space = self.cf.space(&org.guid, space).await.unwrap();
            Some(self.cf.app_named(&space.guid, app).await.unwrap()?.guid)
        })
    }

    /// What app `app` of space `space` runs: its current droplet's guid and image, if it exists.
    pub fn running(&self, space: &str, app: &str) -> Option<(String, Option<String>)> {
        let guid = self.app(space, app)?;
        let droplet = run(self.cf.current_droplet(&guid)).unwrap()?;
        Some((droplet.guid, droplet.image))
    }

    /// How many requests other than a GET the server has received (a token request among them): a run that
    /// sends none has changed nothing.
    pub fn changes(&self) -> usize {
        self.server.state()["received"].as_array().unwrap().iter().filter(|r| r["method"] != "GET").count()
    }
}

/// Fails the test with everything the run said unless it ended `status`.
pub fn ended(run: &Run, status: i32) {
    assert_eq!(run.status, status, "stdout:\n{}\nstderr:\n{}", run.stdout, run.stderr);
}

fn image(app: &str, release: &str) -> Option<String> {
    Some(format!("ghcr.io/hhs/tdp-{app}:{release}"))
}

/// Each app of a promote record has the droplet the server says it runs, made from the release's image.
fn assert_promoted(team: &Team, env: &str, space: &str, from: &str, release: &str, approvers: &[&str]) {
    let record = team.finished(env);
    assert_eq!(record.kind, RunKind::Promote);
    assert_eq!(record.outcome.map(|o| o.as_str()), Some("deployed"));
    assert_eq!(record.release.as_deref(), Some(release));
    assert_eq!(record.from.as_deref(), Some(from));
    let counted: Vec<Approval> =
        approvers.iter().map(|by| Approval { by: (*by).into(), source: "command line".into() }).collect();
    assert_eq!(record.approvals, counted, "the approvals counted are recorded");
    let names: Vec<&str> = record.apps.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, [format!("tdp-backend-{env}"), format!("tdp-frontend-{env}")]);
    for (app, service) in record.apps.iter().zip(["backend", "frontend"]) {
        let (droplet, running) = team.running(space, &app.name).expect("the app exists");
        assert_eq!(app.droplet.as_deref(), Some(droplet.as_str()), "{app:?}");
        assert_eq!(running, image(service, release), "{}", app.name);
        assert!(app.result == "deployed" && app.revision.is_some(), "{app:?}");
    }
}

#[test]
fn a_release_is_promoted_to_staging_and_production_with_its_approvals_and_refused_promotions_change_nothing() {
    let team = Team::new();
    // r1 and r2 are made on main by a vendor developer, who deploys them to `development` by hand.
    let deploy = |release: &str, commit: &str| {
        team.apply("vendor1", &["deploy", "--env", "development", "--release", release, "--commit", commit])
    };
    let promote = |release: &str, to: &str, extra: &[&str]| {
        team.apply("ci-bot", &[&["promote", "--release", release, "--to", to][..], extra].concat())
    };
    // A promotion refused (exit 1), saying each of `said`, without one request to cloud.gov that
    // changes anything.
    let refused = |release: &str, to: &str, extra: &[&str], said: &[&str]| {
        let before = team.changes();
        let run = promote(release, to, extra);
        ended(&run, 1);
        for words in said {
            assert!(run.stderr.contains(words), "no {words:?} in:\n{}", run.stderr);
        }
        assert_eq!(team.changes(), before, "a refused promotion changes nothing on cloud.gov");
    };
    ended(&deploy("r1", "c1"), 0);
    assert_eq!(team.running("dev", "tdp-backend-development").unwrap().1, image("backend", "r1"));

    // staging is never deployed directly, and takes r1 only with an approval from the government, which
    // the release's own author cannot give.
    let direct = team.apply("ci-bot", &["deploy", "--env", "staging", "--release", "r1"]);
    ended(&direct, 1);
    assert!(direct.stderr.contains("`staging` is reached only by promotion from development"), "{}", direct.stderr);
    refused(
        "r1",
        "staging",
        &["--approved-by", "vendor1"],
        &["`staging` needs 1 approval from gov", "vendor1 is the release's author"],
    );
    assert!(team.running("staging", "tdp-backend-staging").is_none());
    assert!(team.records("staging").is_empty(), "nothing ran, so nothing is recorded");

    let promoted = promote("r1", "staging", &["--approved-by", "alma"]);
    ended(&promoted, 0);
    assert!(promoted.stdout.contains("app tdp-backend-staging: deployed (droplet "), "{}", promoted.stdout);
    assert_promoted(&team, "staging", "staging", "development", "r1", &["alma"]);
    let r1_in_staging: Vec<Option<String>> = team.finished("staging").apps.into_iter().map(|a| a.droplet).collect();
    // What the server received: the release's images, as packages of the staging apps, the backend first
    // (the frontend calls it).
    let packages: Vec<(String, String)> = team
        .server
        .received("POST", "/v3/packages")
        .iter()
        .map(|p| {
            let app = p["body"]["relationships"]["app"]["data"]["guid"].as_str().unwrap().to_string();
            (app, p["body"]["data"]["image"].as_str().unwrap().to_string())
        })
        .collect();
    let staged: Vec<(String, String)> = ["backend", "frontend"]
        .iter()
        .map(|service| (team.app("staging", &format!("tdp-{service}-staging")).unwrap(), image(service, "r1").unwrap()))
        .collect();
    assert_eq!(packages[packages.len() - 2..], staged);

    // r2's frontend fails staging in `development`, which goes back to r1: r2 did not pass there, so it is
    // not promoted, whoever approves.
    team.server
        .script(json!({ "kind": "fail_staging", "app": "tdp-frontend-development", "error_id": "NoAppDetectedError" }));
    ended(&deploy("r2", "c2"), 4);
    assert_eq!(team.running("dev", "tdp-backend-development").unwrap().1, image("backend", "r1"));
    refused(
        "r2",
        "staging",
        &["--from", "development", "--approved-by", "alma"],
        &["`development` runs release r1, not r2", "(deploy of release r2 by vendor1) ended rolled-back"],
    );
    refused(
        "r2",
        "staging",
        &["--approved-by", "alma"],
        &["release r2 runs in none of the environments `staging` is promoted from"],
    );
    assert_eq!(team.running("staging", "tdp-frontend-staging").unwrap().1, image("frontend", "r1"));

    // production takes r1 from staging with two of the government's approvals: one is not enough, and a
    // vendor's is not counted.
    refused(
        "r1",
        "production",
        &["--approved-by", "alma", "--approved-by", "vendor2"],
        &[
            "`production` needs 2 approvals from gov",
            "counted alma; not counted: vendor2 is in none of the approving groups",
        ],
    );
    let skipping = ["--from", "development", "--approved-by", "alma", "--approved-by", "raj"];
    refused("r1", "production", &skipping, &["`production` is not promoted from `development`"]);
    assert!(team.running("prod", "tdp-backend-production").is_none());

    ended(
        &promote("r1", "production", &["--approved-by", "alma", "--approved-by", "vendor2", "--approved-by", "raj"]),
        0,
    );
    assert_promoted(&team, "production", "prod", "staging", "r1", &["alma", "raj"]);
    // Each environment's apps got droplets of their own, staged in their own space from the same images.
    let staging = team.running("staging", "tdp-backend-staging").unwrap().0;
    let production = team.running("prod", "tdp-backend-production").unwrap().0;
    let development = team.running("dev", "tdp-backend-development").unwrap().0;
    assert!(staging != production && production != development, "{staging} {production} {development}");

    // r3 passes in `development` and is promoted to `staging`; a rollback of `staging`, with the approval a
    // promotion into it needs, puts r1's droplets back there: nothing is staged again.
    ended(&deploy("r3", "c3"), 0);
    ended(&promote("r3", "staging", &["--approved-by", "lena"]), 0);
    assert_eq!(team.running("staging", "tdp-backend-staging").unwrap().1, image("backend", "r3"));
    let packages = team.server.received("POST", "/v3/packages").len();
    let back = ["rollback", "--env", "staging", "--reason", "r3 breaks uploads", "--approved-by", "alma"];
    ended(&team.apply("ci-bot", &back), 0);
    assert_eq!(team.server.received("POST", "/v3/packages").len(), packages, "no package for a rollback");
    let record = team.finished("staging");
    assert_eq!((record.kind, record.release.as_deref()), (RunKind::Rollback, Some("r1")));
    assert_eq!(record.apps.iter().map(|a| a.droplet.clone()).collect::<Vec<_>>(), r1_in_staging);
    for app in &record.apps {
        assert_eq!(team.running("staging", &app.name).unwrap().0, *app.droplet.as_ref().unwrap(), "{app:?}");
    }
    assert_eq!(team.running("staging", "tdp-frontend-staging").unwrap().1, image("frontend", "r1"));

    // `history` shows the promotion as the ledger has it.
    let history = slipway(team.dir.path(), &[], &[], &["history", "--env", "production", "--format", "json"]);
    ended(&history, 0);
    let records: Vec<Value> = serde_json::from_str(&history.stdout).unwrap();
    assert_eq!(records[0]["kind"], "promote");
    assert_eq!(records[0]["from"], "staging");
    assert_eq!(
        records[0]["approvals"],
        json!([{ "by": "alma", "source": "command line" }, { "by": "raj", "source": "command line" }])
    );
}
