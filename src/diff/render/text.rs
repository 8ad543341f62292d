//! The terminal rendering: one block per environment (or pair of paths) and stack (or template), security first, a line per resource
//! and an indented line per changed path. Colour only when asked (the CLI asks on a terminal without
//! `NO_COLOR`).

use std::io::{self, Write};

use super::super::security::describe;
use super::super::template::EntryChange;
use super::super::value::show;
use super::super::{Change, Diff, Impact, StackDiff};
use super::{tally, why};

pub(super) struct Paint {
    pub(super) on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, s: &str) -> String {
        if self.on { format!("\x1b[{code}m{s}\x1b[0m") } else { s.to_string() }
    }
    fn change(&self, c: Change) -> String {
        match c {
            Change::Added => self.wrap("32", "[+]"),
            Change::Removed => self.wrap("31", "[-]"),
            Change::Modified => self.wrap("33", "[~]"),
        }
    }
    fn impact(&self, i: Impact) -> String {
        match i {
            Impact::Replace | Impact::Destroy => self.wrap("1;31", i.as_str()),
            Impact::MayReplace | Impact::Orphan => self.wrap("33", i.as_str()),
            _ => i.as_str().to_string(),
        }
    }
    fn bold(&self, s: &str) -> String {
        self.wrap("1", s)
    }
}

fn value(v: &Option<serde_json::Value>) -> String {
    v.as_ref().map(show).unwrap_or_else(|| "(absent)".into())
}

fn entries(w: &mut dyn Write, p: &Paint, title: &str, list: &[EntryChange]) -> io::Result<()> {
    if list.is_empty() {
        return Ok(());
    }
    writeln!(w, "    {title}")?;
    for e in list {
        match e.change {
            Change::Added => writeln!(w, "      {} {}: {}", p.change(e.change), e.id, value(&e.new))?,
            Change::Removed => writeln!(w, "      {} {}: {}", p.change(e.change), e.id, value(&e.old))?,
            Change::Modified => {
                writeln!(w, "      {} {}: {} → {}", p.change(e.change), e.id, value(&e.old), value(&e.new))?
            }
        }
    }
    Ok(())
}

/// One stack's block: its heading, security changes first, then resources with their changed paths,
/// then the other sections.
pub(super) fn render_stack(stack: &StackDiff, noun: &str, p: &Paint, w: &mut dyn Write) -> io::Result<()> {
    let t = &stack.template;
    let worst = t.worst().map(|i| format!(", worst impact {}", p.impact(i))).unwrap_or_default();
    writeln!(w, "  {} {noun} {} ({}{worst})", p.change(stack.change), p.bold(&stack.name), stack.change.as_str())?;
    if !t.security.is_empty() {
        writeln!(w, "    security")?;
        for s in &t.security {
            let flag = if s.broadens { format!(" {}", p.wrap("1;31", "BROADENS")) } else { String::new() };
            writeln!(w, "      {}{flag} {} {}: {}", p.change(s.change), s.logical_id, s.source, describe(&s.item))?;
            for r in &s.reasons {
                writeln!(w, "          ! {r}")?;
            }
        }
    }
    if !t.resources.is_empty() {
        writeln!(w, "    resources")?;
        for r in &t.resources {
            let kind = match &r.old_kind {
                Some(old) => format!("{old} → {}", r.kind),
                None => r.kind.clone(),
            };
            let source = if r.from_change_set { " (CloudFormation's verdict)" } else { "" };
            writeln!(w, "      {} {} {kind}: {}{source}", p.change(r.change), r.logical_id, p.impact(r.impact))?;
            for (i, c) in r.properties.iter().enumerate() {
                let branch = if i + 1 == r.properties.len() { "└─" } else { "├─" };
                let because = why(c).map(|y| format!(" ({y})")).unwrap_or_default();
                writeln!(
                    w,
                    "          {branch} {}: {} → {} [{}]{because}",
                    c.path,
                    value(&c.old),
                    value(&c.new),
                    p.impact(c.impact)
                )?;
            }
        }
    }
    entries(w, p, "parameters", &t.parameters)?;
    entries(w, p, "conditions", &t.conditions)?;
    entries(w, p, "mappings", &t.mappings)?;
    entries(w, p, "outputs", &t.outputs)?;
    entries(w, p, "other changes", &t.other)?;
    Ok(())
}

pub(super) fn render(diff: &Diff, color: bool, w: &mut dyn Write) -> io::Result<()> {
    let p = Paint { on: color };
    if diff.is_empty() {
        let names: Vec<&str> = diff.environments.iter().map(|e| e.name.as_str()).collect();
        return writeln!(
            w,
            "no differences ({})",
            if names.is_empty() { "nothing compared".into() } else { names.join(", ") }
        );
    }
    for env in &diff.environments {
        if env.is_empty() {
            writeln!(w, "{}: no differences", p.bold(&format!("{} {}", diff.subject.group(), env.name)))?;
            continue;
        }
        writeln!(w, "{}", p.bold(&format!("{} {}", diff.subject.group(), env.name)))?;
        for stack in &env.stacks {
            render_stack(stack, diff.subject.stack(), &p, w)?;
        }
        for f in &env.files {
            writeln!(w, "  {} file {} ({})", p.change(f.change), p.bold(&f.path), f.change.as_str())?;
            for line in &f.summary {
                writeln!(w, "    {line}")?;
            }
            for line in f.unified.lines() {
                let painted = if line.starts_with("+++") || line.starts_with("---") {
                    p.bold(line)
                } else if line.starts_with('+') {
                    p.wrap("32", line)
                } else if line.starts_with('-') {
                    p.wrap("31", line)
                } else if line.starts_with("@@") {
                    p.wrap("36", line)
                } else {
                    line.to_string()
                };
                writeln!(w, "    {painted}")?;
            }
        }
    }
    let tally = tally(diff);
    if !tally.is_empty() {
        writeln!(w, "resources: {tally}")?;
    }
    Ok(())
}
