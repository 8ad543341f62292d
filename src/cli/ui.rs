//! Where a command writes and reads: results on one sink, notes, progress and questions on another, and
//! the answers from a reader, all injected, so that a whole command (a deploy's approval prompt and live
//! view included) runs in-process under test with everything it said and asked captured.
//!
//! A [`Sink`] is shared (cloned into the live view's drawing, say) and takes `&self`, so that writing a
//! line never needs more than a shared borrow of the session it belongs to.

use std::io::{self, BufRead, Write};
use std::sync::{Arc, Mutex, PoisonError};

/// A shared writer; every clone writes to the same place, one whole call at a time.
#[derive(Clone)]
pub struct Sink(Arc<Mutex<Box<dyn Write + Send>>>);

impl Sink {
    /// A sink writing to `w`.
    pub fn new(w: impl Write + Send + 'static) -> Sink {
        Sink(Arc::new(Mutex::new(Box::new(w))))
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).flush()
    }
}

/// A command's streams.
pub struct Ui {
    /// Results.
    pub out: Sink,
    /// Notes, warnings, errors, progress, questions.
    pub err: Sink,
    input: Mutex<Box<dyn BufRead + Send>>,
    /// Whether the notes stream is a terminal, where a live view can be drawn.
    pub terminal: bool,
    /// Whether a person can be asked: the input is a terminal too.
    pub interactive: bool,
    /// The terminal's width in columns, for a live view.
    pub width: u16,
    /// Whether these are the process's own standard streams (which a program it runs can inherit).
    pub standard: bool,
}

impl Ui {
    /// The process's standard streams.
    pub fn standard() -> Ui {
        use std::io::IsTerminal;
        let terminal = io::stderr().is_terminal();
        let interactive = terminal && io::stdin().is_terminal();
        let width = crate::vars::parsed::<u16>("COLUMNS").unwrap_or(100);
        Ui {
            out: Sink::new(io::stdout()),
            err: Sink::new(io::stderr()),
            input: Mutex::new(Box::new(io::BufReader::new(io::stdin()))),
            terminal,
            interactive,
            width,
            standard: true,
        }
    }

    /// Streams that capture what a command writes, and answer its questions with `input`; no terminal.
    pub fn captured(input: &str) -> (Ui, Captured) {
        let captured = Captured::default();
        let ui = Ui {
            out: Sink::new(Buffer(captured.out.clone())),
            err: Sink::new(Buffer(captured.err.clone())),
            input: Mutex::new(Box::new(io::Cursor::new(input.as_bytes().to_vec()))),
            terminal: false,
            interactive: false,
            width: 100,
            standard: false,
        };
        (ui, captured)
    }

    /// Marks the streams as a terminal's with a person at it (a test of what a person sees and answers).
    pub fn as_terminal(mut self) -> Ui {
        self.terminal = true;
        self.interactive = true;
        self
    }

    /// A line from the input, without its line break; empty at its end.
    pub fn read_line(&self) -> io::Result<String> {
        let mut line = String::new();
        self.input.lock().unwrap_or_else(PoisonError::into_inner).read_line(&mut line)?;
        Ok(line.trim_end_matches(['\n', '\r']).to_string())
    }
}

/// What a command wrote to captured streams.
#[derive(Clone, Default)]
pub struct Captured {
    out: Arc<Mutex<Vec<u8>>>,
    err: Arc<Mutex<Vec<u8>>>,
}

impl Captured {
    /// Everything written to the results stream so far.
    pub fn out(&self) -> String {
        String::from_utf8_lossy(&self.out.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
    }

    /// Everything written to the notes stream so far.
    pub fn err(&self) -> String {
        String::from_utf8_lossy(&self.err.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
    }
}

struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
