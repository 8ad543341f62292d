//! Benchmark: synthesis, in-process and as whole processes of the release build.
//!
//! `cargo bench --bench synth` prints the median of many runs of:
//! - this repository's definitions as whole processes of release builds: their own program's `synth`
//!   (`webapp synth`, what the README's command runs) and the engine running that program (`slipway synth`
//!   and `slipway envs` with `SLIPWAY_APP`; targets: under 10 ms and 3 ms for the program alone);
//! - synth and write of generated projects of 10, 100 and 1,000 stacks of 15 resources (`tests/synth/scale.rs`;
//!   10 stacks an environment), in-process and as whole processes (this bench binary started again with
//!   `--child`, calling the library as the `slipway` binary does), with each process's peak memory and
//!   the cost per stack (targets for 1,000 stacks: under 0.5 s and 150 MB).
//!
//! `-- --quick` runs each figure a few times only. A plain `main` with no harness, so it builds in
//! seconds and needs no extra crates.

#[path = "synth/scale.rs"]
mod scale;

use std::hint::black_box;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// The median and the minimum of `runs` timed calls of `f`, after one untimed.
fn measure(runs: usize, mut f: impl FnMut()) -> (Duration, Duration) {
    f();
    let times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    let min = *times.iter().min().expect("runs > 0");
    (median(times), min)
}

/// The generated project of `stacks` stacks, 10 an environment (fewer when `stacks` is under 10).
fn generated(stacks: usize) -> slipway::model::Definitions {
    let per_env = stacks.min(10);
    scale::project(stacks / per_env, per_env, scale::Shape::Service)
}

/// Runs the command line `args` against `project` as the `slipway` binary does; panics unless it succeeds.
fn cli(project: slipway::model::Definitions, args: &[&str]) {
    let (ui, captured) = slipway::cli::Ui::captured("");
    let code = slipway::cli::run_with(&project, std::iter::once("slipway").chain(args.iter().copied()), &ui);
    assert_eq!(code, std::process::ExitCode::SUCCESS, "{}", captured.err());
}

/// This process's peak resident memory in MiB (Linux), from /proc/self/status.
fn peak_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(f64::NAN);
    kb / 1024.0
}

/// Times `command` as a whole process `runs` times (after one untimed run); the median, the minimum, and
/// the last run's standard output.
fn process(runs: usize, mut command: impl FnMut() -> Command) -> (Duration, Duration, String) {
    let mut last = String::new();
    let (med, min) = measure(runs, || {
        let out = command().output().expect("the process starts");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        last = String::from_utf8_lossy(&out.stdout).into_owned();
    });
    (med, min, last)
}

/// `--child STACKS DIR`: synth and write the generated project of STACKS stacks into DIR as `slipway
/// synth --out DIR` does, then print this process's peak memory.
fn child(stacks: usize, dir: &Path) {
    cli(generated(stacks), &["synth", "--out", &dir.display().to_string()]);
    println!("{:.1}", peak_mib());
}

/// The release build of the definitions crate `package` of this workspace, built here (a bench builds only
/// its own package's binaries).
fn release_program(package: &str) -> std::path::PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--quiet", "--locked", "--release", "-p", package])
        .current_dir(root)
        .status()
        .expect("cargo runs");
    assert!(status.success(), "cargo build --release -p {package} failed");
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), Into::into);
    let bin = target.join("release").join(package);
    assert!(bin.is_file(), "cargo build --release -p {package} made no {}", bin.display());
    bin
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        child(args[i + 1].parse().expect("a stack count"), Path::new(&args[i + 2]));
        return;
    }
    // `cargo test --benches` runs this too (without `--bench`): keep that quick.
    let quick = !args.iter().any(|a| a == "--bench") || args.iter().any(|a| a == "--quick");
    let runs = |n: usize| if quick { 2 } else { n };
    let scratch = tempfile::tempdir().expect("a scratch directory");
    let engine = env!("CARGO_BIN_EXE_slipway");
    let app = release_program("webapp");

    let whole: [(&str, &Path, &[&str]); 3] = [
        ("webapp synth (the definitions' own program)", &app, &["synth"]),
        ("slipway synth (the engine running that program)", Path::new(engine), &["synth"]),
        ("slipway envs (the engine running that program)", Path::new(engine), &["envs"]),
    ];
    for (what, bin, args) in whole {
        let (med, min, _) = process(runs(40), || {
            let mut c = Command::new(bin);
            c.args(args).current_dir(scratch.path()).env("SLIPWAY_APP", &app);
            c
        });
        println!("{what}, whole process: median {:.2} ms, min {:.2} ms ({} runs)", ms(med), ms(min), runs(40));
    }

    let reference = webapp::project();
    let (med, min) = measure(runs(50), || {
        black_box(slipway::synth::synth(black_box(&reference), &[]).expect("the reference definitions synthesize"));
    });
    println!("synth of the reference definitions, in-process: median {:.2} ms, min {:.2} ms", ms(med), ms(min));

    let mut points = Vec::new();
    for stacks in [10, 100, 1000] {
        let resources = scale::resources(&generated(stacks));
        let out = scratch.path().join(format!("out-{stacks}"));
        let n = runs(if stacks == 1000 { 7 } else { 15 });
        let (synth_med, _) = measure(n, || {
            black_box(slipway::synth::synth(&generated(stacks), &[]).expect("the generated project synthesizes"));
        });
        let (write_med, _) = measure(n, || cli(generated(stacks), &["synth", "--out", &out.display().to_string()]));
        let me = std::env::current_exe().expect("this bench's path");
        let (proc_med, proc_min, peak) = process(n, || {
            let mut c = Command::new(&me);
            c.args(["--child", &stacks.to_string(), &out.display().to_string()]);
            c
        });
        let peak = peak.trim();
        println!(
            "{stacks:>5} stacks ({resources} resources): synth {:.1} ms, synth and write {:.1} ms in-process; \
             whole process median {:.1} ms, min {:.1} ms, peak {peak} MiB ({n} runs)",
            ms(synth_med),
            ms(write_med),
            ms(proc_med),
            ms(proc_min)
        );
        points.push((stacks as f64, ms(proc_med)));
    }
    let (first, last) = (points[0], points[points.len() - 1]);
    println!(
        "per stack (whole process, 10 -> 1,000 stacks): {:.3} ms; 100 -> 1,000: {:.3} ms",
        (last.1 - first.1) / (last.0 - first.0),
        (last.1 - points[1].1) / (last.0 - points[1].0)
    );
}
