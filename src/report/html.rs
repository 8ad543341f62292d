//! The status page as one self-contained HTML file: the graph ([`super::svg`]), a card per environment
//! saying in words what its box says, the releases waiting at a gate, and the ledger's history as a table
//! with a link to each CI run. Nothing is fetched: no script, font, stylesheet or image from anywhere, and a
//! Content-Security-Policy of `default-src 'none'` (the one inline stylesheet allowed by its hash) makes the
//! browser refuse anything that would be, so the page opens the same from a file and from GitHub Pages.
//!
//! It reads on a phone (cards in a grid that folds to one column, the graph and the table scroll sideways
//! in their own frames) and in dark mode (`prefers-color-scheme`, colours from [`super::palette`], whose
//! contrast is tested). Pure: the same page data gives the same bytes.

use sha2::{Digest, Sha256};

use super::palette::PALETTE;
use super::svg::{state_lines, svg, waiting_lines};
use super::{escape, short_time};
use crate::ops::page::{EnvView, HistoryRow, Page, Waiting};

/// The stylesheet, less the colours (which [`PALETTE`] writes in front of it).
const STYLE: &str = "\
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,-apple-system,\"Segoe UI\",Roboto,sans-serif}
header,main,footer{max-width:80rem;margin:0 auto;padding:0 1rem}
h1{font-size:1.6rem;margin:1.2rem 0 .2rem}
h2{font-size:1.25rem;margin:2rem 0 .6rem}
h3{font-size:1.05rem;margin:0 0 .4rem}
p{margin:.3rem 0}
a{color:var(--link)}
.muted{color:var(--muted)}
.ok{color:var(--ok)}
.bad{color:var(--bad)}
.warn{color:var(--warn)}
figure{margin:0}
.frame{overflow-x:auto;border:1px solid var(--line);border-radius:6px;background:var(--bg);-webkit-overflow-scrolling:touch}
svg.graph{display:block;max-width:none;font-family:ui-monospace,\"DejaVu Sans Mono\",\"Liberation Mono\",Menlo,Consolas,monospace;font-size:13px}
svg .box{fill:var(--surface);stroke:var(--line);stroke-width:1.5}
svg .edge{fill:none;stroke:var(--line);stroke-width:1.5}
svg .arrowhead{fill:var(--line)}
svg .label rect{fill:var(--surface);stroke:var(--line);stroke-width:1}
svg text{fill:var(--fg)}
svg text.name{font-weight:700;font-size:14px}
svg text.muted{fill:var(--muted)}
svg text.ok{fill:var(--ok)}
svg text.bad{fill:var(--bad)}
svg text.warn{fill:var(--warn)}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(18rem,1fr));gap:.8rem;padding:0;margin:0;list-style:none}
.card{background:var(--surface);border:1px solid var(--line);border-radius:6px;padding:.8rem;overflow-wrap:anywhere}
.card dl{display:grid;grid-template-columns:max-content 1fr;gap:.1rem .8rem;margin:0}
.card dt{color:var(--muted)}
.card dd{margin:0}
ul.waiting{padding-left:1.2rem}
table{border-collapse:collapse;width:100%;font-size:.95rem}
th,td{text-align:left;vertical-align:top;padding:.35rem .6rem;border-bottom:1px solid var(--line)}
td:first-child{white-space:nowrap}
thead th{background:var(--surface)}
caption{text-align:left;color:var(--muted);padding:.3rem 0}
code{font-family:ui-monospace,\"DejaVu Sans Mono\",Menlo,Consolas,monospace;font-size:.95em}
footer{color:var(--muted);margin:2rem auto 1.5rem}
@media (max-width:40rem){body{font-size:15px}h1{font-size:1.3rem}th,td{padding:.3rem .4rem}}
";

/// The whole stylesheet: the palette's custom properties for both schemes, then the rules.
pub fn stylesheet() -> String {
    format!("{}{STYLE}", PALETTE.css())
}

/// `'sha256-…'` of `text`, as a Content-Security-Policy source names an inline element's contents.
pub fn csp_hash(text: &str) -> String {
    format!("'sha256-{}'", base64(&Sha256::digest(text.as_bytes())))
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A link to `url` when it is a web address, else the text alone (a ledger could hold anything).
fn link(url: &str, text: &str) -> String {
    if url.starts_with("https://") || url.starts_with("http://") {
        format!("<a href=\"{}\">{}</a>", escape(url), escape(text))
    } else {
        escape(text)
    }
}

/// The page.
pub fn page(p: &Page) -> String {
    let style = stylesheet();
    let title = format!("{}: what runs where", p.project);
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str(&format!(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src {}; base-uri 'none'; form-action 'none'\">\n",
        csp_hash(&style)
    ));
    out.push_str(
        "<meta name=\"color-scheme\" content=\"light dark\">\n<meta name=\"referrer\" content=\"no-referrer\">\n",
    );
    out.push_str(&format!("<title>{}</title>\n<style>{style}</style>\n</head>\n<body>\n", escape(&title)));
    out.push_str(&format!(
        "<header>\n<h1>{}</h1>\n<p class=\"muted\">From the ledger of <code>{}</code>, as of {} (UTC).</p>\n</header>\n<main>\n",
        escape(&title),
        escape(&p.repository),
        escape(&short_time(p.now))
    ));
    out.push_str("<section aria-labelledby=\"h-graph\">\n<h2 id=\"h-graph\">Promotion graph</h2>\n");
    out.push_str(&format!("<figure class=\"frame\">\n{}\n</figure>\n</section>\n", svg(p)));
    out.push_str("<section aria-labelledby=\"h-envs\">\n<h2 id=\"h-envs\">Environments</h2>\n<ul class=\"cards\">\n");
    for env in &p.environments {
        let waiting: Vec<&Waiting> = p.waiting.iter().filter(|w| w.to == env.name).collect();
        out.push_str(&card(env, &waiting));
    }
    out.push_str("</ul>\n</section>\n");
    out.push_str(&waiting_section(p));
    out.push_str(&history(&p.history));
    out.push_str(&format!(
        "</main>\n<footer>\n<p>Made by <code>slipway status --format html</code> from the ledger and the definitions; \
         the gates are the policy's own answers as of {}.</p>\n</footer>\n</body>\n</html>\n",
        escape(&short_time(p.now))
    ));
    out
}

/// An environment's card: its box's lines, in words a screen reader and a phone read well.
fn card(env: &EnvView, waiting: &[&Waiting]) -> String {
    let mut rows = Vec::new();
    if let Some(r) = &env.running {
        rows.push(("release", escape(&r.release), "fg"));
        rows.push(("commit", escape(r.commit.as_deref().unwrap_or("-")), "fg"));
        rows.push(("ref", escape(r.git_ref.as_deref().unwrap_or("-")), "fg"));
        let run = r.ci_run.as_deref().map(|u| format!(" ({})", link(u, "run"))).unwrap_or_default();
        let from = r.from.as_deref().map(|f| format!(" from {}", escape(f))).unwrap_or_default();
        rows.push((
            "deployed",
            format!("{}{from} at {} by {}{run}", escape(&r.kind), escape(&short_time(r.at)), escape(&r.by)),
            "fg",
        ));
        let approvals = if r.approvals.is_empty() { "none".to_string() } else { r.approvals.join(", ") };
        rows.push(("approvals", escape(&approvals), "fg"));
    } else {
        rows.push(("release", "none yet".into(), "muted"));
    }
    let mut out = format!(
        "<li class=\"card\" id=\"env-{}\">\n<h3>{}</h3>\n<p class=\"muted\">{} · {} · refs {}</p>\n<dl>\n",
        escape(&env.name),
        escape(&env.name),
        escape(&env.tier),
        escape(&env.trigger),
        escape(&if env.refs.is_empty() { "none".to_string() } else { env.refs.join(", ") })
    );
    for (k, v, class) in rows {
        out.push_str(&format!("<dt>{k}</dt><dd class=\"{class}\">{v}</dd>\n"));
    }
    // The rest reads as the box does: last change, evidence, freeze, hold, lock, drift, gates.
    for l in state_lines(env, waiting) {
        let marks: &[char] = &['✓', '✗', '⚠', '→', ' '];
        let (label, text) = match l.text.split_once(": ") {
            Some((k, v)) if k.len() < 24 => (k.trim_start_matches(marks).to_string(), v.to_string()),
            _ => ("waiting".to_string(), l.text.trim_start_matches(marks).to_string()),
        };
        out.push_str(&format!("<dt>{}</dt><dd class=\"{}\">{}</dd>\n", escape(&label), l.class, escape(&text)));
    }
    out.push_str("</dl>\n</li>\n");
    out
}

fn waiting_section(p: &Page) -> String {
    let mut out =
        String::from("<section aria-labelledby=\"h-waiting\">\n<h2 id=\"h-waiting\">Waiting at a gate</h2>\n");
    if p.waiting.is_empty() {
        out.push_str("<p class=\"muted\">Every target runs what its sources run.</p>\n</section>\n");
        return out;
    }
    out.push_str("<ul class=\"waiting\">\n");
    for w in &p.waiting {
        let head: Vec<String> =
            waiting_lines(w).iter().map(|l| l.text.trim_start_matches(['→', ' ']).to_string()).collect();
        out.push_str(&format!(
            "<li><strong>{} → {}</strong>: {}",
            escape(&w.from),
            escape(&w.to),
            escape(&head.join("; "))
        ));
        if !w.gates.is_empty() {
            out.push_str("\n<ul>\n");
            for g in &w.gates {
                let until = g.until.map(|u| format!(" (until {})", short_time(u))).unwrap_or_default();
                out.push_str(&format!(
                    "<li><code>{}</code>{}: {}</li>\n",
                    escape(&g.rule),
                    escape(&until),
                    escape(&g.message)
                ));
            }
            out.push_str("</ul>\n");
        }
        out.push_str("</li>\n");
    }
    out.push_str("</ul>\n</section>\n");
    out
}

fn history(rows: &[HistoryRow]) -> String {
    let mut out = String::from(
        "<section aria-labelledby=\"h-history\">\n<h2 id=\"h-history\">History</h2>\n<div class=\"frame\">\n<table>\n\
         <caption>The ledger's records, newest first.</caption>\n<thead><tr><th scope=\"col\">when (UTC)</th>\
         <th scope=\"col\">environment</th><th scope=\"col\">what</th><th scope=\"col\">how it ended</th>\
         <th scope=\"col\">by</th><th scope=\"col\">approved by</th><th scope=\"col\">why</th></tr></thead>\n<tbody>\n",
    );
    if rows.is_empty() {
        out.push_str("<tr><td colspan=\"7\" class=\"muted\">no records yet</td></tr>\n");
    }
    for r in rows {
        let what = format!(
            "{}{}{}",
            r.kind,
            r.release.as_deref().map(|x| format!(" {x}")).unwrap_or_default(),
            r.from.as_deref().map(|x| format!(" from {x}")).unwrap_or_default()
        );
        let class = match r.ok {
            Some(true) => "ok",
            Some(false) => "bad",
            None => "muted",
        };
        let by = match &r.ci_run {
            Some(u) => format!("{} ({})", escape(&r.by), link(u, "CI run")),
            None => escape(&r.by),
        };
        out.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"{class}\">{}</td><td>{by}</td><td>{}</td><td>{}</td></tr>\n",
            escape(&r.at.to_string().replace('T', " ")),
            escape(&r.environment),
            escape(&what),
            escape(&r.phase),
            escape(&r.approvals.join(", ")),
            escape(r.reason.as_deref().unwrap_or(""))
        ));
    }
    out.push_str("</tbody>\n</table>\n</div>\n</section>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_is_rfc_4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn only_web_addresses_become_links() {
        assert_eq!(link("https://ci/run/1", "run"), "<a href=\"https://ci/run/1\">run</a>");
        assert_eq!(link("javascript:alert(1)", "run"), "run");
    }
}
