//! The definitions as a program the engine runs, as the CDK toolkit runs the app `cdk.json` names: a
//! command line (`cargo run --quiet --`, a built binary) run in the project's directory. The engine asks
//! it for a fresh synthesis (`synth --out DIR`) and reads back what it wrote, every file checked against
//! its manifest; and it hands it the commands that are the definitions' own (`synth`, `check`, `envs`,
//! `graph`, `diff` without the cloud), passing its output through.
//!
//! Where the command comes from: `--app`/`SLIPWAY_APP`, else `app` in the `[package.metadata.slipway]` (or
//! `[workspace.metadata.slipway]`) table of the nearest `Cargo.toml` above the working directory, else
//! `cargo run --quiet --` in that `Cargo.toml`'s directory. A program that turns out to be the engine
//! itself is refused (`SLIPWAY_ENGINE_RUNNING`), rather than running itself without end.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::{App, AppError, Assembly, Exit, Output};
use crate::synth::rules::{RULES_FILE, Rules};
use crate::synth::{ArtifactKey, ArtifactKind, ArtifactSet};

/// The variable the engine sets in the environment of the program it runs.
pub const ENGINE_RUNNING: &str = "SLIPWAY_ENGINE_RUNNING";

/// A program of the definitions, run in a directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Program {
    /// The command line, split into words.
    pub command: Vec<String>,
    /// Where it runs.
    pub dir: PathBuf,
    /// Where the command was found, for messages.
    pub origin: String,
}

/// Why the program could not be found, run, or understood.
#[derive(Debug, thiserror::Error)]
pub enum ProgramError {
    /// No program is named and no `Cargo.toml` says where the definitions are.
    #[error(
        "no definitions here: {} has no `Cargo.toml` above it, and no program is named; run slipway in the \
         definitions' repository, or name their program with --app or SLIPWAY_APP",
        .0.display()
    )]
    NotFound(PathBuf),
    /// The program's command line is empty or cannot be split.
    #[error("the definitions' program ({origin}) is `{text}`, which is not a command line")]
    BadCommand {
        /// What it is.
        text: String,
        /// Where it came from.
        origin: String,
    },
    /// A `Cargo.toml` on the way cannot be read.
    #[error("`{}` cannot be read: {why}", .path.display())]
    Manifest {
        /// The file.
        path: PathBuf,
        /// Why.
        why: String,
    },
    /// The program could not be started.
    #[error("the definitions' program `{command}` ({origin}) could not be started: {why}")]
    Start {
        /// The command line.
        command: String,
        /// Where it came from.
        origin: String,
        /// Why.
        why: String,
    },
    /// The program failed; what it said.
    #[error("the definitions' program `{command}` failed ({status}):\n{said}")]
    Failed {
        /// The command line.
        command: String,
        /// How it ended.
        status: String,
        /// The end of what it printed on stderr.
        said: String,
    },
    /// The program is the engine itself.
    #[error(
        "the definitions' program `{0}` is the slipway engine itself; name the definitions' own program with \
         --app, SLIPWAY_APP, or `app` in `[package.metadata.slipway]` of their Cargo.toml"
    )]
    Recursion(String),
    /// No program could be found (why, as found); a command that needs the definitions says it.
    #[error("{0}")]
    Unavailable(String),
    /// What the program wrote is not a synthesis.
    #[error("the definitions' program `{command}` wrote no readable synthesis: {why}")]
    Output {
        /// The command line.
        command: String,
        /// What is wrong.
        why: String,
    },
}

impl Program {
    /// The program `explicit` names (`--app`, `SLIPWAY_APP`), run in `here`; else the one the nearest
    /// `Cargo.toml` above `here` says.
    pub fn locate(explicit: Option<&str>, here: &Path) -> Result<Program, ProgramError> {
        if std::env::var_os(ENGINE_RUNNING).is_some() {
            return Err(ProgramError::Recursion(explicit.unwrap_or("cargo run").to_string()));
        }
        if let Some(text) = explicit {
            return Program::parse(text, here, "--app or SLIPWAY_APP");
        }
        let manifest = here.ancestors().map(|d| d.join("Cargo.toml")).find(|m| m.is_file());
        let Some(manifest) = manifest else { return Err(ProgramError::NotFound(here.to_path_buf())) };
        let dir = manifest.parent().unwrap_or(here).to_path_buf();
        let text = std::fs::read_to_string(&manifest)
            .map_err(|e| ProgramError::Manifest { path: manifest.clone(), why: e.to_string() })?;
        let parsed: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| ProgramError::Manifest { path: manifest.clone(), why: e.to_string() })?;
        let named = ["package", "workspace"].iter().find_map(|table| {
            parsed.get(*table)?.get("metadata")?.get("slipway")?.get("app")?.as_str().map(str::to_string)
        });
        match named {
            Some(text) => {
                let source = format!("`app` of the slipway metadata in {}", manifest.display());
                Program::parse(&text, &dir, &source)
            }
            None => Ok(Program {
                command: ["cargo", "run", "--quiet", "--"].map(str::to_string).to_vec(),
                dir,
                origin: format!("the package of {}", manifest.display()),
            }),
        }
    }

    fn parse(text: &str, dir: &Path, source: &str) -> Result<Program, ProgramError> {
        let bad = || ProgramError::BadCommand { text: text.to_string(), origin: source.to_string() };
        let command = split(text).ok_or_else(bad)?;
        if command.is_empty() {
            return Err(bad());
        }
        Ok(Program { command, dir: dir.to_path_buf(), origin: source.to_string() })
    }

    fn shown(&self) -> String {
        self.command.join(" ")
    }

    fn start(&self, args: &[OsString]) -> Command {
        let mut command = Command::new(&self.command[0]);
        command.args(&self.command[1..]).args(args).current_dir(&self.dir).env(ENGINE_RUNNING, "1");
        command
    }
}

impl App for Program {
    fn assembly(&self, demos: &[String]) -> Result<Assembly, AppError> {
        let dir = tempfile::Builder::new()
            .prefix("slipway-assembly-")
            .tempdir()
            .map_err(|e| ProgramError::Output { command: self.shown(), why: format!("no temporary directory: {e}") })?;
        let out = dir.path().join("out");
        let mut args: Vec<OsString> = vec!["synth".into(), "--out".into(), out.clone().into_os_string()];
        for demo in demos {
            args.push("--demo".into());
            args.push(demo.into());
        }
        let output = self.start(&args).stdin(Stdio::null()).output().map_err(|e| ProgramError::Start {
            command: self.shown(),
            origin: self.origin.clone(),
            why: e.to_string(),
        })?;
        if !output.status.success() {
            let said = String::from_utf8_lossy(&output.stderr);
            let lines: Vec<&str> = said.lines().collect();
            return Err(ProgramError::Failed {
                command: self.shown(),
                status: output.status.to_string(),
                said: lines[lines.len().saturating_sub(30)..].join("\n"),
            }
            .into());
        }
        let output_error = |why: String| ProgramError::Output { command: self.shown(), why };
        let read = crate::synth::read_dir(&out, &[]).map_err(|e| output_error(e.to_string()))?;
        if let Some(path) = read.changed.first() {
            return Err(output_error(format!("`{path}` is not what its manifest says")).into());
        }
        let key = ArtifactKey::project_file(ArtifactKind::Rules, RULES_FILE);
        let Some(bytes) = read.artifacts.get(&key) else {
            return Err(output_error(format!(
                "it holds no `{}`: its slipway is older than this one (the rules are written since 0.2)",
                key.path()
            ))
            .into());
        };
        let rules = Rules::read(bytes)?;
        let set = ArtifactSet {
            environments: read.manifest.environments.clone(),
            stacks: stacks_of(&read.artifacts),
            artifacts: read.artifacts,
            notes: Vec::new(),
            assets: read.assets,
        };
        Ok(Assembly { rules, set })
    }

    fn run(&self, args: &[OsString], output: Output<'_>) -> Exit {
        let mut command = self.start(args);
        command.stdin(Stdio::inherit());
        let (status, err) = match output {
            Output::Standard => (command.status(), None),
            Output::To(out, err) => match command.output() {
                Ok(done) => {
                    let _ = out.write_all(&done.stdout);
                    let _ = err.write_all(&done.stderr);
                    (Ok(done.status), Some(err))
                }
                Err(e) => (Err(e), Some(err)),
            },
        };
        match status {
            Ok(status) => match status.code().map(|c| Exit::ALL.into_iter().find(|e| i32::from(e.code()) == c)) {
                Some(Some(exit)) => exit,
                _ => Exit::Internal,
            },
            Err(e) => {
                let said = format!(
                    "error: the definitions' program `{}` ({}) could not be started: {e}\n",
                    self.shown(),
                    self.origin
                );
                match err {
                    Some(err) => drop(err.write_all(said.as_bytes())),
                    None => eprint!("{said}"),
                }
                Exit::Refused
            }
        }
    }
}

/// The definitions of a command run where none can be found: commands that need none (`init`, `--help`)
/// run; one that needs them is refused with why they were not found.
pub struct Unlocated(pub String);

impl App for Unlocated {
    fn assembly(&self, _: &[String]) -> Result<Assembly, AppError> {
        Err(ProgramError::Unavailable(self.0.clone()).into())
    }

    fn run(&self, _: &[OsString], output: Output<'_>) -> Exit {
        let said = format!("error: {}\n", self.0);
        match output {
            Output::Standard => eprint!("{said}"),
            Output::To(_, err) => drop(err.write_all(said.as_bytes())),
        }
        Exit::Refused
    }
}

/// The stacks of every environment, by the templates it has: names in the order the keys sort, which is
/// all the engine needs of them (a deploy orders them from the templates themselves).
fn stacks_of(artifacts: &crate::synth::Artifacts) -> std::collections::BTreeMap<String, Vec<String>> {
    let mut out: std::collections::BTreeMap<String, Vec<String>> = std::collections::BTreeMap::new();
    for key in artifacts.keys() {
        if let (Some(env), Some(stack)) = (key.environment(), key.stack()) {
            out.entry(env.to_string()).or_default().push(stack.to_string());
        }
    }
    out
}

/// A command line split into words as a POSIX shell would (`'…'`, `"…"`, `\\`), without expanding
/// anything; `None` when a quote is not closed.
fn split(text: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '\'' => break,
                        c => word.push(c),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '"' => break,
                        '\\' => word.push(chars.next()?),
                        c => word.push(c),
                    }
                }
            }
            '\\' => {
                in_word = true;
                word.push(chars.next()?);
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Some(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines_split_as_a_shell_splits_them() {
        assert_eq!(
            split("cargo run --quiet --"),
            Some(vec!["cargo".into(), "run".into(), "--quiet".into(), "--".into()])
        );
        assert_eq!(
            split(r#"./bin/defs "a b" 'c d' e\ f"#),
            Some(vec!["./bin/defs".into(), "a b".into(), "c d".into(), "e f".into()])
        );
        assert_eq!(split("  "), Some(vec![]));
        assert_eq!(split("'open"), None);
    }

    #[test]
    fn the_metadata_names_the_program_and_without_it_the_package_runs() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("Cargo.toml"),
            "[package]\nname = \"x\"\n[package.metadata.slipway]\napp = \"./defs --fast\"\n",
        )
        .unwrap();
        let nested = dir.path().join("a/b");
        std::fs::create_dir_all(&nested).unwrap();
        let p = Program::locate(None, &nested).unwrap();
        assert_eq!(
            (p.command.clone(), p.dir.clone()),
            (vec!["./defs".to_string(), "--fast".into()], dir.path().to_path_buf())
        );
        std::fs::write(dir.path().join("Cargo.toml"), "[package]\nname = \"x\"\n").unwrap();
        assert_eq!(Program::locate(None, &nested).unwrap().command, ["cargo", "run", "--quiet", "--"]);
        let none = tempfile::tempdir().unwrap();
        assert!(
            matches!(Program::locate(None, none.path()), Err(ProgramError::NotFound(_)))
                || none.path().ancestors().any(|d| d.join("Cargo.toml").is_file())
        );
    }
}
