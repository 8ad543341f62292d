//! `slipway demo up|ls|down|gc` as a user runs them (the CLI, in process, with the definitions a test
//! gives), on the test command's real Docker engine: what they print, how they exit, and what they leave.
//! Each test's project has a name of its own, so that `ls` and `gc` see its demos and not other tests'
//! that share the engine.

use std::process::ExitCode;
use std::time::Duration;

use serde_json::Value;
use slipway::model::{Definitions, NameBudget};

use crate::demo::local::{BROKEN, demo_name, demo_name_slugged, local_demo, local_image};
use crate::support::{TestClock, docker, http_get, tempdir};

/// The reference project, named `name`, making its demos on the test engine.
fn project(name: &str) -> Definitions {
    let mut definitions = webapp::project().demos_from(local_demo);
    definitions.name = name.into();
    definitions
}

struct Run {
    code: ExitCode,
    out: String,
    err: String,
}

/// `slipway demo ARGS` on `project` at the time `clock` tells, with the test engine as the Docker host and
/// `store` as the store.
fn demo(project: &Definitions, clock: &TestClock, store: &std::path::Path, args: &[&str]) -> Run {
    let engine = docker();
    let (ui, captured) = slipway::cli::Ui::captured("");
    let store = store.to_str().unwrap();
    let mut argv = vec!["slipway", "demo"];
    argv.extend_from_slice(args);
    if args[0] != "ls" {
        argv.extend(["--progress", "events", "--poll-ms", "20"]);
    }
    argv.extend(["--host", engine.host.as_str(), "--store", store]);
    let code = slipway::cli::run_at(project, argv, &ui, clock);
    Run { code, out: captured.out(), err: captured.err() }
}

fn ok(run: &Run) {
    assert_eq!(run.code, ExitCode::SUCCESS, "{}\n{}", run.out, run.err);
}

/// What `demo ls` says of demo `name` on its first line: its status, age and expiry.
fn header(ls: &str, name: &str) -> [String; 3] {
    let line = ls.lines().find(|l| l.starts_with(&format!("{name}: ")) || l.starts_with(&format!("{name} (")));
    let line = line.unwrap_or_else(|| panic!("ls does not list {name}:\n{ls}"));
    let parts: Vec<String> = line.split_once(": ").unwrap().1.split(", ").map(String::from).collect();
    assert_eq!(parts.len(), 3, "{line}");
    assert!(parts[1].starts_with("up "), "{line}");
    [parts[0].clone(), "up".into(), parts[2].clone()]
}

/// The URL a demo's `up` printed for `what`.
fn url(run: &Run, what: &str) -> String {
    let prefix = format!("  {what}: ");
    let line =
        run.out.lines().find(|l| l.starts_with(&prefix)).unwrap_or_else(|| panic!("no {what} URL:\n{}", run.out));
    line[prefix.len()..].to_string()
}

#[test]
fn up_from_a_branch_ls_gc_of_the_expired_and_an_orphan_and_down_twice() {
    let clock = TestClock::starting_now();
    let p = project("clidemo");
    let store = tempdir();
    let release = local_image().1;
    let budget = NameBudget::for_project(&p).unwrap();
    // A branch whose name is no demo name as it is: the slug is made, and shown with why.
    let odd = demo_name_slugged("Odd_Branch", |n| budget.slug(n).unwrap().slug);
    let slug = budget.slug(&odd).unwrap().slug;
    let branch = format!("feature-demo/{odd}");
    let expiring = demo(&p, &clock, store.path(), &["up", "--branch", &branch, "--release", &release, "--ttl", "1s"]);
    ok(&expiring);
    assert!(
        expiring
            .err
            .starts_with(&format!("note: demo `{odd}` is named `{slug}`: a demo's name may hold only lowercase")),
        "{}",
        expiring.err
    );
    let first = expiring.out.lines().next().unwrap();
    assert!(first.starts_with(&format!("up: demo {odd} runs release {release} until ")), "{}", expiring.out);
    // Its one second of life may be over before `up` ends; either way the line says so.
    assert!(
        first.ends_with(" (in 1s)") || first.ends_with(" (already passed: `slipway demo gc` brings it down)"),
        "{first}"
    );
    assert_eq!(http_get(&url(&expiring, "frontend")), Ok((200, format!("{slug} frontend {release}\n"))));

    let lasting = demo_name("lasting");
    let up = demo(&p, &clock, store.path(), &["up", &lasting, "--release", &release]);
    ok(&up);
    assert!(up.out.starts_with(&format!("up: demo {lasting} runs release {release} until ")), "{}", up.out);
    assert!(up.out.lines().next().unwrap().ends_with(" (in 7d 0h)"), "{}", up.out);
    let lasting_url = url(&up, "frontend");

    // An orphan: brought up with another store, so this one's ledger does not know it.
    let other = tempdir();
    let orphan = demo_name("orphan");
    ok(&demo(&p, &clock, other.path(), &["up", &orphan, "--release", &release]));

    let ls = demo(&p, &clock, store.path(), &["ls"]);
    ok(&ls);
    assert_eq!(header(&ls.out, &lasting), ["up", "up", "expires in 7d 0h"]);
    assert_eq!(header(&ls.out, &odd)[0], "up");
    assert!(ls.out.contains(&format!("\n{odd} ({slug}): up, ")), "{}", ls.out);
    assert!(ls.out.contains(&format!("  branch: {branch}\n")), "{}", ls.out);
    assert_eq!(header(&ls.out, &orphan), ["orphan", "up", "no expiry"]);
    assert!(ls.out.contains(&format!("  compose: clidemo-{orphan} running(3)\n")), "{}", ls.out);
    let json: Vec<Value> =
        serde_json::from_str(&demo(&p, &clock, store.path(), &["ls", "--format", "json"]).out).unwrap();
    let entry = json.iter().find(|e| e["name"] == lasting).unwrap();
    assert_eq!((entry["status"].as_str(), entry["orphan"].as_bool()), (Some("up"), Some(false)));
    assert_eq!(entry["release"], release.as_str());
    assert_eq!(entry["urls"]["frontend"], lasting_url.as_str());
    assert_eq!(json.iter().find(|e| e["name"] == orphan.as_str()).unwrap()["orphan"], true);

    // gc: the expired one goes, the orphan only when old enough, the lasting one stays.
    clock.advance(Duration::from_secs(1));
    let dry = demo(&p, &clock, store.path(), &["gc", "--dry-run"]);
    ok(&dry);
    assert!(dry.out.starts_with(&format!("would bring down {odd}: expired at ")), "{}", dry.out);
    assert_eq!(dry.out.lines().count(), 1, "{}", dry.out);
    assert!(http_get(&url(&expiring, "frontend")).is_ok(), "a dry run changes nothing");
    let gc = demo(&p, &clock, store.path(), &["gc", "--orphan-age", "0s"]);
    ok(&gc);
    assert!(gc.out.contains(&format!("bringing down {odd}: expired at ")), "{}", gc.out);
    assert!(
        gc.out.contains(&format!("bringing down {orphan}: an orphan (the ledger does not know it) since ")),
        "{}",
        gc.out
    );
    assert!(gc.out.contains(&format!("down: demo {orphan}: removed compose project clidemo-{orphan}")), "{}", gc.out);
    assert!(http_get(&url(&expiring, "frontend")).is_err());
    assert_eq!(http_get(&lasting_url), Ok((200, format!("{lasting} frontend {release}\n"))));
    let left = demo(&p, &clock, store.path(), &["ls"]);
    assert_eq!(left.out.lines().filter(|l| !l.starts_with("  ")).count(), 1, "{}", left.out);
    assert_eq!(header(&left.out, &lasting), ["up", "up", "expires in 7d 0h"]);

    let down = demo(&p, &clock, store.path(), &["down", &lasting]);
    ok(&down);
    assert!(
        down.out.starts_with(&format!("down: demo {lasting}: removed compose project clidemo-{lasting}")),
        "{}",
        down.out
    );
    let again = demo(&p, &clock, store.path(), &["down", &lasting]);
    ok(&again);
    assert_eq!(again.out, format!("down: demo {lasting} had nothing left to remove\n"));
    assert_eq!(demo(&p, &clock, store.path(), &["ls"]).out, "no demos\n");
}

#[test]
fn a_demo_that_does_not_come_up_is_left_for_debugging_and_says_why() {
    let clock = TestClock::starting_now();
    let p = project("clibroken");
    let store = tempdir();
    let engine = docker();
    let (repository, release) = local_image();
    let tagged = engine.cli(&["tag", &format!("{repository}:{release}"), &format!("{repository}:{BROKEN}")]);
    assert!(tagged.status.success());
    let name = demo_name("broken");
    let up = demo(&p, &clock, store.path(), &["up", &name, "--release", BROKEN]);
    assert_eq!(up.code, ExitCode::from(5), "{}\n{}", up.out, up.err);
    let mut lines = up.out.lines();
    assert_eq!(
        lines.next(),
        Some(
            format!(
                "failed: demo {name} did not come up and was left as it is: compose project `clibroken-{name}` did not \
                 come up:"
            )
            .as_str()
        ),
        "{}",
        up.out
    );
    assert!(up.out.contains("service `backend`"), "{}", up.out);
    assert!(
        up.out.contains(&format!(
            "  left as it is for a person to look at (the demo's rollback rule is Leave); `slipway demo down {name}` \
             removes it\n"
        )),
        "{}",
        up.out
    );
    // Its backend still runs and answers, for whoever debugs it (the frontend waits on its health).
    assert!(http_get(&url(&up, "backend")).is_ok(), "{}", up.out);
    let ls = demo(&p, &clock, store.path(), &["ls"]);
    assert_eq!(header(&ls.out, &name), ["failed", "up", "expires in 7d 0h"]);
    assert!(ls.out.contains("  last failure: compose project"), "{}", ls.out);
    ok(&demo(&p, &clock, store.path(), &["down", &name]));
}

#[test]
fn a_demo_name_that_is_a_permanent_environment_or_no_demo_branch_is_refused_before_anything() {
    let clock = TestClock::starting_now();
    let p = project("clirefused");
    let store = tempdir();
    let taken = demo(&p, &clock, store.path(), &["up", "dev", "--release", "1"]);
    assert_eq!(taken.code, ExitCode::from(1));
    assert_eq!(
        taken.err,
        "error: demo `dev` would be named `dev`, the name of the permanent environment `dev`; its stacks, apps and \
         compose project would be that environment's, so choose another demo name\n"
    );
    let branch = demo(&p, &clock, store.path(), &["up", "--branch", "refs/heads/main", "--release", "1"]);
    assert_eq!(branch.code, ExitCode::from(1));
    assert_eq!(
        branch.err,
        "error: branch `main` is not a feature-demo branch (`feature-demo/<name>`); name the demo instead\n"
    );
    assert!(std::fs::read_dir(store.path()).unwrap().next().is_none(), "nothing was recorded");
}

#[test]
fn a_demo_whose_port_something_else_holds_says_that_the_port_is_the_cause() {
    let clock = TestClock::starting_now();
    let p = project("cliport");
    let store = tempdir();
    let name = demo_name("port");
    let bundle = slipway::synth::compose::bundle(&p, &local_demo(&name)).unwrap();
    let frontend = &bundle.urls.iter().find(|(service, _)| service == "frontend").unwrap().1;
    let port: u16 = frontend.rsplit(':').next().unwrap().trim_end_matches('/').parse().unwrap();
    // Something else on the Docker host listens on the frontend's port.
    let _held = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
    let up = demo(&p, &clock, store.path(), &["up", &name, "--release", &local_image().1]);
    assert_eq!(up.code, ExitCode::from(5), "{}\n{}", up.out, up.err);
    assert!(up.out.contains("  a port it publishes is taken on the Docker host: "), "{}", up.out);
    assert!(up.out.contains(&format!("127.0.0.1:{port}")), "the port is named:\n{}", up.out);
    ok(&demo(&p, &clock, store.path(), &["down", &name]));
}
