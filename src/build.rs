//! The build script: prepares, at build time, an index of the bundled resource-type facts
//! (`src/cfn/resource-types.json`, 715 KB, and the `Fn::GetAtt` attributes beyond them,
//! `src/cfn/attributes.json`), so that a run of slipway never parses a whole file. Each index lists every
//! resource type's name with the byte range of its value in the file, sorted by name; `cfn::resource_types`
//! finds a type by binary search and parses only that type's value, on first use. `slipway envs` needs no
//! type at all, and a synth of the reference definitions reads about thirty.
//!
//! A scanner of its own rather than a JSON crate: it only needs the structure (strings, nesting), and a
//! build dependency would be one more crate to compile on a fresh clone.

use std::fmt::Write as _;
use std::path::PathBuf;

const DATA: &str = "src/cfn/resource-types.json";
const ATTRIBUTES: &str = "src/cfn/attributes.json";

fn main() {
    println!("cargo::rerun-if-changed=src/build.rs");
    index(DATA, "resourceTypes", "INDEX", "resource_type_index.rs");
    index(ATTRIBUTES, "attributes", "ATTRIBUTE_INDEX", "attribute_index.rs");
}

/// Writes `static <name>` into `OUT_DIR/<file>`: the members of `path`'s top-level `section` object.
fn index(path: &'static str, section: &str, name: &str, file: &str) {
    println!("cargo::rerun-if-changed={path}");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    let mut index = types(&text, path, section);
    index.sort_by(|a, b| a.0.cmp(&b.0));
    if let Some(w) = index.windows(2).find(|w| w[0].0 == w[1].0) {
        panic!("{path} lists resource type `{}` twice", w[0].0);
    }
    let mut out = String::new();
    writeln!(out, "// Made by src/build.rs from {path}: do not edit.").unwrap();
    writeln!(out, "/// Every resource type: its name and the byte range of its value in the data, sorted by name.")
        .unwrap();
    writeln!(out, "static {name}: [(&str, u32, u32); {}] = [", index.len()).unwrap();
    for (name, start, end) in &index {
        writeln!(out, "    ({name:?}, {start}, {end}),").unwrap();
    }
    writeln!(out, "];").unwrap();
    let dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(dir.join(file), out).expect("OUT_DIR is writable");
}

/// The members of the top-level object's `section` object: (name, start, end) of each value.
fn types(text: &str, path: &'static str, section: &str) -> Vec<(String, u32, u32)> {
    let mut s = Scanner { bytes: text.as_bytes(), at: 0, path };
    let mut found = None;
    s.object(|s, key| {
        if key == section {
            let mut list = Vec::new();
            s.object(|s, name| {
                let start = s.at;
                s.value();
                let offset = |n: usize| u32::try_from(n).expect("the data is under 4 GB");
                list.push((name.to_string(), offset(start), offset(s.at)));
            });
            found = Some(list);
        } else {
            s.value();
        }
    });
    s.space();
    assert!(s.at == s.bytes.len(), "{path}: text after the top-level object at byte {}", s.at);
    found.unwrap_or_else(|| panic!("{path} has no `{section}` object"))
}

/// A cursor over JSON text that knows its structure and nothing of its meaning.
struct Scanner<'a> {
    bytes: &'a [u8],
    at: usize,
    /// The file, for messages.
    path: &'static str,
}

impl<'a> Scanner<'a> {
    fn space(&mut self) {
        while self.bytes.get(self.at).is_some_and(u8::is_ascii_whitespace) {
            self.at += 1;
        }
    }

    fn expect(&mut self, byte: u8) {
        self.space();
        assert!(
            self.bytes.get(self.at) == Some(&byte),
            "{}: expected `{}` at byte {}",
            self.path,
            byte as char,
            self.at
        );
        self.at += 1;
    }

    fn peek(&mut self) -> Option<u8> {
        self.space();
        self.bytes.get(self.at).copied()
    }

    /// A string, as written between its quotes (the names it is asked for have no escapes).
    fn string(&mut self) -> &'a str {
        self.expect(b'"');
        let start = self.at;
        loop {
            match self.bytes.get(self.at) {
                Some(b'"') => break,
                Some(b'\\') => self.at += 2,
                Some(_) => self.at += 1,
                None => panic!("{}: a string that does not end, from byte {start}", self.path),
            }
        }
        self.at += 1;
        std::str::from_utf8(&self.bytes[start..self.at - 1]).expect("the data is UTF-8")
    }

    /// An object, calling `member` with the cursor on each member's value, which it must consume.
    fn object(&mut self, mut member: impl FnMut(&mut Self, &'a str)) {
        self.expect(b'{');
        if self.peek() == Some(b'}') {
            self.at += 1;
            return;
        }
        loop {
            let key = self.string();
            self.expect(b':');
            self.space();
            member(self, key);
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    return;
                }
                _ => panic!("{}: expected `,` or `}}` at byte {}", self.path, self.at),
            }
        }
    }

    /// Any value, skipped.
    fn value(&mut self) {
        match self.peek() {
            Some(b'{') => self.object(|s, _| s.value()),
            Some(b'[') => {
                self.at += 1;
                if self.peek() == Some(b']') {
                    self.at += 1;
                    return;
                }
                loop {
                    self.value();
                    match self.peek() {
                        Some(b',') => self.at += 1,
                        Some(b']') => {
                            self.at += 1;
                            return;
                        }
                        _ => panic!("{}: expected `,` or `]` at byte {}", self.path, self.at),
                    }
                }
            }
            Some(b'"') => {
                self.string();
            }
            Some(_) => {
                // A number, `true`, `false` or `null`.
                while self.bytes.get(self.at).is_some_and(|b| !b",]} \t\r\n".contains(b)) {
                    self.at += 1;
                }
            }
            None => panic!("{}: the text ends where a value should be", self.path),
        }
    }
}
