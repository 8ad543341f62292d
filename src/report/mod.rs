//! The status page: what `slipway status --format html` writes, rendered from the data
//! [`crate::ops::page`] assembles. Rendering is kept apart from the engine, as pure functions of that data
//! (the same data gives the same bytes): [`layout`] places the promotion graph's boxes and labels,
//! [`svg`] draws it, [`html`] makes the page around it, and [`palette`] holds the colours of both schemes
//! with their contrast.

pub mod html;
pub mod layout;
pub mod palette;
pub mod svg;

use crate::clock::Timestamp;

/// Text for HTML and SVG, where `<`, `>`, `&` and both quotes are written as entities.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A time as the page shows it: `2026-11-24 14:30Z` (UTC, to the minute).
pub fn short_time(t: Timestamp) -> String {
    let s = t.to_string();
    format!("{} {}Z", &s[..10], &s[11..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_times_are_short() {
        assert_eq!(escape("<a href=\"x\">&'</a>"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
        assert_eq!(short_time(Timestamp::from_unix_millis(1_795_500_000_123)), "2026-11-24 06:00Z");
    }
}
