//! The flow of `shared/flows/compose-and-feature-demos.md` walked on the real engine: the reference
//! definitions of its servers ([`crate::model::reference_flows::compose_servers_only`]: development,
//! staging and production, each a docker-compose host and nothing else), run by the CLI as CI runs it,
//! each server the test Docker engine behind an OpenSSH server on loopback ([`crate::sshd`], its key
//! pinned), the services from the test images. A push to `development` or `staging` deploys that server;
//! production takes a release tag and an approval; production is rolled back to the release it ran before.

use std::process::ExitCode;

use slipway::ledger::{self, Phase};
use slipway::model::{BackingService, ComposeHost, ComposeTarget, Definitions, Environment, Target};
use slipway::store::Store;

use crate::demo::local::{LOCAL_HOST, local_image, served};
use crate::sshd::Sshd;
use crate::support::{Docker, ProjectCleanup, TestClock, docker, harness_var, http_get, tempdir, unique_name};

/// The flow's servers on this machine: each its compose host on the test engine over SSH, running the
/// test images.
fn servers(sshd: &Sshd) -> Definitions {
    let mut project = crate::model::reference_flows::compose_servers_only();
    project.environments = std::mem::take(&mut project.environments)
        .into_iter()
        .map(|mut env: Environment| {
            env.targets.retain(|t| !matches!(t, Target::Compose(_)));
            env.compose_on(ComposeTarget::new(ComposeHost::Server(LOCAL_HOST.into())).docker_host(sshd.url()))
                .backing(BackingService::postgres("db").image(harness_var("SLIPWAY_TEST_POSTGRES_IMAGE")))
                .service(served(webapp::frontend()))
                .service(served(webapp::backend()))
        })
        .collect();
    assert_eq!(slipway::model::check(&project), vec![], "the walked flow passes check");
    project
}

struct Walk {
    docker: Docker,
    sshd: Sshd,
    project: Definitions,
    clock: TestClock,
    dir: tempfile::TempDir,
}

struct Ran {
    code: ExitCode,
    out: String,
    err: String,
}

impl Ran {
    fn said(&self) -> String {
        format!("{:?}\n--- stdout\n{}--- stderr\n{}", self.code, self.out, self.err)
    }
}

impl Walk {
    /// `slipway ARGS` as the workflows run it, with the SSH key and the server's pinned key their secrets
    /// give, and this walk's store.
    fn slipway(&self, args: &[&str]) -> Ran {
        let (known, key) = (self.sshd.known_hosts(), self.sshd.key());
        let store = self.dir.path().join("store");
        let mut argv = vec!["slipway"];
        argv.extend_from_slice(args);
        argv.extend(["--ssh-known-hosts", known.to_str().unwrap(), "--ssh-key", key.to_str().unwrap()]);
        argv.extend(["--progress", "events", "--poll-ms", "20", "--store", store.to_str().unwrap()]);
        let (ui, captured) = slipway::cli::Ui::captured("");
        self.clock.advance(std::time::Duration::from_secs(60));
        let code = slipway::cli::run_at(&self.project, argv, &ui, &self.clock);
        Ran { code, out: captured.out(), err: captured.err() }
    }

    /// A push to (or a tag `git_ref`) that deploys `release` to `env`, approved by `approvers`.
    fn deploy(&self, env: &str, release: &str, git_ref: &str, approvers: &[&str]) -> Ran {
        let mut args = vec!["deploy", "--env", env, "--release", release, "--ref", git_ref, "--commit", "abc123"];
        // The walk runs in this repository's working tree, whatever state it is in.
        args.push("--allow-dirty");
        for by in approvers {
            args.extend(["--approved-by", by]);
        }
        self.slipway(&args)
    }

    fn images(&self, env: &str) -> Vec<(String, String)> {
        let services = self.docker.compose().services(&format!("fmtm-{env}"), &self.docker.host).unwrap();
        services.into_iter().filter(|s| s.service != "db").map(|s| (s.service, s.image)).collect()
    }

    fn frontend(&self, env: &str) -> Result<(u16, String), String> {
        let bundle = slipway::synth::compose::bundle(&self.project, self.project.find(env).unwrap()).unwrap();
        http_get(&bundle.urls.iter().find(|(s, _)| s == "frontend").unwrap().1)
    }

    /// The ledger of `env`, a line per run that finished: kind, release, outcome.
    fn ledger(&self, env: &str) -> Vec<String> {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let records = rt.block_on(ledger::records(&Store::local(&self.dir.path().join("store")), env)).unwrap();
        records
            .iter()
            .filter(|r| r.phase == Phase::Finished)
            .map(|r| {
                let outcome = r.outcome.map(ledger::Outcome::as_str).unwrap_or_default();
                format!("{} {} {outcome}", r.kind.as_str(), r.release.as_deref().unwrap_or("?"))
            })
            .collect()
    }
}

fn ok(ran: &Ran) {
    assert_eq!(ran.code, ExitCode::SUCCESS, "{}", ran.said());
}

fn refused(ran: &Ran, rule: &str) {
    assert_eq!(ran.code, ExitCode::from(1), "{}", ran.said());
    assert!(ran.err.contains(rule), "{}", ran.said());
}

/// Tags the test image as each of `tags` (releases are image tags), and removes them when dropped.
struct Tags<'a>(&'a Docker, Vec<String>);

impl<'a> Tags<'a> {
    fn new(docker: &'a Docker, tags: &[&str]) -> Tags<'a> {
        let (repository, release) = local_image();
        for tag in tags {
            let out = docker.cli(&["tag", &format!("{repository}:{release}"), &format!("{repository}:{tag}")]);
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        }
        Tags(docker, tags.iter().map(|t| t.to_string()).collect())
    }
}

impl Drop for Tags<'_> {
    fn drop(&mut self) {
        for tag in &self.1 {
            let _ = self.0.cli(&["rmi", &format!("{}:{tag}", local_image().0)]);
        }
    }
}

#[test]
fn the_compose_servers_flow_walked_on_the_real_engine_over_ssh() {
    let docker = docker();
    let sshd = Sshd::start(&docker);
    let project = servers(&sshd);
    let w = Walk { project, sshd, clock: TestClock::starting_now(), dir: tempdir(), docker };
    let _cleanup =
        ["development", "staging", "production"].map(|e| ProjectCleanup::new(&w.docker, &format!("fmtm-{e}")));
    let (repository, dev) = local_image();
    let (staging, v1, v2) = (unique_name("staging"), unique_name("v1"), unique_name("v2"));
    let _tags = Tags::new(&w.docker, &[&staging, &v1, &v2]);
    let image = |tag: &str| {
        vec![("backend".to_string(), format!("{repository}:{tag}")), ("frontend".into(), format!("{repository}:{tag}"))]
    };

    // A merge to `development` deploys the development server.
    ok(&w.deploy("development", &dev, "refs/heads/development", &[]));
    assert_eq!(w.images("development"), image(&dev));
    assert_eq!(w.frontend("development"), Ok((200, format!("development frontend {dev}\n"))));
    // What `development` made does not reach staging; a merge to `staging` does.
    refused(&w.deploy("staging", &dev, "refs/heads/development", &[]), "[ref] release");
    ok(&w.deploy("staging", &staging, "refs/heads/staging", &[]));
    assert_eq!(w.frontend("staging"), Ok((200, format!("staging frontend {staging}\n"))));

    // Production takes a release tag (what a GitHub release makes), with a maintainer's approval.
    refused(&w.deploy("production", &staging, "refs/heads/staging", &["ivan"]), "[ref] release");
    let tag = |t: &str| format!("refs/tags/{t}");
    refused(&w.deploy("production", &v1, &tag(&v1), &[]), "[approvals] `production` needs 1 approval");
    ok(&w.deploy("production", &v1, &tag(&v1), &["ivan"]));
    assert_eq!(w.images("production"), image(&v1));
    ok(&w.deploy("production", &v2, &tag(&v2), &["sam"]));
    assert_eq!(w.images("production"), image(&v2));
    assert_eq!(w.frontend("production"), Ok((200, format!("production frontend {v2}\n"))));

    // Production rolled back to the release it ran before, with a maintainer's approval as any change there:
    // its images, answering as it did.
    let rollback = ["rollback", "--env", "production", "--reason", "v2 breaks the map export"];
    refused(&w.slipway(&rollback), "[approvals] `production` needs 1 approval");
    ok(&w.slipway(&[&rollback[..], &["--approved-by", "ivan"]].concat()));
    assert_eq!(w.images("production"), image(&v1));
    assert_eq!(w.frontend("production"), Ok((200, format!("production frontend {v1}\n"))));
    // The other servers were not touched.
    assert_eq!(w.images("development"), image(&dev));
    assert_eq!(w.images("staging"), image(&staging));

    assert_eq!(w.ledger("development"), [format!("deploy {dev} deployed")]);
    assert_eq!(w.ledger("staging"), [format!("deploy {staging} deployed")]);
    assert_eq!(
        w.ledger("production"),
        [format!("deploy {v1} deployed"), format!("deploy {v2} deployed"), format!("rollback {v1} deployed")]
    );
}
