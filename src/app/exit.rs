//! The exit statuses of every command of both command lines (the definitions' own and the engine's), in one
//! table: each command ends in one of these, every error kind maps to one of them, and `--help` lists them
//! from here.

use std::process::ExitCode;

/// How a command ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Exit {
    /// It did what was asked.
    Success,
    /// The input was refused, and nothing was changed.
    Refused,
    /// `diff --exit-code` found differences, or `status --exit-code` drift.
    Differs,
    /// A cloud API failed or could not be reached, and nothing was changed.
    CloudFailed,
    /// A change failed, and everything it changed is back where it was.
    RolledBack,
    /// A change failed, and some of it could not be (or, for a demo left for debugging, was not) brought back.
    RollbackIncomplete,
    /// The environment's AWS account and region are not bootstrapped, or by an older version; nothing was
    /// changed.
    NotBootstrapped,
    /// A bug in slipway.
    Internal,
    /// Interrupted (Ctrl-C).
    Interrupted,
}

impl Exit {
    /// Every status, in the order `--help` lists them.
    pub const ALL: [Exit; 9] = [
        Exit::Success,
        Exit::Refused,
        Exit::Differs,
        Exit::CloudFailed,
        Exit::RolledBack,
        Exit::RollbackIncomplete,
        Exit::NotBootstrapped,
        Exit::Internal,
        Exit::Interrupted,
    ];

    /// The number the process exits with.
    pub fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::Refused => 1,
            Exit::Differs => 2,
            Exit::CloudFailed => 3,
            Exit::RolledBack => 4,
            Exit::RollbackIncomplete => 5,
            Exit::NotBootstrapped => 6,
            Exit::Internal => 70,
            Exit::Interrupted => 130,
        }
    }

    /// What it means, for `--help`.
    pub fn meaning(self) -> &'static str {
        match self {
            Exit::Success => "success",
            Exit::Refused => "refused, and nothing was changed: bad input, a deploy's gate, the policy, a held lock",
            Exit::Differs => "`diff --exit-code`: the artifacts differ; `status --exit-code`: a stack drifted",
            Exit::CloudFailed => "a cloud API failed, or AWS could not be reached; nothing was changed",
            Exit::RolledBack => "a deploy failed and every stack it changed is back where it was",
            Exit::RollbackIncomplete => {
                "a change failed and is not all back (a demo left for debugging, say): a person must look"
            }
            Exit::NotBootstrapped => {
                "the AWS account is not bootstrapped (or by an older version): `slipway bootstrap`"
            }
            Exit::Internal => "an internal error (a bug in slipway: please report it)",
            Exit::Interrupted => "interrupted",
        }
    }

    /// The `--help` text of the table (one line per status, short enough not to be wrapped at 100 columns).
    pub fn table() -> String {
        let mut s = String::from("Exit status:\n");
        for exit in Exit::ALL {
            s.push_str(&format!("  {:<4}{}\n", exit.code(), exit.meaning()));
        }
        s.trim_end().to_string()
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit.code())
    }
}
