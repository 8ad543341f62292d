//! Benchmark: the commands that read many stacks, against moto behind a proxy that adds 50 ms to every
//! answer (what a real region costs), as whole processes.
//!
//! `cargo bench --bench cloud` (after `bash tests/run.sh` has installed moto into target/py) deploys
//! generated projects (`tests/synth/scale.rs`, light stacks) to a moto server on loopback, turns the proxy's
//! latency on, and prints the median of a few runs of:
//! - `slipway diff --against deployed` and `slipway status` over 100 deployed stacks (10 environments of
//!   10; target: under 1.5 s each, where one read at a time costs over 10 s);
//! - the record step of `slipway deploy` over 100 deployed stacks (an environment of 100, deployed again):
//!   from the deploy's first DescribeStacks to its first CreateChangeSet, as the proxy saw them;
//! - `slipway deploy` of 1 stack and of 50 independent stacks with `--concurrency 10` (target: the 50
//!   take close to 5 times the one).
//!
//! Each process is this bench binary started again with `--child ENVS STACKS -- ARGS...`, which builds the
//! generated project and runs the command line on it as the `slipway` binary does. Without `--bench`
//! (`cargo test --benches`) it does nothing, since it needs moto.

#[path = "faults.rs"]
#[allow(dead_code)]
mod faults;
#[path = "moto/mod.rs"]
#[allow(dead_code)]
mod moto;
#[path = "synth/scale.rs"]
mod scale;
#[path = "support.rs"]
#[allow(dead_code)]
mod support;

use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use faults::Faults;
use moto::Moto;

/// What every answer costs, as from a real region.
const LATENCY: Duration = Duration::from_millis(50);

/// `--child ENVS STACKS -- ARGS...`: runs `slipway ARGS...` on the generated project of ENVS environments
/// of STACKS light stacks, with this process's standard streams.
fn child(args: &[String]) -> ExitCode {
    let envs: usize = args[0].parse().expect("an environment count");
    let stacks: usize = args[1].parse().expect("a stack count");
    let project = scale::project(envs, stacks, scale::Shape::Light);
    let ui = slipway::cli::Ui::standard();
    slipway::cli::run_with(&project, std::iter::once("slipway").chain(args[3..].iter().map(String::as_str)), &ui)
}

/// Runs `slipway ARGS...` on the generated project (ENVS x STACKS) in a process of its own, pointed at the
/// proxy; returns how long it took, and its standard output. Panics when it fails.
fn run(faults: &Faults, moto: &Moto, (envs, stacks): (usize, usize), args: &[&str]) -> (Duration, String) {
    let mut c = Command::new(std::env::current_exe().expect("this bench's path"));
    c.args(["--child", &envs.to_string(), &stacks.to_string(), "--"]).args(args);
    for (k, v) in moto.env() {
        c.env(k, v);
    }
    c.env("AWS_ENDPOINT_URL", &faults.endpoint).env("NO_COLOR", "1").env_remove("AWS_PROFILE");
    let start = Instant::now();
    let out = c.output().expect("the bench runs itself");
    let took = start.elapsed();
    assert!(
        out.status.success(),
        "slipway {} exited {:?}:\n{}\n{}",
        args.join(" "),
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr).lines().rev().take(20).collect::<Vec<_>>().join("\n")
    );
    (took, String::from_utf8_lossy(&out.stdout).into_owned())
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// `deploy` arguments: no smoke checks, no questions, events as lines, a quick first poll.
fn deploy_args<'a>(env: &'a str, release: &'a str, concurrency: &'a str) -> Vec<&'a str> {
    vec![
        "deploy",
        "--env",
        env,
        "--release",
        release,
        "--yes",
        "--no-smoke",
        "--progress",
        "events",
        "--concurrency",
        concurrency,
        "--poll-ms",
        "500",
        "--target",
        "aws",
    ]
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        return child(&args[i + 1..]);
    }
    if !args.iter().any(|a| a == "--bench") {
        println!("bench cloud: needs moto; run it with `cargo bench --bench cloud`");
        return ExitCode::SUCCESS;
    }
    let runs = 3;
    let moto = Moto::start();
    let faults = Faults::start(&moto.endpoint);

    // Set up without latency: 10 environments of 10 stacks, and one environment of 100.
    let ten_by_ten = (10, 10);
    let project = scale::project(ten_by_ten.0, ten_by_ten.1, scale::Shape::Light);
    for env in &project.environments {
        run(&faults, &moto, ten_by_ten, &deploy_args(&env.name, "r10x10", "16"));
    }
    let hundred = (1, 100);
    let big = scale::project(hundred.0, hundred.1, scale::Shape::Light).environments[0].name.clone();
    run(&faults, &moto, hundred, &deploy_args(&big, "r1x100", "16"));
    let (floor, _) = run(&faults, &moto, ten_by_ten, &["diff", "--against", "deployed", "--format", "json"]);
    println!(
        "deployed {} stacks on moto; diff --against deployed of 100 of them with no added latency (moto's own \
         floor): {:.2} s; every answer now comes {} ms later",
        10 * 10 + 100,
        secs(floor),
        LATENCY.as_millis()
    );
    faults.latency(LATENCY);

    let diff: Vec<Duration> = (0..runs)
        .map(|_| {
            let (took, out) = run(&faults, &moto, ten_by_ten, &["diff", "--against", "deployed", "--format", "json"]);
            assert!(out.contains("\"differences\": false"), "the deployed stacks are the definitions': {out}");
            took
        })
        .collect();
    println!(
        "diff --against deployed, 100 stacks in 10 environments: median {:.2} s ({runs} runs, min {:.2} s)",
        secs(median(diff.clone())),
        secs(*diff.iter().min().unwrap())
    );

    let status: Vec<Duration> = (0..runs)
        .map(|_| {
            let (took, out) = run(&faults, &moto, ten_by_ten, &["status", "--format", "json"]);
            let envs: serde_json::Value = serde_json::from_str(&out).expect("status --format json is JSON");
            for env in envs.as_array().expect("a list of environments") {
                assert_eq!(env["drift"], serde_json::json!({"checked": true, "drifted": []}), "{out}");
            }
            took
        })
        .collect();
    println!(
        "status with drift, 100 stacks in 10 environments: median {:.2} s ({runs} runs, min {:.2} s)",
        secs(median(status.clone())),
        secs(*status.iter().min().unwrap())
    );

    let mut record = Vec::new();
    let mut whole = Vec::new();
    for _ in 0..runs {
        let (described, created) = (faults.arrivals("DescribeStacks").len(), faults.arrivals("CreateChangeSet").len());
        let (took, _) = run(&faults, &moto, hundred, &deploy_args(&big, "r1x100", "16"));
        let first_describe = faults.arrivals("DescribeStacks")[described];
        let first_change_set = faults.arrivals("CreateChangeSet")[created];
        record.push(first_change_set - first_describe);
        whole.push(took);
    }
    println!(
        "deploy's record step, 100 deployed stacks: median {:.2} s ({runs} runs, min {:.2} s); the whole \
         deploy (nothing to change) {:.2} s",
        secs(median(record.clone())),
        secs(*record.iter().min().unwrap()),
        secs(median(whole))
    );

    for stacks in [1, 50] {
        let shape = (runs, stacks);
        let project = scale::project(runs, stacks, scale::Shape::Light);
        // A release holds every environment of a project: one release per project shape.
        let release = format!("r{runs}x{stacks}");
        let times: Vec<Duration> = project
            .environments
            .iter()
            .map(|env| run(&faults, &moto, shape, &deploy_args(&env.name, &release, "10")).0)
            .collect();
        println!(
            "deploy of {stacks} new independent stack(s), --concurrency 10: median {:.2} s ({runs} runs, min {:.2} s)",
            secs(median(times.clone())),
            secs(*times.iter().min().unwrap())
        );
    }
    ExitCode::SUCCESS
}
