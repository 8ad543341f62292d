//! The templates (Jinja syntax, rendered by minijinja) of the text formats (cloud.gov manifests, docker-compose files, the demo install
//! script, GitHub Actions workflows, the files `slipway init` writes) and the filters that put values into
//! them safely.
//!
//! The templates are compiled into the binary (`include_str!`), so synthesis reads no file at run time and
//! stays a pure function of the definitions. Every value a template places into YAML goes through
//! `yaml_str`, which writes a double-quoted scalar that parses back to exactly that string whatever it
//! holds (`#`, `: `, quotes, newlines, `yes`, `*alias`, digits, non-ASCII); every value placed into a shell
//! script goes through `sh_str`.

use std::fmt::Write as _;
use std::sync::OnceLock;

use minijinja::value::{Value, ValueKind};
use minijinja::{AutoEscape, Environment, ErrorKind, UndefinedBehavior};
use serde::Serialize;

/// Every template, by the name synthesis renders it under, with its text.
const TEMPLATES: [(&str, &str); 11] = [
    ("cloudgov/manifest.yml", include_str!("../../templates/cloudgov/manifest.yml.jinja")),
    ("compose/docker-compose.yml", include_str!("../../templates/compose/docker-compose.yml.jinja")),
    ("compose/env.example", include_str!("../../templates/compose/env.example.jinja")),
    ("compose/install.sh", include_str!("../../templates/compose/install.sh.jinja")),
    ("github/workflow.yml", include_str!("../../templates/github/workflow.yml.jinja")),
    ("init/Cargo.toml", include_str!("../../templates/init/Cargo.toml.jinja")),
    ("init/main.rs", include_str!("../../templates/init/main.rs.jinja")),
    ("init/environments.rs", include_str!("../../templates/init/environments.rs.jinja")),
    ("init/stacks.rs", include_str!("../../templates/init/stacks.rs.jinja")),
    ("init/README.md", include_str!("../../templates/init/README.md.jinja")),
    ("init/gitignore", include_str!("../../templates/init/gitignore.jinja")),
];

/// A template failed to render: a bug in a template or in the data handed to it.
#[derive(Debug, thiserror::Error)]
#[error("template `{template}` failed to render: {message}")]
pub struct RenderError {
    /// The template's name.
    pub template: String,
    /// The template engine's explanation, with its causes.
    pub message: String,
}

/// The engine of template `name`, which parses that template alone, on first use: most runs render only
/// some of the templates (no install script without a compose server, none at all for `envs`).
///
/// Set as the templates were written for: a name that is not in the data is an error, not an empty
/// string; nothing is escaped but by the filters; a boolean is `true` or `false`; the text ends as the
/// template does (its last newline kept).
fn engine(name: &str) -> Result<&'static Environment<'static>, RenderError> {
    static ENGINES: [OnceLock<Result<Environment<'static>, String>>; TEMPLATES.len()] =
        [const { OnceLock::new() }; TEMPLATES.len()];
    let Some(i) = TEMPLATES.iter().position(|(n, _)| *n == name) else {
        return Err(RenderError { template: name.into(), message: "no such template".into() });
    };
    let built = ENGINES[i].get_or_init(|| {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_auto_escape_callback(|_| AutoEscape::None);
        env.set_keep_trailing_newline(true);
        env.set_formatter(|out, state, value| match value.kind() {
            // `true`, as YAML and the shell read it, not Python's `True`.
            ValueKind::Bool => out.write_str(if value.is_true() { "true" } else { "false" }).map_err(Into::into),
            _ => minijinja::escape_formatter(out, state, value),
        });
        env.add_filter("yaml_str", filter(yaml_str));
        env.add_filter("sh_str", filter(sh_str));
        env.add_filter("rust_str", filter(rust_str));
        env.add_filter("toml_str", filter(toml_str));
        env.add_template(TEMPLATES[i].0, TEMPLATES[i].1).map_err(|e| chain(&e))?;
        Ok(env)
    });
    built.as_ref().map_err(|message| RenderError { template: name.into(), message: message.clone() })
}

/// A Rust string literal that is exactly `s`.
pub fn rust_str(s: &str) -> String {
    format!("{s:?}")
}

/// A TOML basic string that is exactly `s` (JSON's escapes are TOML's).
pub fn toml_str(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// Renders template `name` with `data` as its context.
pub fn render(name: &str, data: &impl Serialize) -> Result<String, RenderError> {
    let err = |message: String| RenderError { template: name.into(), message };
    let template = engine(name)?.get_template(name).map_err(|e| err(chain(&e)))?;
    template.render(data).map_err(|e| err(chain(&e)))
}

/// The engine's error and every cause below it, on one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let _ = write!(s, ": {cause}");
        source = cause.source();
    }
    s
}

/// Wraps a string-to-string escape as a filter; numbers and booleans are escaped as their text, anything
/// else (a list, a missing value rendered as none) is a template bug and fails the render.
fn filter(escape: fn(&str) -> String) -> impl Fn(Value) -> Result<String, minijinja::Error> + Send + Sync + 'static {
    move |value| match (value.kind(), value.as_str()) {
        (_, Some(s)) => Ok(escape(s)),
        (ValueKind::Number | ValueKind::Bool, None) => Ok(escape(&value.to_string())),
        (kind, None) => Err(minijinja::Error::new(
            ErrorKind::InvalidOperation,
            format!("can only escape a string, not {kind} {value}"),
        )),
    }
}

/// `s` as a double-quoted YAML scalar that every YAML 1.1 and 1.2 parser reads back as exactly `s`.
///
/// Inside double quotes only `"` and `\` are special, and escapes are the only way to write characters
/// YAML does not allow raw (C0 and C1 controls, DEL, the BOM, U+FFFE/U+FFFF) or would fold (line breaks,
/// including YAML 1.1's U+0085, U+2028, U+2029). Tabs are escaped too, so that no whitespace is ever raw
/// but the space. Everything else, non-ASCII included, is written as it is.
pub fn yaml_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{0}'..='\u{1f}'
            | '\u{7f}'..='\u{9f}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{feff}'
            | '\u{fffe}'
            | '\u{ffff}' => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `s` as one single-quoted shell word: the shell reads it back as exactly `s`, expanding nothing.
pub fn sh_str(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// `s` as a literal in a docker-compose file: compose interpolates `$NAME` and `${NAME}` in every value,
/// and `$$` is its escape for one `$`. The result still goes through [`yaml_str`].
pub fn compose_literal(s: &str) -> String {
    s.replace('$', "$$")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_yaml_would_misread() {
        assert_eq!(yaml_str("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(yaml_str("l1\nl2\u{85}\u{2028}\u{0}"), r#""l1\nl2\u0085\u2028\u0000""#);
        assert_eq!(yaml_str("yes"), r#""yes""#);
        assert_eq!(yaml_str("é ✓"), "\"é ✓\"");
    }

    #[test]
    fn shell_words_survive_quotes() {
        assert_eq!(sh_str("it's"), r"'it'\''s'");
    }

    #[test]
    fn every_template_parses() {
        for (name, _) in TEMPLATES {
            engine(name).unwrap();
        }
        assert!(engine("nothing.yml").is_err());
    }
}
