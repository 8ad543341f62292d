//! An environment whose only target is a compose host (the compose team's preview server,
//! `tests/projects/bazaar`: no AWS account, no cloud.gov space), deployed through the `slipway` binary
//! with the team's program as its app, over real SSH ([`crate::sshd`], the host key pinned) to the test
//! Docker engine. A new release changes the images; `promote` takes what runs there to the live server; a
//! release whose services never become healthy is undone, the host back on the previous release container
//! for container (exit 4); `rollback --to` goes back to the first release; and when the previous release
//! cannot be brought back (its image is gone from the engine), the run ends exit 5 naming the host.
//! `--target` picks the host, or refuses what the environment does not have.

use std::collections::BTreeMap;

use slipway::ledger::{self, Phase};
use slipway::store::Store;

use crate::demo::local::{BROKEN, local_image};
use crate::projects::engine;
use crate::sshd::Sshd;
use crate::support::{Docker, ProjectCleanup, Run, docker, harness_var, http_get, tempdir, unique_name};

/// The compose project of bazaar's preview server.
const PROJECT: &str = "bazaar-preview";

/// Held by each test that deploys bazaar's preview server (here and [`super::images`]): its compose project,
/// containers and ports are one per engine.
pub(crate) static PREVIEW_SERVER: std::sync::Mutex<()> = std::sync::Mutex::new(());

struct Preview {
    docker: Docker,
    sshd: Sshd,
    dir: tempfile::TempDir,
    vars: Vec<(&'static str, String)>,
}

impl Preview {
    fn new() -> Preview {
        let docker = docker();
        let sshd = Sshd::start(&docker);
        let vars = vec![
            ("BAZAAR_IMAGE", local_image().0),
            ("BAZAAR_FILES_IMAGE", harness_var("SLIPWAY_TEST_IMAGE")),
            ("BAZAAR_POSTGRES_IMAGE", harness_var("SLIPWAY_TEST_POSTGRES_IMAGE")),
            ("BAZAAR_SERVER_HOST", "127.0.0.1".to_string()),
            ("BAZAAR_SERVER_DOCKER_HOST", sshd.url()),
        ];
        Preview { docker, sshd, dir: tempdir(), vars }
    }

    fn store(&self) -> std::path::PathBuf {
        self.dir.path().join("store")
    }

    /// `slipway ARGS` with the team's program, the store, and what a CI job gives it (`GITHUB_REF` is `main`).
    fn slipway(&self, args: &[&str]) -> Run {
        self.slipway_with(args, &[])
    }

    fn slipway_with(&self, args: &[&str], extra: &[(&'static str, String)]) -> Run {
        let vars: Vec<(&str, &str)> = self.vars.iter().chain(extra).map(|(k, v)| (*k, v.as_str())).collect();
        let store = self.store().display().to_string();
        engine("bazaar", self.dir.path(), None, &vars, &[args, &["--store", &store]].concat())
    }

    /// `slipway COMMAND --env preview ARGS` as CI runs it: to the engine over SSH, the server's key pinned.
    fn run(&self, command: &str, args: &[&str]) -> Run {
        self.over_ssh(&[&[command, "--env", "preview"][..], args].concat())
    }

    /// `slipway promote --release RELEASE --to live`, approved by `approvers`, over SSH.
    fn promote(&self, release: &str, approvers: &[&str]) -> Run {
        let mut args = vec!["promote", "--release", release, "--to", "live"];
        for by in approvers {
            args.extend(["--approved-by", by]);
        }
        self.over_ssh(&args)
    }

    /// `slipway ARGS` to the engine over SSH, the server's key pinned.
    fn over_ssh(&self, args: &[&str]) -> Run {
        let ssh = self.sshd.engine_args();
        let ssh: Vec<&str> = ssh.iter().map(String::as_str).collect();
        self.slipway(&[args, &ssh].concat())
    }

    fn deploy(&self, release: &str) -> Run {
        let started = std::time::Instant::now();
        let run = self.run("deploy", &["--release", release, "--commit", "abc123"]);
        // A figure for the notes (`--nocapture`), never an assertion.
        eprintln!("deploy of release {release}: {:.1} s, exit {}", started.elapsed().as_secs_f64(), run.status);
        run
    }

    /// Each service on the host: its image by name and by ID, its state and health, and every label (compose's
    /// hash of the service's whole configuration among them) but the scratch directory `up` ran from.
    fn host(&self) -> BTreeMap<String, String> {
        let services = self.docker.compose().services(PROJECT, &self.docker.host).unwrap();
        services
            .into_iter()
            .map(|mut s| {
                // Where `up` ran from (each run's own scratch directory), and the dependency compose 2.40 writes
                // for a service of several (`api`: `db` and `files`), one of them picked in a Go map's order,
                // which differs from one `up` to the next; the configuration hash covers them all.
                s.labels.retain(|k, _| {
                    !k.starts_with("com.docker.compose.project.") && k != "com.docker.compose.depends_on"
                });
                let out = self.docker.cli(&["inspect", "--format", "{{.Image}}", &s.id]);
                let image_id = String::from_utf8_lossy(&out.stdout).trim().to_string();
                (s.service.clone(), format!("{} {image_id} {} {} {:?}", s.image, s.state, s.health, s.labels))
            })
            .collect()
    }

    /// Each service's container, by ID.
    fn containers(&self) -> BTreeMap<String, String> {
        let services = self.docker.compose().services(PROJECT, &self.docker.host).unwrap();
        services.into_iter().map(|s| (s.service, s.id)).collect()
    }

    fn images(&self) -> BTreeMap<String, String> {
        self.images_of(PROJECT)
    }

    fn images_of(&self, project: &str) -> BTreeMap<String, String> {
        let services = self.docker.compose().services(project, &self.docker.host).unwrap();
        services.into_iter().map(|s| (s.service, s.image)).collect()
    }

    /// What `web` serves at `/`, on the port the engine published it on.
    fn web(&self) -> Result<(u16, String), String> {
        let services = self.docker.compose().services(PROJECT, &self.docker.host).unwrap();
        let web = services.iter().find(|s| s.service == "web").expect("web runs");
        let out = self.docker.cli(&["port", &web.id, "8080/tcp"]);
        let port = String::from_utf8_lossy(&out.stdout);
        let address = port.lines().next().unwrap_or_else(|| panic!("web publishes no port: {out:?}")).trim();
        http_get(&format!("http://{address}/"))
    }

    fn ledger(&self) -> Vec<ledger::Record> {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let records = rt.block_on(ledger::records(&Store::local(&self.store()), "preview")).unwrap();
        records.into_iter().filter(|r| r.phase == Phase::Finished).collect()
    }
}

fn said(run: &Run) -> String {
    format!("status {}\n--- stdout\n{}--- stderr\n{}", run.status, run.stdout, run.stderr)
}

fn tag(docker: &Docker, tag: &str) {
    let (repository, release) = local_image();
    let out = docker.cli(&["tag", &format!("{repository}:{release}"), &format!("{repository}:{tag}")]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Removes the tag when dropped (other tests share the engine, so the tags are this test's own).
struct Tags<'a>(&'a Docker, Vec<String>);

impl Drop for Tags<'_> {
    fn drop(&mut self) {
        for tag in &self.1 {
            let _ = self.0.cli(&["rmi", &format!("{}:{tag}", local_image().0)]);
        }
    }
}

#[test]
fn a_compose_only_environment_deploys_rolls_back_and_is_restored_over_ssh_through_the_binary() {
    let _preview = PREVIEW_SERVER.lock().unwrap_or_else(|e| e.into_inner());
    let w = Preview::new();
    let _cleanup = ProjectCleanup::new(&w.docker, PROJECT);
    let (repository, first) = local_image();
    let (second, third) = (unique_name("second"), unique_name("third"));
    for t in [second.as_str(), third.as_str(), BROKEN] {
        tag(&w.docker, t);
    }
    let _tags = Tags(&w.docker, vec![second.clone(), third.clone()]);
    let image = |tag: &str| format!("{repository}:{tag}");

    // What a run cannot apply is refused before anything is written, naming what the environment has.
    let local = w.slipway(&["deploy", "--env", "dev", "--release", &first, "--commit", "abc123"]);
    assert_eq!(local.status, 1, "{}", said(&local));
    assert!(
        local.stderr.contains(
            "nothing to apply: environment `dev` has a docker-compose target on a developer's own machine, which \
             deploys leave out"
        ),
        "{}",
        said(&local)
    );
    let aws = w.run("deploy", &["--release", &first, "--commit", "abc123", "--target", "aws"]);
    assert_eq!(aws.status, 1, "{}", said(&aws));
    assert!(
        aws.stderr.contains(
            "nothing to apply: environment `preview` has a compose host (127.0.0.1: --target compose) and --target \
             names only aws"
        ),
        "{}",
        said(&aws)
    );
    assert!(w.ledger().is_empty(), "nothing was recorded");

    // The first release, `--target compose` naming the one target there is: every service created over
    // SSH, healthy, the smoke checks passed, answering.
    let deployed = w.run("deploy", &["--release", &first, "--commit", "abc123", "--target", "compose"]);
    assert_eq!(deployed.status, 0, "{}", said(&deployed));
    assert!(deployed.stdout.contains(&format!("deployed: preview is on release {first}\n")), "{}", said(&deployed));
    let host_line = format!("compose project {PROJECT} on {}: updated\n", w.sshd.url());
    assert!(deployed.stdout.contains(&host_line), "{}", said(&deployed));
    assert_eq!(w.web(), Ok((200, format!("preview web {first}\n"))));
    let records = w.ledger();
    assert_eq!(records.len(), 1);
    let host = &records[0].hosts[0];
    assert_eq!((host.host.as_str(), host.project.as_str()), (w.sshd.url().as_str(), PROJECT));
    let recorded: Vec<(&str, &str)> = host.services.iter().map(|s| (s.service.as_str(), s.health.as_str())).collect();
    assert_eq!(recorded, [("api", "healthy"), ("db", "healthy"), ("files", "healthy"), ("web", "healthy")]);
    let smoke: Vec<(&str, bool)> = records[0].smoke.iter().map(|s| (s.name.as_str(), s.passed)).collect();
    assert_eq!(smoke, [("web", true), ("api", true)]);

    // A new release changes the app's images; the database and the object store are left as they are.
    let deployed = w.deploy(&second);
    assert_eq!(deployed.status, 0, "{}", said(&deployed));
    let images = w.images();
    assert_eq!((images["api"].as_str(), images["web"].as_str()), (image(&second).as_str(), image(&second).as_str()));
    let changes: BTreeMap<String, Option<String>> =
        w.ledger()[1].hosts[0].services.iter().map(|s| (s.service.clone(), s.change.clone())).collect();
    let change = |s: &str| Some(s.to_string());
    let expected = [("api", change("recreated")), ("db", change("unchanged")), ("files", change("unchanged"))];
    let expected: BTreeMap<String, Option<String>> =
        expected.into_iter().chain([("web", change("recreated"))]).map(|(k, v)| (k.to_string(), v)).collect();
    assert_eq!(changes, expected);
    let (before, containers) = (w.host(), w.containers());

    // The same release again: nothing on the host is recreated.
    let again = w.deploy(&second);
    assert_eq!(again.status, 0, "{}", said(&again));
    let host_line = format!("compose project {PROJECT} on {}: unchanged\n", w.sshd.url());
    assert!(again.stdout.contains(&host_line), "{}", said(&again));
    assert_eq!((w.host(), w.containers()), (before.clone(), containers), "every container is the one it was");

    // What runs on preview is promoted to live, with a maintainer's approval: the same images there.
    let _live = ProjectCleanup::new(&w.docker, "bazaar-live");
    let unapproved = w.promote(&second, &[]);
    assert_eq!(unapproved.status, 1, "{}", said(&unapproved));
    assert!(
        unapproved.stderr.contains("[approvals] `live` needs 1 approval from maintainers"),
        "{}",
        said(&unapproved)
    );
    let promoted = w.promote(&second, &["ines"]);
    assert_eq!(promoted.status, 0, "{}", said(&promoted));
    assert!(promoted.stdout.contains(&format!("deployed: live is on release {second}\n")), "{}", said(&promoted));
    let live = w.images_of("bazaar-live");
    assert_eq!((live["api"].as_str(), live["web"].as_str()), (image(&second).as_str(), image(&second).as_str()));

    // A release whose services never become healthy: the host goes back to the second release, container
    // for container, and the run ends rolled back.
    let broken = w.deploy(BROKEN);
    assert_eq!(broken.status, 4, "{}", said(&broken));
    assert!(
        broken.stdout.contains("rolled back: preview is back where it was before this deploy"),
        "{}",
        said(&broken)
    );
    assert!(broken.stdout.contains(&format!("rollback: back on release {second}")), "{}", said(&broken));
    assert_eq!(w.host(), before, "every service runs the image and the configuration it ran");
    assert_eq!(w.web(), Ok((200, format!("preview web {second}\n"))));
    let last = w.ledger().pop().unwrap();
    assert_eq!(last.outcome, Some(ledger::Outcome::RolledBack));
    assert!(last.hosts[0].result.starts_with("FAILED: "), "{:?}", last.hosts[0]);

    // rollback --to the first release: its images, its bytes.
    let back = w.run("rollback", &["--to", &first, "--reason", "the second release misbehaves"]);
    assert_eq!(back.status, 0, "{}", said(&back));
    let images = w.images();
    assert_eq!((images["api"].as_str(), images["web"].as_str()), (image(&first).as_str(), image(&first).as_str()));
    assert_eq!(w.web(), Ok((200, format!("preview web {first}\n"))));

    // status reads the host as the definition reaches it (the SSH key and the pinned key from the variables
    // the workflows set): each service's release and image, and no drift.
    let ssh = [
        ("SLIPWAY_SSH_KNOWN_HOSTS", w.sshd.known_hosts().display().to_string()),
        ("SLIPWAY_SSH_KEY", w.sshd.key().display().to_string()),
    ];
    let status = w.slipway_with(&["status", "--env", "preview", "--format", "json"], &ssh);
    assert_eq!(status.status, 0, "{}", said(&status));
    let status: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    let host = &status[0]["compose_hosts"][0];
    assert_eq!(host["drift"], serde_json::json!({ "checked": true, "drifted": [] }), "{status}");
    let web = host["services"].as_array().unwrap().iter().find(|s| s["service"] == "web").unwrap();
    assert_eq!((web["release"].as_str(), web["image"].as_str()), (Some(first.as_str()), Some(image(&first).as_str())));
    assert_eq!(status[0]["drift"]["why"], "no AWS target", "{status}");

    // The previous release cannot come back when its image is gone from the engine: exit 5, naming the host.
    let unheld = w.slipway(&["unhold", "--env", "preview"]);
    assert_eq!(unheld.status, 0, "{}", said(&unheld));
    let deployed = w.deploy(&third);
    assert_eq!(deployed.status, 0, "{}", said(&deployed));
    let removed = w.docker.cli(&["rmi", &image(&third)]);
    assert!(removed.status.success(), "{}", String::from_utf8_lossy(&removed.stderr));
    let stuck = w.deploy(BROKEN);
    assert_eq!(stuck.status, 5, "{}", said(&stuck));
    let named = format!("compose project {PROJECT} on {} could not be restored: ", w.sshd.url());
    assert!(stuck.stdout.contains("ROLLBACK INCOMPLETE: preview failed"), "{}", said(&stuck));
    assert!(stuck.stdout.contains(&named), "{}", said(&stuck));
    let last = w.ledger().pop().unwrap();
    assert_eq!(last.outcome, Some(ledger::Outcome::RollbackIncomplete));
    assert!(last.hosts[0].restored.as_deref().is_some_and(|r| r.starts_with("NOT restored: ")), "{:?}", last.hosts);
}
