//! Writing a template as YAML with short forms, the way people write them: the writer the YAML tests read
//! their templates back through.

use serde_json::Value;

/// The short forms CloudFormation defines (`!Ref`, `!Condition`, and `!Name` for `Fn::Name`).
const SHORT: &[&str] = &[
    "Ref",
    "Condition",
    "Base64",
    "Cidr",
    "FindInMap",
    "GetAtt",
    "GetAZs",
    "ImportValue",
    "Join",
    "Select",
    "Split",
    "Sub",
    "Transform",
    "And",
    "Equals",
    "If",
    "Not",
    "Or",
    "Length",
    "ToJsonString",
];

/// The choices a writer makes. Without a seed every choice is the plain one (short forms, block style,
/// plain scalars where they are safe, `true`/`false`); with one, a deterministic generator picks per
/// node, so one proptest case covers many spellings.
pub(crate) struct Choices(Option<u64>);

impl Choices {
    /// `true` unless the generator says otherwise.
    fn pick(&mut self) -> bool {
        let Some(state) = &mut self.0 else { return true };
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state & 1 == 1
    }

    /// One of `options`, the first without a seed.
    fn one_of<'a>(&mut self, options: &[&'a str]) -> &'a str {
        let mut i = 0;
        while i + 1 < options.len() && !self.pick() {
            i += 1;
        }
        options[i]
    }
}

/// The one-key intrinsic function `value` is, if it has a short form.
fn intrinsic(value: &Value) -> Option<(&'static str, &Value)> {
    let Value::Object(m) = value else { return None };
    if m.len() != 1 {
        return None;
    }
    let (key, arg) = m.iter().next()?;
    let name = if key == "Ref" || key == "Condition" { key.as_str() } else { key.strip_prefix("Fn::")? };
    SHORT.iter().find(|s| **s == name).map(|s| (*s, arg))
}

/// The short form to write for `value`, if any. Not right after another tag (`!Base64 !Sub x` is not
/// YAML), and not on a number, boolean or null: a tagged scalar is a string (`!Base64 5` is
/// `{"Fn::Base64": "5"}`), so those keep their long form.
fn short_form(value: &Value, after_tag: bool) -> Option<(&'static str, &Value)> {
    intrinsic(value).filter(|(_, arg)| !after_tag && (arg.is_string() || arg.is_array() || arg.is_object()))
}

/// Whether `s` may be written unquoted and still read back as this string by any YAML 1.1 reader.
/// Deliberately cautious, and independent of slipway's own resolution: no leading digit, sign or dot
/// (numbers, timestamps, base 60, `.inf`), none of the boolean or null words in any case, no
/// indicators, no `:` inside flow collections.
fn plain_ok(s: &str, flow: bool) -> bool {
    let Some(first) = s.chars().next() else { return false };
    let lower = s.to_ascii_lowercase();
    (first.is_ascii_alphabetic() || first == '_' || first == '/')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || "_./-".contains(c) || (c == ':' && !flow))
        && !s.ends_with(':')
        && !["y", "n", "yes", "no", "on", "off", "true", "false", "null"].contains(&lower.as_str())
}

fn scalar(s: &str, flow: bool, c: &mut Choices) -> String {
    if plain_ok(s, flow) && c.pick() {
        return s.to_string();
    }
    if !s.chars().any(char::is_control) && c.pick() {
        return format!("'{}'", s.replace('\'', "''"));
    }
    // JSON's escapes are all YAML double-quoted escapes too.
    serde_json::to_string(s).unwrap()
}

/// A scalar value as text.
fn leaf(v: &Value, flow: bool, c: &mut Choices) -> String {
    match v {
        Value::Null => c.one_of(&["null", "~", "Null", "NULL"]).into(),
        // Not `y`/`n`: CloudFormation reads those as strings.
        Value::Bool(true) => c.one_of(&["true", "yes", "on", "True", "TRUE", "Yes", "YES", "On", "ON"]).into(),
        Value::Bool(false) => c.one_of(&["false", "no", "off", "False", "FALSE", "No", "NO", "Off", "OFF"]).into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => scalar(s, flow, c),
        _ => unreachable!("collections are not leaves"),
    }
}

fn key(k: &str, flow: bool, c: &mut Choices) -> String {
    let text = scalar(k, flow, c);
    // The non-specific tag on a key only says "a string", as the key already is.
    if !flow && !c.pick() && !c.pick() { format!("! {text}") } else { text }
}

/// `value` in flow style: `{A: [1, !Ref B]}`.
fn flow(v: &Value, after_tag: bool, out: &mut String, c: &mut Choices) {
    if let Some((name, arg)) = short_form(v, after_tag).filter(|_| c.pick() || c.pick()) {
        if name == "GetAZs" && arg == "" && c.pick() {
            // `!GetAZs` with no argument at all: the empty string.
            out.push_str("!GetAZs");
            return;
        }
        out.push('!');
        out.push_str(name);
        out.push(' ');
        return flow(arg, true, out, c);
    }
    match v {
        Value::Object(m) => {
            if intrinsic(v).is_some() && !after_tag && !c.pick() {
                out.push_str("! ");
            }
            out.push('{');
            for (i, (k, x)) in m.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&key(k, true, c));
                out.push_str(": ");
                flow(x, false, out, c);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                flow(x, false, out, c);
            }
            out.push(']');
        }
        scalar => out.push_str(&leaf(scalar, true, c)),
    }
}

/// `value` where a node starts (after `Key:` or `-`): a scalar or flow collection on this line, a block
/// collection on the lines below, indented by `indent`.
fn block(v: &Value, indent: usize, after_tag: bool, out: &mut String, c: &mut Choices) {
    if let Some((name, arg)) = short_form(v, after_tag).filter(|_| c.pick() || c.pick()) {
        let dotted = match (name, arg) {
            ("GetAtt", Value::Array(p)) if p.len() == 2 => match (&p[0], &p[1]) {
                (Value::String(a), Value::String(b))
                    if plain_ok(a, false) && !a.contains('.') && plain_ok(b, false) =>
                {
                    Some(format!("{a}.{b}"))
                }
                _ => None,
            },
            _ => None,
        };
        match dotted {
            Some(d) if c.pick() => out.push_str(&format!(" !GetAtt {d}")),
            _ if name == "GetAZs" && arg == "" && c.pick() => out.push_str(" !GetAZs"),
            _ => {
                out.push_str(" !");
                out.push_str(name);
                block(arg, indent, true, out, c);
            }
        }
        return;
    }
    let pad = " ".repeat(indent);
    match v {
        Value::Object(m) if !m.is_empty() && c.pick() => {
            if intrinsic(v).is_some() && !after_tag && !c.pick() {
                out.push_str(" !");
            }
            for (k, x) in m {
                out.push_str(&format!("\n{pad}{}:", key(k, false, c)));
                block(x, indent + 2, false, out, c);
            }
        }
        Value::Array(items) if !items.is_empty() && c.pick() => {
            for x in items {
                out.push_str(&format!("\n{pad}-"));
                block(x, indent + 2, false, out, c);
            }
        }
        _ => {
            out.push(' ');
            flow(v, after_tag, out, c);
        }
    }
}

/// The template as YAML with short-form tags, every choice the plain one without a seed.
pub(crate) fn to_yaml(template: &Value, seed: Option<u64>) -> String {
    let mut c = Choices(seed.map(|s| s | 1));
    let mut out = String::new();
    match template {
        Value::Object(m) => {
            for (k, x) in m {
                out.push_str(&format!("{}:", key(k, false, &mut c)));
                block(x, 2, false, &mut out, &mut c);
                out.push('\n');
            }
        }
        other => flow(other, false, &mut out, &mut c),
    }
    out
}
