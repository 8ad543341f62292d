//! The tera templates of the text formats (cloud.gov manifests, docker-compose files, the demo install
//! script, GitHub Actions workflows, the files `slipway init` writes) and the filters that put values into
//! them safely.
//!
//! The templates are compiled into the binary (`include_str!`), so synthesis reads no file at run time and
//! stays a pure function of the definitions. Every value a template places into YAML goes through
//! `yaml_str`, which writes a double-quoted scalar that parses back to exactly that string whatever it
//! holds (`#`, `: `, quotes, newlines, `yes`, `*alias`, digits, non-ASCII); every value placed into a shell
//! script goes through `sh_str`.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::OnceLock;

use serde::Serialize;
use tera::{Context, Tera, Value};

/// Every template, by the name synthesis renders it under, with its text.
const TEMPLATES: [(&str, &str); 11] = [
    ("cloudgov/manifest.yml", include_str!("../../templates/cloudgov/manifest.yml.tera")),
    ("compose/docker-compose.yml", include_str!("../../templates/compose/docker-compose.yml.tera")),
    ("compose/env.example", include_str!("../../templates/compose/env.example.tera")),
    ("compose/install.sh", include_str!("../../templates/compose/install.sh.tera")),
    ("github/workflow.yml", include_str!("../../templates/github/workflow.yml.tera")),
    ("init/Cargo.toml", include_str!("../../templates/init/Cargo.toml.tera")),
    ("init/main.rs", include_str!("../../templates/init/main.rs.tera")),
    ("init/environments.rs", include_str!("../../templates/init/environments.rs.tera")),
    ("init/stacks.rs", include_str!("../../templates/init/stacks.rs.tera")),
    ("init/README.md", include_str!("../../templates/init/README.md.tera")),
    ("init/gitignore", include_str!("../../templates/init/gitignore.tera")),
];

/// A template failed to render: a bug in a template or in the data handed to it.
#[derive(Debug, thiserror::Error)]
#[error("template `{template}` failed to render: {message}")]
pub struct RenderError {
    /// The template's name.
    pub template: String,
    /// Tera's explanation, with its causes.
    pub message: String,
}

/// The engine of template `name`, which parses that template alone, on first use: tera's parser costs
/// about 2,000 instructions a byte, and most runs render only some of the templates (no install script
/// without a compose server, none at all for `envs`).
fn engine(name: &str) -> Result<&'static Tera, RenderError> {
    static ENGINES: [OnceLock<Result<Tera, String>>; TEMPLATES.len()] = [const { OnceLock::new() }; TEMPLATES.len()];
    let Some(i) = TEMPLATES.iter().position(|(n, _)| *n == name) else {
        return Err(RenderError { template: name.into(), message: "no such template".into() });
    };
    let built = ENGINES[i].get_or_init(|| {
        let mut tera = Tera::default();
        tera.autoescape_on(Vec::new());
        tera.register_filter("yaml_str", filter(yaml_str));
        tera.register_filter("sh_str", filter(sh_str));
        tera.register_filter("rust_str", filter(rust_str));
        tera.register_filter("toml_str", filter(toml_str));
        tera.add_raw_template(TEMPLATES[i].0, TEMPLATES[i].1).map_err(|e| chain(&e))?;
        Ok(tera)
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
    let context = Context::from_serialize(data).map_err(|e| err(chain(&e)))?;
    engine(name)?.render(name, &context).map_err(|e| err(chain(&e)))
}

/// Tera's error and every cause below it, on one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let _ = write!(s, ": {cause}");
        source = cause.source();
    }
    s
}

/// Wraps a string-to-string escape as a tera filter; numbers and booleans are escaped as their text,
/// anything else (a list, a missing value rendered as null) is a template bug and fails the render.
fn filter(
    escape: fn(&str) -> String,
) -> impl Fn(&Value, &HashMap<String, Value>) -> tera::Result<Value> + Send + Sync + 'static {
    move |value, _args| match value {
        Value::String(s) => Ok(Value::String(escape(s))),
        Value::Number(n) => Ok(Value::String(escape(&n.to_string()))),
        Value::Bool(b) => Ok(Value::String(escape(&b.to_string()))),
        other => Err(tera::Error::msg(format!("can only escape a string, not {other}"))),
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
