//! CloudFormation's YAML: a template written in YAML read into the value its long JSON form has.
//!
//! CloudFormation reads YAML 1.1, not the YAML 1.2 that general-purpose Rust YAML crates implement, and
//! it adds its own short forms. Reading a template any other way makes the diff report changes nobody
//! made (or miss real ones), so this module builds the value itself from a YAML event stream, where it
//! can still see how each scalar was written:
//!
//! - A plain (unquoted) scalar is resolved by YAML 1.1's rules as CloudFormation's parser applies them
//!   (PyYAML's, which the AWS CLI shares): `yes`, `on`, `true` and `no`, `off`, `false` are booleans,
//!   each in the three spellings YAML 1.1 defines (`yes`, `Yes`, `YES`), while `y`, `Y`, `n` and `N`,
//!   booleans in the YAML 1.1 type repository, stay strings (aws/aws-cli#7805: a CLI that read them as
//!   booleans broke templates CloudFormation itself reads as strings);
//!   integers may be written in binary (`0b101`), octal (`017`), hexadecimal (`0x1F`) or base 60
//!   (`1:30`), with `_` separators; floats need a `.` (`1.5`, `.5`, `1.5e+3`, `1:30.5`); `~`, `null` and
//!   nothing at all are null. Everything else, timestamps included (`2010-09-09`), stays a string, and so
//!   does `.inf`/`.nan`, which JSON cannot hold.
//! - A quoted or block scalar is always a string, so `"yes"` is the string and `yes` is `true`.
//! - A short-form tag is the long form: `!Ref X` is `{"Ref": "X"}`, `!Condition X` is
//!   `{"Condition": "X"}`, any other `!Name value` is `{"Fn::Name": value}`. A tagged scalar is a
//!   string, whatever it looks like, so `!GetAZs` with no argument is `{"Fn::GetAZs": ""}`.
//! - The non-specific tag `!` only says "not resolved": `! "Ref"` is the string `Ref`, and
//!   `! {"Fn::GetAtt": [A, B]}` is that mapping.
//! - YAML's own tags (`!!str`, `!!int`, ...) mean what they say; anchors and aliases are expanded.
//!
//! A mapping key that is a scalar is the text as written: keys are names (logical IDs, property names,
//! mapping keys), so `Y:` and `NO:` stay those names. A key given twice, a second document, or a tag from
//! a `%TAG` directive is an error rather than a guess.

use std::collections::HashMap;

use serde_json::{Map, Number, Value};
use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// Why a YAML template could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{message} (line {line}, column {column})")]
pub struct YamlError {
    /// What is wrong.
    pub message: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

impl YamlError {
    fn at(mark: Marker, message: impl Into<String>) -> YamlError {
        YamlError { message: message.into(), line: mark.line(), column: mark.col() + 1 }
    }
}

impl From<yaml_rust2::ScanError> for YamlError {
    fn from(e: yaml_rust2::ScanError) -> YamlError {
        // ScanError's own text ends in "at byte .. line .. column ..": keep only what is wrong.
        let text = e.info().to_string();
        YamlError::at(*e.marker(), text)
    }
}

/// How deep collections may nest: as deep as `serde_json` accepts for JSON, so that both forms of a
/// template are held to the same limit and the recursive walks over values stay shallow.
const MAX_DEPTH: usize = 128;

/// How many values alias expansion may produce in all, so that a few nested aliases cannot blow a small
/// file up into gigabytes.
const MAX_EXPANDED: usize = 1_000_000;

/// Reads one YAML document the way CloudFormation reads a template (see the module documentation).
/// An empty stream is `null`.
pub fn parse(text: &str) -> Result<Value, YamlError> {
    let mut reader = Reader { parser: Parser::new_from_str(text), anchors: HashMap::new(), made: 0 };
    reader.document()
}

struct Reader<'a> {
    parser: Parser<std::str::Chars<'a>>,
    /// Anchored values by anchor id, with how many values each holds (for [`MAX_EXPANDED`]).
    anchors: HashMap<usize, (Value, usize)>,
    /// Values made so far, aliases counted at their full size.
    made: usize,
}

impl Reader<'_> {
    fn next(&mut self) -> Result<(Event, Marker), YamlError> {
        Ok(self.parser.next_token()?)
    }

    fn document(&mut self) -> Result<Value, YamlError> {
        let mut value = Value::Null;
        let mut documents = 0;
        loop {
            let (event, mark) = self.next()?;
            match event {
                Event::StreamEnd => return Ok(value),
                Event::DocumentStart => {
                    documents += 1;
                    if documents > 1 {
                        return Err(YamlError::at(
                            mark,
                            "a second YAML document starts here; a CloudFormation template is one document",
                        ));
                    }
                    let (event, mark) = self.next()?;
                    value = self.node(event, mark, 0)?;
                }
                _ => {}
            }
        }
    }

    fn node(&mut self, event: Event, mark: Marker, depth: usize) -> Result<Value, YamlError> {
        if depth > MAX_DEPTH {
            return Err(YamlError::at(mark, format!("nested more than {MAX_DEPTH} levels deep")));
        }
        let before = self.made;
        self.made += 1;
        let (value, anchor) = match event {
            Event::Alias(id) => {
                let (value, size) =
                    self.anchors.get(&id).ok_or_else(|| YamlError::at(mark, "an alias of a node that contains it"))?;
                self.made += size;
                if self.made > MAX_EXPANDED {
                    return Err(YamlError::at(
                        mark,
                        format!("aliases expand to more than {MAX_EXPANDED} values; expand them in the file"),
                    ));
                }
                return Ok(value.clone());
            }
            Event::Scalar(text, style, anchor, tag) => (scalar(text, style, tag.as_ref(), mark)?, anchor),
            Event::SequenceStart(anchor, tag) => {
                let mut items = Vec::new();
                loop {
                    let (event, mark) = self.next()?;
                    if event == Event::SequenceEnd {
                        break;
                    }
                    items.push(self.node(event, mark, depth + 1)?);
                }
                (tagged(Value::Array(items), tag.as_ref(), mark)?, anchor)
            }
            Event::MappingStart(anchor, tag) => {
                let mut map = Map::new();
                loop {
                    let (event, key_mark) = self.next()?;
                    if event == Event::MappingEnd {
                        break;
                    }
                    let key = self.key(event, key_mark, depth + 1)?;
                    let (event, mark) = self.next()?;
                    let value = self.node(event, mark, depth + 1)?;
                    if map.contains_key(&key) {
                        return Err(YamlError::at(
                            key_mark,
                            format!("the key `{key}` appears twice in one mapping; keep one of them"),
                        ));
                    }
                    map.insert(key, value);
                }
                (tagged(Value::Object(map), tag.as_ref(), mark)?, anchor)
            }
            other => return Err(YamlError::at(mark, format!("unexpected YAML event {other:?}"))),
        };
        if anchor > 0 {
            self.anchors.insert(anchor, (value.clone(), self.made - before));
        }
        Ok(value)
    }
}

impl Reader<'_> {
    /// A mapping key. A scalar key is the text as written (after `!` or `!!str`, if any): keys are
    /// names (logical IDs, properties, mapping keys) and CloudFormation's JSON form has only string
    /// keys, so `Y:` or `NO:` stay those names rather than become `true` and `false`. Any other key
    /// (a short form, a collection) is its JSON text, which CloudFormation would refuse.
    fn key(&mut self, event: Event, mark: Marker, depth: usize) -> Result<String, YamlError> {
        if let Event::Scalar(text, _, anchor, tag) = &event
            && matches!(kind(tag.as_ref(), mark)?, Kind::Untagged | Kind::NonSpecific | Kind::Str)
        {
            if *anchor > 0 {
                self.anchors.insert(*anchor, (Value::String(text.clone()), 1));
            }
            return Ok(text.clone());
        }
        Ok(key_string(self.node(event, mark, depth)?))
    }
}

/// What a tag asks for.
enum Kind<'t> {
    /// No tag, or YAML's own type tag for the node's kind.
    Untagged,
    /// `!`: a scalar is a string, a collection itself.
    NonSpecific,
    /// `!!str`, `!!binary`, `!!timestamp`: a string as written.
    Str,
    /// `!!int`, `!!float`, `!!bool`, `!!null`: resolved as a plain scalar would be.
    Resolved,
    /// `!Name`: a CloudFormation short form.
    Short(&'t str),
}

fn kind<'t>(tag: Option<&'t Tag>, mark: Marker) -> Result<Kind<'t>, YamlError> {
    let Some(tag) = tag else { return Ok(Kind::Untagged) };
    Ok(match (tag.handle.as_str(), tag.suffix.as_str()) {
        ("", "!") => Kind::NonSpecific,
        ("!", name) => Kind::Short(name),
        ("tag:yaml.org,2002:", "str" | "binary" | "timestamp") => Kind::Str,
        ("tag:yaml.org,2002:", "int" | "float" | "bool" | "null") => Kind::Resolved,
        ("tag:yaml.org,2002:", _) => Kind::Untagged,
        (handle, suffix) => {
            return Err(YamlError::at(
                mark,
                format!(
                    "the tag `{handle}{suffix}` is not one CloudFormation reads; use its short forms (`!Ref`, `!Sub`, ...)"
                ),
            ));
        }
    })
}

fn scalar(text: String, style: TScalarStyle, tag: Option<&Tag>, mark: Marker) -> Result<Value, YamlError> {
    Ok(match kind(tag, mark)? {
        Kind::Untagged if style == TScalarStyle::Plain => resolve_plain(text),
        Kind::Resolved => resolve_plain(text),
        Kind::Untagged | Kind::NonSpecific | Kind::Str => Value::String(text),
        Kind::Short(name) => short_form(name, Value::String(text)),
    })
}

fn tagged(value: Value, tag: Option<&Tag>, mark: Marker) -> Result<Value, YamlError> {
    Ok(match kind(tag, mark)? {
        Kind::Short(name) => short_form(name, value),
        _ => value,
    })
}

/// `!Name value` in its long form.
fn short_form(name: &str, value: Value) -> Value {
    let key = match name {
        "Ref" | "Condition" => name.to_string(),
        _ => format!("Fn::{name}"),
    };
    let mut out = Map::with_capacity(1);
    out.insert(key, value);
    Value::Object(out)
}

/// A mapping key as the string CloudFormation sees.
pub(super) fn key_string(key: Value) -> String {
    match key {
        Value::String(s) => s,
        other => other.to_string(),
    }
}

/// A plain scalar by YAML 1.1's rules.
pub fn resolve_plain(text: String) -> Value {
    match text.as_str() {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        // Not `y`/`n`: CloudFormation reads those as strings.
        "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "true" | "True" | "TRUE" => return Value::Bool(true),
        "no" | "No" | "NO" | "off" | "Off" | "OFF" | "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    match number(&text) {
        Some(n) => Value::Number(n),
        None => Value::String(text),
    }
}

/// A YAML 1.1 integer or float, if `text` is one that JSON can hold.
fn number(text: &str) -> Option<Number> {
    // Most strings in a template start with a letter: decide those without looking further.
    let first = *text.as_bytes().first()?;
    if !(first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.')) {
        return None;
    }
    let (negative, body) = match text.as_bytes()[0] {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let digits = |s: &str, radix: u32| -> bool {
        s.bytes().any(|b| b != b'_') && s.chars().all(|c| c == '_' || c.is_digit(radix))
    };
    let integer = |s: &str, radix: u32| -> Option<Number> {
        let clean: String = s.chars().filter(|c| *c != '_').collect();
        let magnitude = u128::from_str_radix(&clean, radix).ok()?;
        signed(negative, magnitude)
    };
    if let Some(rest) = body.strip_prefix("0b") {
        return digits(rest, 2).then(|| integer(rest, 2)).flatten();
    }
    if let Some(rest) = body.strip_prefix("0x") {
        return digits(rest, 16).then(|| integer(rest, 16)).flatten();
    }
    if body.contains(':') {
        return sexagesimal(negative, body);
    }
    if body.len() > 1 && body.starts_with('0') && digits(body, 8) {
        return integer(body, 8);
    }
    if body == "0" || (body.starts_with(|c: char| c.is_ascii_digit() && c != '0') && digits(body, 10)) {
        let clean: String = body.chars().filter(|c| *c != '_').collect();
        return match clean.parse::<u128>() {
            Ok(m) => signed(negative, m),
            // Too large for any integer JSON holds: a float, as serde_json reads such a number.
            Err(_) => float(negative, &clean),
        };
    }
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (whole, fraction) = mantissa.split_once('.')?;
    let whole_ok = whole.is_empty() || (whole.starts_with(|c: char| c.is_ascii_digit()) && digits(whole, 10));
    let fraction_ok = fraction.chars().all(|c| c == '_' || c.is_ascii_digit());
    let has_digit = mantissa.bytes().any(|b| b.is_ascii_digit());
    // YAML 1.1 writes an exponent with its sign: `1.5e+3`, not `1.5e3`.
    let exponent_ok = exponent.is_none_or(|e| {
        e.len() > 1 && matches!(e.as_bytes()[0], b'+' | b'-') && e[1..].bytes().all(|b| b.is_ascii_digit())
    });
    if !(whole_ok && fraction_ok && has_digit && exponent_ok) || (whole.is_empty() && fraction.is_empty()) {
        return None;
    }
    float(negative, &body.replace('_', ""))
}

fn signed(negative: bool, magnitude: u128) -> Option<Number> {
    if negative {
        i64::try_from(magnitude)
            .ok()
            .map(|m| Number::from(-m))
            .or_else(|| (magnitude == 1u128 << 63).then(|| Number::from(i64::MIN)))
    } else {
        u64::try_from(magnitude).ok().map(Number::from)
    }
}

fn float(negative: bool, clean: &str) -> Option<Number> {
    let v: f64 = clean.parse().ok()?;
    Number::from_f64(if negative { -v } else { v })
}

/// Base 60: `[1-9][0-9_]*(:[0-5]?[0-9])+` for integers, `[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*` for
/// floats.
fn sexagesimal(negative: bool, body: &str) -> Option<Number> {
    let (int_part, fraction) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    let mut parts = int_part.split(':');
    let head = parts.next()?;
    let head_ok = head.bytes().any(|b| b.is_ascii_digit())
        && head.bytes().all(|b| b == b'_' || b.is_ascii_digit())
        && head.starts_with(|c: char| c.is_ascii_digit())
        && (fraction.is_some() || !head.starts_with('0'));
    if !head_ok {
        return None;
    }
    let mut total: u128 = head.replace('_', "").parse().ok()?;
    for part in parts {
        let ok = matches!(part.len(), 1 | 2)
            && part.bytes().all(|b| b.is_ascii_digit())
            && (part.len() == 1 || part.as_bytes()[0] <= b'5');
        if !ok {
            return None;
        }
        total = total.checked_mul(60)?.checked_add(part.parse::<u128>().ok()?)?;
    }
    match fraction {
        None => signed(negative, total),
        Some(f) if f.bytes().all(|b| b == b'_' || b.is_ascii_digit()) => {
            let f = f.replace('_', "");
            let fraction: f64 = if f.is_empty() { 0.0 } else { format!("0.{f}").parse().ok()? };
            float(negative, &(total as f64 + fraction).to_string())
        }
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn plain(s: &str) -> Value {
        resolve_plain(s.to_string())
    }

    #[test]
    fn yaml_1_1_booleans_and_nulls() {
        for t in ["yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE"] {
            assert_eq!(plain(t), json!(true), "{t}");
        }
        for f in ["no", "No", "NO", "off", "Off", "OFF", "false", "False", "FALSE"] {
            assert_eq!(plain(f), json!(false), "{f}");
        }
        for s in ["y", "Y", "n", "N", "yEs", "oN", "tRUE", "yes please", "nope"] {
            assert_eq!(plain(s), json!(s), "a string to CloudFormation: {s}");
        }
        for n in ["", "~", "null", "Null", "NULL"] {
            assert_eq!(plain(n), Value::Null, "{n:?}");
        }
    }

    #[test]
    fn yaml_1_1_integers() {
        let cases = [
            ("0", json!(0)),
            ("-0", json!(0)),
            ("+12", json!(12)),
            ("1_000", json!(1000)),
            ("017", json!(15)),
            ("-017", json!(-15)),
            ("0b1010", json!(10)),
            ("0x1F", json!(31)),
            ("-0x1f", json!(-31)),
            ("1:30", json!(90)),
            ("190:20:30", json!(685_230)),
            ("-1:00", json!(-60)),
            ("9223372036854775807", json!(i64::MAX)),
            ("-9223372036854775808", json!(i64::MIN)),
            ("18446744073709551615", json!(u64::MAX)),
        ];
        for (text, want) in cases {
            assert_eq!(plain(text), want, "{text}");
        }
        // Not integers in YAML 1.1: they stay strings.
        for s in ["08", "0o17", "0b", "0x", "0b102", "1:60", "01:30", "1::2", "12-34", "1,000", "0x1G", "--1"] {
            assert_eq!(plain(s), json!(s), "{s}");
        }
    }

    #[test]
    fn yaml_1_1_floats() {
        let cases = [
            ("1.5", 1.5),
            ("-1.5", -1.5),
            (".5", 0.5),
            ("1.", 1.0),
            ("1_000.5", 1000.5),
            ("1.5e+3", 1500.0),
            ("1.5E-1", 0.15),
            ("1:30.5", 90.5),
            ("190:20:30.15", 685_230.15),
        ];
        for (text, want) in cases {
            assert_eq!(plain(text).as_f64(), Some(want), "{text}");
        }
        for s in ["1e3", "1.5e3", ".", "-.", "1.2.3", "1.5e", ".inf", "-.inf", ".nan", "2010-09-09", "10.0.0.0/16"] {
            assert_eq!(plain(s), json!(s), "{s}");
        }
    }

    #[test]
    fn quoted_and_block_scalars_are_strings() {
        let v = parse("a: 'yes'\nb: \"on\"\nc: |\n  017\nd: >\n  1:30\ne: yes\n").unwrap();
        assert_eq!(v, json!({"a": "yes", "b": "on", "c": "017\n", "d": "1:30\n", "e": true}));
    }

    #[test]
    fn short_forms_and_their_arguments() {
        let v = parse("a: !GetAZs\nb: !Select [0, !GetAZs]\nc: !Ref yes\nd: !Sub\n  - ${X}\n  - X: !Ref Y\n").unwrap();
        assert_eq!(
            v,
            json!({"a": {"Fn::GetAZs": ""}, "b": {"Fn::Select": [0, {"Fn::GetAZs": ""}]}, "c": {"Ref": "yes"},
                   "d": {"Fn::Sub": ["${X}", {"X": {"Ref": "Y"}}]}})
        );
    }

    #[test]
    fn the_non_specific_tag_only_stops_resolution() {
        let v = parse("a: ! yes\nb: !\n  \"Ref\": X\nc: ! {\"Fn::GetAtt\": [A, B]}\nd:\n  - ! \"Ref\": X\n").unwrap();
        assert_eq!(v, json!({"a": "yes", "b": {"Ref": "X"}, "c": {"Fn::GetAtt": ["A", "B"]}, "d": [{"Ref": "X"}]}));
    }

    #[test]
    fn yaml_type_tags_keys_and_anchors() {
        let v = parse("a: !!str 017\nb: !!int '017'\nyes: 1\n017: x\nY: !Ref N\nc: &x [1, 2]\nd: *x\n").unwrap();
        assert_eq!(v, json!({"a": "017", "b": 15, "yes": 1, "017": "x", "Y": {"Ref": "N"}, "c": [1, 2], "d": [1, 2]}));
    }

    #[test]
    fn what_cannot_be_read_is_a_clear_error() {
        let e = parse("a: 1\na: 2\n").unwrap_err();
        assert_eq!((e.line, e.column), (2, 1));
        assert!(e.to_string().contains("the key `a` appears twice"), "{e}");
        let e = parse("a: 1\n---\nb: 2\n").unwrap_err();
        assert!(e.to_string().contains("second YAML document"), "{e}");
        let e = parse("%TAG !e! tag:example.com,2000:\n---\na: !e!x 1\n").unwrap_err();
        assert!(e.to_string().contains("not one CloudFormation reads"), "{e}");
        let e = parse(&format!("{}1{}", "[".repeat(200), "]".repeat(200))).unwrap_err();
        assert!(e.to_string().contains("nested more than"), "{e}");
        let bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n\
                    c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n\
                    e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n";
        let e = parse(bomb).unwrap_err();
        assert!(e.to_string().contains("aliases expand to more than"), "{e}");
        assert_eq!(parse("").unwrap(), Value::Null);
    }
}
