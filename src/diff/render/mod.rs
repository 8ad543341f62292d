//! Renderers of a [`Diff`]: terminal text, Markdown for a pull-request comment, and JSON for machines.
//! All three read the same value; none computes anything the others could not show.

mod json;
mod markdown;
mod text;

use std::io::{self, Write};

use super::template::{Cause, PropertyChange};
use super::{Diff, Impact};

pub use json::{to_json, to_json_string};

/// How to render.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// For a terminal or a CI log.
    Text,
    /// For a pull-request comment.
    Markdown,
    /// For machines: a stable, documented shape (see the README).
    Json,
}

/// Writes `diff` in `format`; `color` applies to text only (ANSI escapes).
pub fn render(diff: &Diff, format: Format, color: bool, w: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Text => text::render(diff, color, w),
        Format::Markdown => markdown::render(diff, w),
        Format::Json => w.write_all(to_json_string(diff).as_bytes()),
    }
}

/// One stack's differences as terminal text (what a deploy shows before it executes a change set).
pub fn stack_text(stack: &super::StackDiff, color: bool) -> String {
    let mut out = Vec::new();
    text::render_stack(stack, "stack", &text::Paint { on: color }, &mut out).expect("writing to a Vec cannot fail");
    String::from_utf8(out).expect("the text renderer writes UTF-8")
}

/// Why a property has its impact, for people; `None` for a plain in-place update.
fn why(p: &PropertyChange) -> Option<String> {
    match &p.cause {
        Cause::Value => None,
        Cause::CreateOnly(path) => Some(format!("`{path}` is createOnly")),
        Cause::ConditionalCreateOnly(path) => {
            Some(format!("`{path}` is conditionalCreateOnly: replaced if the change cannot be made in place"))
        }
        Cause::UpdatePolicy(path) => {
            Some(format!("`{path}` changed and the UpdatePolicy's AutoScalingReplacingUpdate says WillReplace: true"))
        }
        Cause::TypeChange => Some("the type changed".into()),
        Cause::UnknownType => Some("no facts about this type".into()),
        Cause::LoopCollection => Some(
            match p.impact {
                Impact::Destroy => "the loop no longer makes the resources of the items removed",
                Impact::Create => "the loop makes resources for the items added",
                Impact::MayReplace => "the loop may make other resources: its items are known only at deploy time",
                _ => "the loop makes the same resources",
            }
            .into(),
        ),
        Cause::Reference { target, by_ref, target_impact } => Some(format!(
            "unchanged text, new value: {} `{target}`, which {}",
            if *by_ref { "refers to" } else { "reads an attribute of" },
            if *target_impact == Impact::Replace { "is replaced" } else { "may be replaced" }
        )),
    }
}

/// Counts of resources by impact, worst first: `2 replace, 1 update`.
fn tally(diff: &Diff) -> String {
    let mut counts = std::collections::BTreeMap::<Impact, usize>::new();
    for r in diff.environments.iter().flat_map(|e| &e.stacks).flat_map(|s| &s.template.resources) {
        *counts.entry(r.impact).or_default() += 1;
    }
    counts.iter().rev().map(|(i, n)| format!("{n} {}", i.as_str())).collect::<Vec<_>>().join(", ")
}
