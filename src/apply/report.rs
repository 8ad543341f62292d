//! How a run tells what it is doing: the engine emits [`Report`]s and does not know which view shows
//! them. [`EventLines`] writes one line per report (what CI logs and library callers read); the command
//! line adds a live view for terminals.

use std::io::Write;

use crate::cloud::StackEvent;
use crate::diff::StackDiff;
use crate::diff::render::stack_text;

/// Something worth telling while deploying.
#[derive(Clone, Debug)]
pub enum Report<'a> {
    /// A stack moved to a new phase (`creating change set`, `waiting`, `unchanged`).
    Phase {
        /// The stack's name.
        stack: &'a str,
        /// The phase.
        text: &'a str,
    },
    /// A change is ready: what it would change, as the diff of the deployed template against the new one
    /// (with CloudFormation's replacement verdicts where its change set gave them).
    Changes {
        /// The stack's name.
        stack: &'a str,
        /// The diff.
        diff: &'a StackDiff,
    },
    /// A stack event CloudFormation recorded.
    Event {
        /// The stack's name.
        stack: &'a str,
        /// The event.
        event: &'a StackEvent,
    },
    /// A line for the whole deploy.
    Note(&'a str),
}

/// Shows reports.
pub trait Reporter {
    /// Shows one report.
    fn report(&mut self, report: Report<'_>);
    /// The deploy is over: tidy up the view.
    fn finish(&mut self) {}
}

/// The lines that show a stack's change: its diff, security first, each line prefixed with the stack.
pub fn change_lines(stack: &str, diff: &StackDiff) -> Vec<String> {
    if diff.template.is_empty() {
        return vec![format!("{stack}: no change to the template (tags or parameters only)")];
    }
    stack_text(diff, false).lines().map(|l| format!("{stack}: {l}")).collect()
}

/// One line per report, for CI logs: stable, greppable, no control characters.
pub struct EventLines<W: Write> {
    out: W,
}

impl<W: Write> EventLines<W> {
    /// Writes lines to `out`.
    pub fn new(out: W) -> Self {
        EventLines { out }
    }
}

impl<W: Write> Reporter for EventLines<W> {
    fn report(&mut self, report: Report<'_>) {
        // A log that cannot be written must not stop a deploy halfway: write errors are ignored.
        let _ = match report {
            Report::Phase { stack, text } => writeln!(self.out, "{stack}: {text}"),
            Report::Changes { stack, diff } => {
                change_lines(stack, diff).iter().try_for_each(|line| writeln!(self.out, "{line}"))
            }
            Report::Event { stack, event } => writeln!(
                self.out,
                "{stack}: {} {} {} ({}){}",
                event.timestamp,
                event.status,
                event.logical_id,
                event.resource_type,
                event.reason.as_deref().map(|r| format!(" {r}")).unwrap_or_default()
            ),
            Report::Note(text) => writeln!(self.out, "{text}"),
        };
        let _ = self.out.flush();
    }
}
