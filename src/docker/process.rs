//! Running an external program (the Docker and Compose CLIs) to completion within a time limit.
//!
//! A deploy that hangs is worse than one that fails: CI sits on it until its own limit and nothing says
//! why. So every program the apply layer runs has a deadline; past it the program and everything it
//! started (`docker` runs its compose plugin as a child) are killed as one process group, and the caller
//! gets what they printed so far. Output is read on threads while the program runs, so a program that
//! prints a lot never blocks on a full pipe.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// What a program did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Output {
    /// Its exit code; `None` when a signal ended it.
    pub code: Option<i32>,
    /// What it printed on stdout (invalid UTF-8 replaced).
    pub stdout: String,
    /// What it printed on stderr (invalid UTF-8 replaced).
    pub stderr: String,
    /// How long it ran.
    pub elapsed: Duration,
}

impl Output {
    /// Whether it exited with status 0.
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }
}

/// Why a program did not run to completion.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// It could not be started (not found, not executable).
    #[error("could not run `{program}`: {source}")]
    Spawn {
        /// The program, as it was named.
        program: String,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// It was still running at its deadline and was killed.
    #[error("`{program}` was still running after {} s and was stopped", after.as_secs())]
    TimedOut {
        /// The program, as it was named.
        program: String,
        /// Its time limit.
        after: Duration,
        /// What it had printed until then.
        output: Box<Output>,
    },
}

/// Runs `command` with no standard input, collecting its output, and kills it (with every process it
/// started) when it is still running after `timeout`.
pub fn run(mut command: Command, timeout: Duration) -> Result<Output, RunError> {
    let program = command.get_program().to_string_lossy().into_owned();
    let started = Instant::now();
    // Its own process group, so that a timeout kills a plugin the program started as well.
    command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).process_group(0);
    let mut child = command.spawn().map_err(|source| RunError::Spawn { program: program.clone(), source })?;
    let stdout = reader(child.stdout.take());
    let stderr = reader(child.stderr.take());
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if started.elapsed() >= timeout => {
                timed_out = true;
                kill_group(child.id());
                let _ = child.kill();
                break child.wait().ok();
            }
            Ok(None) => thread::sleep(Duration::from_millis(20)),
            Err(_) => break child.wait().ok(),
        }
    };
    let output = Output {
        code: status.and_then(|s| s.code()),
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
        elapsed: started.elapsed(),
    };
    if timed_out {
        return Err(RunError::TimedOut { program, after: timeout, output: Box::new(output) });
    }
    Ok(output)
}

fn reader(pipe: Option<impl Read + Send + 'static>) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// Kills process group `pgid` (the child and whatever it started). The standard library can only signal
/// the child itself and the crate allows no `unsafe`, so this asks `kill(1)`; where that is missing, the
/// caller's own `Child::kill` still ends the child.
fn kill_group(pgid: u32) {
    let _ = Command::new("kill")
        .args(["-s", "KILL", "--", &format!("-{pgid}")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Command {
        let mut c = Command::new("sh");
        c.args(["-c", script]);
        c
    }

    #[test]
    fn collects_both_streams_and_the_code() {
        let out = run(sh("echo out; echo err >&2; exit 3"), Duration::from_secs(10)).unwrap();
        assert_eq!((out.code, out.stdout.as_str(), out.stderr.as_str()), (Some(3), "out\n", "err\n"));
        assert!(!out.success());
    }

    #[test]
    fn a_program_past_its_deadline_is_killed_with_its_children() {
        // The shell starts a child that would outlive it; both must be gone when `run` returns.
        let started = Instant::now();
        let err = run(sh("echo started; sleep 30 & wait"), Duration::from_millis(300)).unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
        let RunError::TimedOut { output, .. } = err else { panic!("{err}") };
        assert_eq!(output.stdout, "started\n");
    }

    #[test]
    fn a_missing_program_is_a_spawn_error_naming_it() {
        let err = run(Command::new("/nonexistent/slipway-test-program"), Duration::from_secs(1)).unwrap_err();
        assert!(err.to_string().starts_with("could not run `/nonexistent/slipway-test-program`"), "{err}");
    }
}
