//! The definitions as a program of their own: a team's crate depends on slipway's pure part (model,
//! resource builders and patterns, synthesis, checks, the offline diff), builds its [`Definitions`] and
//! hands them to [`main`], which is its command line: `synth`, `check`, `envs`, `graph` and `diff` without
//! the cloud. Running `synth` writes the synthesized files and the project's rules as data
//! (`slipway/project.json`), which is all the engine (the `slipway` tool: cloud, store, ledger, policy,
//! apply) ever reads of the definitions.
//!
//! The engine reaches the definitions through the [`App`] trait: a program it runs (a command line, as
//! `cdk.json`'s `app` says how to run a CDK app, see [`program`]), or, in process, a [`Definitions`]
//! value (the tests, and a team that links the engine into its own program).

pub mod assets;
pub mod cli;
pub mod error;
pub mod exit;
pub mod program;

use std::ffi::OsString;
use std::io::Write;

use crate::model::{Definitions, DemoSlug, NameBudget, Problems, Project};
use crate::synth::ArtifactSet;
use crate::synth::rules::{Rules, RulesError};

pub use cli::main;
pub use error::{CliError, ErrorKind};
pub use exit::Exit;

/// What the definitions are, for the engine: the project's rules and every artifact, synthesized now.
#[derive(Clone, Debug)]
pub struct Assembly {
    /// The project's rules, with the feature demos asked for among its environments.
    pub rules: Rules,
    /// Every permanent environment's artifacts, the demos', and the project-wide files.
    pub set: ArtifactSet,
}

impl Assembly {
    /// The project, as data.
    pub fn project(&self) -> &Project {
        &self.rules.project
    }
}

/// Why the definitions could not be had.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The definitions are refused.
    #[error("{0}")]
    Definitions(Problems),
    /// An asset cannot be hashed.
    #[error(transparent)]
    Asset(#[from] assets::AssetError),
    /// The project makes no feature demos.
    #[error("the definitions make no feature demos; give the project a demo factory (`Project::demos_from`)")]
    NoDemos,
    /// A demo name cannot be made a slug.
    #[error(transparent)]
    Slug(#[from] crate::model::SlugError),
    /// The program could not be run, or failed.
    #[error(transparent)]
    Program(#[from] program::ProgramError),
    /// What the program wrote cannot be read.
    #[error(transparent)]
    Rules(#[from] RulesError),
}

/// Where a command of the definitions' own command line writes.
pub enum Output<'a> {
    /// The process's standard streams: a program inherits them (and sees a terminal, for colour).
    Standard,
    /// These writers: results, then notes and errors (no terminal).
    To(&'a mut dyn Write, &'a mut dyn Write),
}

/// The definitions, as the engine reaches them.
pub trait App {
    /// The project's rules and every permanent environment's artifacts, with the feature demos `demos`
    /// (names, or branches `feature-demo/<name>`) added under their slugs.
    fn assembly(&self, demos: &[String]) -> Result<Assembly, AppError>;

    /// Runs the definitions' own command line with `args` (without the program name: `synth --out out`),
    /// writing to `output`; how it ended.
    fn run(&self, args: &[OsString], output: Output<'_>) -> Exit;
}

impl App for Definitions {
    fn assembly(&self, demos: &[String]) -> Result<Assembly, AppError> {
        let (definitions, _) = with_demos(self, demos)?;
        let mut set = crate::synth::synth(&definitions, &[]).map_err(AppError::Definitions)?;
        set.assets = assets::files(&definitions, &assets::root(&definitions))?;
        Ok(Assembly { rules: Rules::of(&definitions), set })
    }

    fn run(&self, args: &[OsString], output: Output<'_>) -> Exit {
        match output {
            Output::Standard => {
                use std::io::IsTerminal;
                let (stdout, stderr) = (std::io::stdout(), std::io::stderr());
                let color = stdout.is_terminal();
                cli::run(self, args, &mut stdout.lock(), &mut stderr.lock(), color)
            }
            Output::To(out, err) => cli::run(self, args, out, err, false),
        }
    }
}

/// `definitions` ready to synthesize: every asset hashed (its paths relative to [`assets::root`]), and the feature demos `demos` (names or branches) added under their slugs,
/// with the slugs.
pub fn with_demos(definitions: &Definitions, demos: &[String]) -> Result<(Definitions, Vec<DemoSlug>), AppError> {
    let definitions = assets::hashed(definitions, &assets::root(definitions))?;
    if demos.is_empty() {
        return Ok((definitions, Vec::new()));
    }
    if definitions.demo_factory.is_none() {
        return Err(AppError::NoDemos);
    }
    let budget = NameBudget::for_project(&definitions)?;
    let mut out = definitions.clone();
    let mut slugs = Vec::new();
    for given in demos {
        let slug = budget.slug(given)?;
        if !out.project.demos.iter().any(|d| d.name == slug.slug) {
            out = out.with_demo(&slug.slug).ok_or(AppError::NoDemos)?;
        }
        slugs.push(slug);
    }
    Ok((out, slugs))
}
