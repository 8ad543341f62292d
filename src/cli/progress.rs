//! How a command shows a run's progress and asks a person: one line per event for CI logs and for
//! anything that is not a terminal, a live view (a line per stack with what is in progress) on a
//! terminal, and the approval prompt of a gated change. All of it goes through the session's streams, so
//! a test captures what a person would see and answers what they would be asked.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Write};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::ui::{Sink, Ui};
use crate::apply::cloudformation::Approver;
use crate::apply::report::{EventLines, Report, Reporter, change_lines};
use crate::diff::StackDiff;

/// How progress is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ProgressMode {
    /// A live view on a terminal, event lines otherwise.
    Auto,
    /// A live view.
    Live,
    /// One line per event.
    Events,
}

/// The reporter a run shows its progress with: a live view or event lines, on the notes stream.
pub enum Progress {
    /// A live view.
    Live(LiveView),
    /// One line per event.
    Lines(EventLines<Sink>),
}

impl Progress {
    /// The view `mode` asks for on `ui`.
    pub fn new(mode: ProgressMode, ui: &Ui) -> Progress {
        let live = match mode {
            ProgressMode::Auto => ui.terminal,
            ProgressMode::Live => true,
            ProgressMode::Events => false,
        };
        if live {
            Progress::Live(LiveView::new(ui.err.clone(), ui.width))
        } else {
            Progress::Lines(EventLines::new(ui.err.clone()))
        }
    }

    /// As a reporter.
    pub fn reporter(&mut self) -> &mut dyn Reporter {
        match self {
            Progress::Live(view) => view,
            Progress::Lines(lines) => lines,
        }
    }
}

/// Asks the person at the terminal, through the session's streams.
pub struct Prompt<'a> {
    ui: &'a Ui,
}

impl<'a> Prompt<'a> {
    /// Asks on `ui`.
    pub fn new(ui: &'a Ui) -> Self {
        Prompt { ui }
    }
}

impl Approver for Prompt<'_> {
    fn approve(&mut self, stack: &str, diff: &StackDiff) -> bool {
        let n = diff.template.resources.len();
        let mut err = self.ui.err.clone();
        let _ = writeln!(err, "{stack}: the change above needs approval ({n} resource(s) change).");
        let _ = write!(err, "Execute it? [y/N] ");
        let _ = err.flush();
        self.ui.read_line().is_ok_and(|answer| matches!(answer.trim(), "y" | "Y" | "yes"))
    }
}

/// A terminal drawn through a sink, with ANSI cursor movements.
struct Terminal {
    sink: Sink,
    width: u16,
}

impl fmt::Debug for Terminal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Terminal({} columns)", self.width)
    }
}

impl Terminal {
    fn put(&self, text: &str) -> io::Result<()> {
        self.sink.clone().write_all(text.as_bytes())
    }
}

impl indicatif::TermLike for Terminal {
    fn width(&self) -> u16 {
        self.width
    }

    fn move_cursor_up(&self, n: usize) -> io::Result<()> {
        if n > 0 { self.put(&format!("\x1b[{n}A")) } else { Ok(()) }
    }

    fn move_cursor_down(&self, n: usize) -> io::Result<()> {
        if n > 0 { self.put(&format!("\x1b[{n}B")) } else { Ok(()) }
    }

    fn move_cursor_right(&self, n: usize) -> io::Result<()> {
        if n > 0 { self.put(&format!("\x1b[{n}C")) } else { Ok(()) }
    }

    fn move_cursor_left(&self, n: usize) -> io::Result<()> {
        if n > 0 { self.put(&format!("\x1b[{n}D")) } else { Ok(()) }
    }

    fn write_line(&self, s: &str) -> io::Result<()> {
        self.put(&format!("{s}\n"))
    }

    fn write_str(&self, s: &str) -> io::Result<()> {
        self.put(s)
    }

    fn clear_line(&self) -> io::Result<()> {
        self.put("\r\x1b[2K")
    }

    fn flush(&self) -> io::Result<()> {
        self.sink.clone().flush()
    }
}

/// A live view on a terminal: one line per stack with its status and the resources still in progress.
pub struct LiveView {
    multi: MultiProgress,
    bars: BTreeMap<String, ProgressBar>,
    in_progress: BTreeMap<String, BTreeMap<String, String>>,
}

impl LiveView {
    /// A live view drawn on `sink`, a terminal `width` columns wide.
    pub fn new(sink: Sink, width: u16) -> Self {
        let target = ProgressDrawTarget::term_like(Box::new(Terminal { sink, width }));
        LiveView { multi: MultiProgress::with_draw_target(target), bars: BTreeMap::new(), in_progress: BTreeMap::new() }
    }

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
