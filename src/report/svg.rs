//! The promotion graph as SVG, drawn by slipway itself (no Mermaid or Graphviz at run time, nothing
//! fetched): each environment a box holding what runs there and how it got there, each edge an arrow
//! labelled with the gate into its target. What each box says is decided here ([`box_lines`]); where it
//! goes is [`super::layout`]'s. Text is set in a monospaced font, so a line's width is its length times a
//! fixed advance and the layout needs no font metrics; a line too long for a box is cut with `…`, and the
//! box's `<title>` (a tooltip) and the page's cards below hold every line whole.

use super::layout::{EdgeSpec, Layout, NodeSpec, layout};
use super::{escape, short_time};
use crate::ops::page::{EnvView, Evidence, Page, Waiting};
use crate::ops::status::Drift;
use crate::policy::ref_name;

/// The font size, in pixels.
pub const FONT: i32 = 13;
/// A character's advance at that size, rounded up (monospaced fonts advance 0.6 em).
pub const CHAR: i32 = 8;
/// A line's height.
pub const LINE: i32 = 18;
/// Space inside a box, around its text.
const PAD: i32 = 10;
/// The longest line a box shows whole.
pub const MAX_CHARS: usize = 46;

/// One line of a box, and how it is coloured (a class of the stylesheet: `name`, `fg`, `muted`, `ok`,
/// `bad`, `warn`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// The words.
    pub text: String,
    /// The class.
    pub class: &'static str,
}

fn line(class: &'static str, text: impl Into<String>) -> Line {
    Line { text: text.into(), class }
}

/// What `env`'s box says, top to bottom; `waiting` is every release waiting to come into it.
pub fn box_lines(env: &EnvView, waiting: &[&Waiting]) -> Vec<Line> {
    let mut out = vec![line("name", env.name.clone()), line("muted", format!("{} · {}", env.tier, env.trigger))];
    match &env.running {
        None => out.push(line("muted", "runs no release yet")),
        Some(r) => {
            let commit = r.commit.as_deref().map(|c| format!(" @ {c}")).unwrap_or_default();
            out.push(line("fg", format!("runs {}{commit}", r.release)));
            if let Some(git_ref) = &r.git_ref {
                out.push(line("muted", format!("ref {}", ref_name(git_ref))));
            }
            let from = r.from.as_deref().map(|f| format!(" from {f}")).unwrap_or_default();
            out.push(line("muted", format!("{}{from} {} by {}", r.kind, short_time(r.at), r.by)));
            out.push(if r.approvals.is_empty() {
                line("muted", "no approvals")
            } else {
                line("fg", format!("approved by {}", r.approvals.join(", ")))
            });
        }
    }
    out.extend(state_lines(env, waiting));
    out
}

/// The part of a box below who put the release there: the last change, the evidence, a freeze, a hold, a
/// lock, drift, and the releases waiting to come in.
pub fn state_lines(env: &EnvView, waiting: &[&Waiting]) -> Vec<Line> {
    let mut out = Vec::new();
    if let Some(c) = &env.last_change {
        let (class, mark) = if c.ok { ("ok", "✓") } else { ("bad", "✗") };
        out.push(line(class, format!("{mark} last: {} {}", c.what, c.outcome)));
    }
    out.push(match &env.evidence {
        Evidence::None => line("muted", "smoke: none recorded"),
        Evidence::Passed(c) => line("ok", format!("✓ smoke: passed ({})", c.join(", "))),
        Evidence::Failed(c) => line("bad", format!("✗ smoke: FAILED ({})", c.join(", "))),
        Evidence::Skipped(c) => line("warn", format!("⚠ smoke: skipped ({})", c.join(", "))),
    });
    if let Some(f) = &env.frozen {
        out.push(line("warn", format!("⚠ frozen: {f}")));
    }
    if let Some(h) = &env.held {
        out.push(line("warn", format!("⚠ held: {h}")));
    }
    if let Some(l) = &env.lock {
        out.push(line("warn", format!("⚠ locked: {l}")));
    }
    out.push(match &env.drift {
        Drift::None => line("ok", "✓ drift: none"),
        Drift::Drifted(s) => line(
            "bad",
            format!("✗ drift: DRIFTED {}", s.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", ")),
        ),
        Drift::NotChecked(why) => line("muted", format!("drift: not checked: {why}")),
    });
    for w in waiting {
        out.extend(waiting_lines(w));
    }
    out
}

/// A release waiting at the gate into its target: when it may go, and what holds it.
pub fn waiting_lines(w: &Waiting) -> Vec<Line> {
    if w.gates.is_empty() {
        return vec![line("ok", format!("→ {} from {} may go now", w.release, w.from))];
    }
    let rules: Vec<&str> = w.gates.iter().map(|g| g.rule.as_str()).collect();
    let wait = w.gates.iter().find(|g| g.rule == "wait").and_then(|g| g.until);
    let first = match wait {
        Some(at) => format!("→ {} from {} may go at {}", w.release, w.from, short_time(at)),
        None => format!("→ {} from {} is held", w.release, w.from),
    };
    vec![line("warn", first), line("warn", format!("  gates: {}", rules.join(", ")))]
}

fn cut(text: &str) -> String {
    if text.chars().count() <= MAX_CHARS {
        return text.to_string();
    }
    let mut s: String = text.chars().take(MAX_CHARS - 1).collect();
    s.push('…');
    s
}

fn width_of(text: &str) -> i32 {
    cut(text).chars().count() as i32 * CHAR
}

/// Every environment's lines, in page order.
fn all_lines(page: &Page) -> Vec<Vec<Line>> {
    page.environments
        .iter()
        .map(|e| {
            let waiting: Vec<&Waiting> = page.waiting.iter().filter(|w| w.to == e.name).collect();
            box_lines(e, &waiting)
        })
        .collect()
}

/// Where everything of the page's graph goes.
pub fn graph_layout(page: &Page) -> Layout {
    let nodes: Vec<NodeSpec> = page
        .environments
        .iter()
        .zip(all_lines(page))
        .map(|(e, lines)| NodeSpec {
            id: e.name.clone(),
            width: lines.iter().map(|l| width_of(&l.text)).max().unwrap_or(0) + 2 * PAD,
            height: lines.len() as i32 * LINE + 2 * PAD,
        })
        .collect();
    let edges: Vec<EdgeSpec> = page
        .edges
        .iter()
        .map(|e| EdgeSpec {
            from: e.from.clone(),
            to: e.to.clone(),
            label_width: width_of(&e.gate) + 2 * 6,
            label_height: LINE + 6,
        })
        .collect();
    layout(&nodes, &edges)
}

/// What the graph shows, in words, for the SVG's description (what a screen reader says).
fn description(page: &Page) -> String {
    let mut parts: Vec<String> = page
        .environments
        .iter()
        .map(|e| match &e.running {
            Some(r) => format!("{} runs {}", e.name, r.release),
            None => format!("{} runs nothing yet", e.name),
        })
        .collect();
    parts.extend(page.edges.iter().map(|e| format!("{} is promoted to {} ({})", e.from, e.to, e.gate)));
    parts.join("; ")
}

/// The graph as an SVG element, to be put inline in the page.
pub fn svg(page: &Page) -> String {
    let l = graph_layout(page);
    let lines = all_lines(page);
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"graph\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" \
         role=\"img\" aria-labelledby=\"graph-title graph-desc\">\n<title id=\"graph-title\">Promotion graph of {p}</title>\n\
         <desc id=\"graph-desc\">{d}</desc>\n",
        w = l.width,
        h = l.height,
        p = escape(&page.project),
        d = escape(&description(page)),
    );
    out.push_str(
        "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"8\" markerHeight=\"8\" \
         orient=\"auto\"><path class=\"arrowhead\" d=\"M0,0L10,5L0,10z\"/></marker></defs>\n<g class=\"edges\">\n",
    );
    for e in &l.edges {
        let d: Vec<String> = e
            .points
            .iter()
            .enumerate()
            .map(|(i, (x, y))| format!("{}{x},{y}", if i == 0 { "M" } else { "L" }))
            .collect();
        out.push_str(&format!(
            "<path class=\"edge\" d=\"{}\" marker-end=\"url(#arrow)\"><title>{} to {}</title></path>\n",
            d.join(""),
            escape(&e.from),
            escape(&e.to)
        ));
    }
    out.push_str("</g>\n<g class=\"labels\">\n");
    for (e, spec) in l.edges.iter().zip(&page.edges) {
        let r = e.label;
        out.push_str(&format!(
            "<g class=\"label\"><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"4\"/><text x=\"{}\" y=\"{}\">{}</text></g>\n",
            r.x,
            r.y,
            r.w,
            r.h,
            r.x + 6,
            r.y + r.h / 2 + FONT / 2 - 2,
            escape(&cut(&spec.gate))
        ));
    }
    out.push_str("</g>\n<g class=\"boxes\">\n");
    for ((placed, env), lines) in l.boxes.iter().zip(&page.environments).zip(&lines) {
        let r = placed.rect;
        let tooltip: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
        out.push_str(&format!(
            "<g class=\"env\" id=\"box-{}\"><title>{}</title><rect class=\"box\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"6\"/>\n",
            escape(&env.name),
            escape(&tooltip.join("\n")),
            r.x,
            r.y,
            r.w,
            r.h
        ));
        for (i, line) in lines.iter().enumerate() {
            out.push_str(&format!(
                "<text class=\"{}\" x=\"{}\" y=\"{}\">{}</text>\n",
                line.class,
                r.x + PAD,
                r.y + PAD + i as i32 * LINE + FONT,
                escape(&cut(&line.text))
            ));
        }
        out.push_str("</g>\n");
    }
    out.push_str("</g>\n</svg>");
    out
}
