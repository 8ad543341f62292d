//! How a deploy tells what it is doing: one line per event for CI logs, or a live view on a terminal.
//! The engine emits [`Report`]s; it does not know which view shows them.

use std::collections::BTreeMap;
use std::io::Write;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

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

/// A live view on a terminal: one line per stack with its status and the resources still in progress.
pub struct LiveView {
    multi: MultiProgress,
    bars: BTreeMap<String, ProgressBar>,
    in_progress: BTreeMap<String, BTreeMap<String, String>>,
}

impl Default for LiveView {
    fn default() -> Self {
        LiveView {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
            bars: BTreeMap::new(),
            in_progress: BTreeMap::new(),
        }
    }
}

impl LiveView {
    fn bar(&mut self, stack: &str) -> &ProgressBar {
        if !self.bars.contains_key(stack) {
            let bar = self.multi.add(ProgressBar::new_spinner());
            bar.set_style(ProgressStyle::with_template("{spinner} {prefix:30} {msg}").expect("a valid template"));
            bar.set_prefix(stack.to_string());
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            self.bars.insert(stack.to_string(), bar);
        }
        &self.bars[stack]
    }
}

impl Reporter for LiveView {
    fn report(&mut self, report: Report<'_>) {
        match report {
            Report::Phase { stack, text } => {
                let text = text.to_string();
                let bar = self.bar(stack);
                if text.ends_with("COMPLETE") || text == "unchanged" || text.starts_with("failed") {
                    bar.finish_with_message(text);
                } else {
                    bar.set_message(text);
                }
            }
            Report::Changes { stack, diff } => {
                for line in change_lines(stack, diff) {
                    let _ = self.multi.println(line);
                }
            }
            Report::Event { stack, event } => {
                let busy = self.in_progress.entry(stack.to_string()).or_default();
                if event.status.ends_with("_IN_PROGRESS") && event.logical_id != stack {
                    busy.insert(event.logical_id.clone(), event.status.clone());
                } else {
                    busy.remove(&event.logical_id);
                }
                if event.status.ends_with("_FAILED") {
                    let _ = self.multi.println(format!(
                        "{stack}: {} {} {}",
                        event.status,
                        event.logical_id,
                        event.reason.as_deref().unwrap_or("")
                    ));
                }
                let summary = if busy.is_empty() {
                    String::new()
                } else {
                    format!(" | in progress: {}", busy.keys().cloned().collect::<Vec<_>>().join(", "))
                };
                let message = format!("{}{summary}", event.status);
                self.bar(stack).set_message(message);
            }
            Report::Note(text) => {
                let _ = self.multi.println(text);
            }
        }
    }

    fn finish(&mut self) {
        for bar in self.bars.values() {
            if !bar.is_finished() {
                bar.abandon();
            }
        }
    }
}
