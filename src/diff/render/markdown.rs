//! The Markdown rendering, ready to post as a pull-request comment: a section per environment (or pair
//! of paths) and stack (or template), security changes first, resources as a table, long property diffs and file diffs folded in
//! `<details>` so the comment stays readable.

use std::io::{self, Write};

use super::super::security::describe;
use super::super::template::EntryChange;
use super::super::value::show;
use super::super::{Change, Diff, Impact};
use super::{tally, why};

/// Property tables longer than this are folded.
const FOLD_ROWS: usize = 5;

/// A table cell as inline code, with what would break the table escaped.
fn code(s: &str) -> String {
    if s.is_empty() {
        return String::new();
    }
    let s = s.replace('|', "\\|").replace('\n', " ");
    if s.contains('`') { format!("`` {s} ``") } else { format!("`{s}`") }
}

fn value(v: &Option<serde_json::Value>) -> String {
    v.as_ref().map(|v| code(&show(v))).unwrap_or_else(|| "—".into())
}

/// `environment` as a heading says it: `Environment`.
fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

fn sign(c: Change) -> &'static str {
    match c {
        Change::Added => "➕",
        Change::Removed => "➖",
        Change::Modified => "✏️",
    }
}

fn impact(i: Impact) -> String {
    match i {
        Impact::Replace | Impact::Destroy => format!("**{}** ⚠️", i.as_str()),
        Impact::MayReplace | Impact::Orphan => format!("**{}**", i.as_str()),
        _ => i.as_str().to_string(),
    }
}

fn entries(w: &mut dyn Write, title: &str, list: &[EntryChange]) -> io::Result<()> {
    if list.is_empty() {
        return Ok(());
    }
    writeln!(w, "**{title}**\n\n| | Name | Old | New |\n|---|---|---|---|")?;
    for e in list {
        writeln!(w, "| {} | {} | {} | {} |", sign(e.change), code(&e.id), value(&e.old), value(&e.new))?;
    }
    writeln!(w)
}

pub(super) fn render(diff: &Diff, w: &mut dyn Write) -> io::Result<()> {
    if diff.is_empty() {
        return writeln!(w, "## slipway diff\n\nNo differences.");
    }
    let tally = tally(diff);
    writeln!(w, "## slipway diff\n")?;
    if !tally.is_empty() {
        writeln!(w, "Resources: {tally}.\n")?;
    }
    for env in &diff.environments {
        writeln!(w, "### {} `{}`\n", capitalized(diff.subject.group()), env.name)?;
        if env.is_empty() {
            writeln!(w, "No differences.\n")?;
            continue;
        }
        for stack in &env.stacks {
            let t = &stack.template;
            let worst = t.worst().map(|i| format!(" — worst impact: {}", impact(i))).unwrap_or_default();
            let noun = capitalized(diff.subject.stack());
            writeln!(w, "#### {noun} `{}` ({}){worst}\n", stack.name, stack.change.as_str())?;
            if !t.security.is_empty() {
                writeln!(w, "**Security changes**\n\n| | Resource | Where | What | Broadens |\n|---|---|---|---|---|")?;
                for s in &t.security {
                    let broadens = if s.broadens {
                        let mut b = "⚠️ yes".to_string();
                        if !s.reasons.is_empty() {
                            b.push_str(": ");
                            b.push_str(&s.reasons.join("; ").replace('|', "\\|"));
                        }
                        b
                    } else {
                        "no".into()
                    };
                    writeln!(
                        w,
                        "| {} | {} | {} | {} | {broadens} |",
                        sign(s.change),
                        code(&s.logical_id),
                        code(&s.source),
                        code(&describe(&s.item))
                    )?;
                }
                writeln!(w)?;
            }
            if !t.resources.is_empty() {
                writeln!(w, "**Resources**\n\n| | Logical ID | Type | Impact |\n|---|---|---|---|")?;
                for r in &t.resources {
                    let kind = match &r.old_kind {
                        Some(old) => format!("{} → {}", code(old), code(&r.kind)),
                        None => code(&r.kind),
                    };
                    let source = if r.from_change_set { " (CloudFormation's verdict)" } else { "" };
                    writeln!(
                        w,
                        "| {} | {} | {kind} | {}{source} |",
                        sign(r.change),
                        code(&r.logical_id),
                        impact(r.impact)
                    )?;
                }
                writeln!(w)?;
                let rows: Vec<String> = t
                    .resources
                    .iter()
                    .flat_map(|r| {
                        r.properties.iter().map(move |p| {
                            let because = why(p).map(|y| format!(" ({})", y.replace('|', "\\|"))).unwrap_or_default();
                            format!(
                                "| {} | {} | {} | {} | {}{because} |",
                                code(&r.logical_id),
                                code(&p.path),
                                value(&p.old),
                                value(&p.new),
                                impact(p.impact)
                            )
                        })
                    })
                    .collect();
                if !rows.is_empty() {
                    let fold = rows.len() > FOLD_ROWS;
                    if fold {
                        writeln!(w, "<details><summary>Property changes ({})</summary>\n", rows.len())?;
                    } else {
                        writeln!(w, "**Property changes**\n")?;
                    }
                    writeln!(w, "| Resource | Path | Old | New | Impact |\n|---|---|---|---|---|")?;
                    for row in rows {
                        writeln!(w, "{row}")?;
                    }
                    writeln!(w)?;
                    if fold {
                        writeln!(w, "</details>\n")?;
                    }
                }
            }
            entries(w, "Parameters", &t.parameters)?;
            entries(w, "Conditions", &t.conditions)?;
            entries(w, "Mappings", &t.mappings)?;
            entries(w, "Outputs", &t.outputs)?;
            entries(w, "Other changes", &t.other)?;
        }
        for f in &env.files {
            writeln!(w, "#### File `{}` ({})\n", f.path, f.change.as_str())?;
            for line in &f.summary {
                writeln!(w, "- {line}")?;
            }
            if !f.summary.is_empty() {
                writeln!(w)?;
            }
            let fence = if f.unified.contains("```") { "````" } else { "```" };
            writeln!(
                w,
                "<details><summary>Unified diff</summary>\n\n{fence}diff\n{}{fence}\n\n</details>\n",
                f.unified
            )?;
        }
    }
    Ok(())
}
