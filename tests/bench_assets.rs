//! Benchmark: publishing the reference release's assets (the backend's code, the one asset `dev`'s
//! templates name) into a bootstrapped account, the first time and with nothing new, against moto behind a
//! proxy that adds 50 ms to every answer (what a real region costs).
//!
//! `cargo bench --bench assets` (after `bash tests/run.sh` has installed moto into target/py). Each run is a
//! fresh moto account, bootstrapped, and two whole processes of the engine (this bench started again with
//! `--child -- ARGS`, which runs the command line on the reference definitions as the `slipway` binary
//! does): `deploy --env dev` of release r1, whose asset the bucket does not have, then of r2, the same code.
//! The figure is the deploy's own account of its publish step (`assets: N published ..., M there already
//! (T ms)`), and the whole process's time beside it. Without `--bench` it does nothing.

#[path = "faults.rs"]
#[allow(dead_code)]
mod faults;
#[path = "moto/mod.rs"]
#[allow(dead_code)]
mod moto;
#[path = "support.rs"]
#[allow(dead_code)]
mod support;

use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use faults::Faults;
use moto::Moto;

/// What every answer costs, as from a real region.
const LATENCY: Duration = Duration::from_millis(50);

/// `--child -- ARGS...`: `slipway ARGS...` on the reference definitions, with this process's streams.
fn child(args: &[String]) -> ExitCode {
    let ui = slipway::cli::Ui::standard();
    slipway::cli::run_with(
        &webapp::project(),
        std::iter::once("slipway").chain(args[1..].iter().map(String::as_str)),
        &ui,
    )
}

/// `deploy --env dev --release RELEASE` in a process of its own through the proxy: how long it took, and
/// the publish step's own figure (ms) and line.
fn deploy(faults: &Faults, moto: &Moto, release: &str) -> (Duration, u64, String) {
    // Out of the working tree: a release of it would be refused while it has uncommitted changes.
    let dir = support::tempdir();
    let mut c = Command::new(std::env::current_exe().expect("this bench's path"));
    c.current_dir(dir.path());
    c.args(["--child", "--", "deploy", "--env", "dev", "--release", release, "--yes", "--no-smoke"]).args([
        "--progress",
        "events",
        "--poll-ms",
        "200",
        "--target",
        "aws",
        "--commit",
        release,
    ]);
    for (k, v) in moto.env() {
        c.env(k, v);
    }
    c.env("AWS_ENDPOINT_URL", &faults.endpoint).env("NO_COLOR", "1").env_remove("AWS_PROFILE");
    c.env("GITHUB_REF", "refs/heads/main").env_remove("GITHUB_SHA");
    let start = Instant::now();
    let out = c.output().expect("the bench runs itself");
    let took = start.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "deploy {release}:\n{}\n{stderr}", String::from_utf8_lossy(&out.stdout));
    let line = stderr.lines().find(|l| l.starts_with("assets: ")).expect("the deploy reports its publish").to_string();
    let ms = line.rsplit('(').next().and_then(|t| t.strip_suffix(" ms)")).and_then(|t| t.parse().ok()).expect("ms");
    (took, ms, line)
}

fn median<T: Ord + Copy>(mut v: Vec<T>) -> T {
    v.sort();
    v[v.len() / 2]
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        return child(&args[i + 1..]);
    }
    if !args.iter().any(|a| a == "--bench") {
        println!("bench assets: needs moto; run it with `cargo bench --bench assets`");
        return ExitCode::SUCCESS;
    }
    let runs = 5;
    let (mut first, mut again, mut first_whole, mut again_whole) = (vec![], vec![], vec![], vec![]);
    let mut bytes = 0;
    for _ in 0..runs {
        let moto = Moto::start();
        let faults = Faults::start(&moto.endpoint);
        faults.latency(LATENCY);
        let (took, ms, line) = deploy(&faults, &moto, "r1");
        assert!(line.starts_with("assets: 1 published"), "{line}");
        let listed: serde_json::Value =
            serde_json::from_slice(&std::fs::read(moto.store.path().join("releases/r1/assets.json")).unwrap()).unwrap();
        bytes = listed.as_array().unwrap().iter().find(|a| a["name"] == "backend").unwrap()["bytes"].as_u64().unwrap();
        first.push(ms);
        first_whole.push(took);
        let (took, ms, line) = deploy(&faults, &moto, "r2");
        assert!(line.starts_with("assets: 0 published") && line.contains("1 there already"), "{line}");
        again.push(ms);
        again_whole.push(took);
    }
    println!(
        "publish of the reference release's assets (the backend's code, a {bytes}-byte zip), {} ms \
         added to every answer, {runs} runs:\n  first time: median {} ms (min {} ms, max {} ms); whole deploy {:.2} s\n  \
         nothing new: median {} ms (min {} ms, max {} ms); whole deploy {:.2} s",
        LATENCY.as_millis(),
        median(first.clone()),
        first.iter().min().unwrap(),
        first.iter().max().unwrap(),
        median(first_whole).as_secs_f64(),
        median(again.clone()),
        again.iter().min().unwrap(),
        again.iter().max().unwrap(),
        median(again_whole).as_secs_f64(),
    );
    ExitCode::SUCCESS
}
