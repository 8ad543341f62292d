//! The status page's colours, for a light and a dark scheme, as data, with the WCAG 2 contrast ratio
//! computed from them: every pair of a text colour and a background the page puts it on must reach 4.5:1
//! (level AA for normal text) in both schemes, and [`Palette::weakest`] says which pair comes closest, so
//! a test holds the page to it rather than to a designer's word. The stylesheet's custom properties are
//! written from these values ([`Palette::css`]), so what is checked is what is shown.

/// A colour, `#rrggbb`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// `#rrggbb`.
    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }

    /// WCAG 2's relative luminance.
    pub fn luminance(self) -> f64 {
        let lin = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.040_45 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
        };
        0.2126 * lin(self.0) + 0.7152 * lin(self.1) + 0.0722 * lin(self.2)
    }

    /// WCAG 2's contrast ratio of two colours, from 1 to 21.
    pub fn contrast(self, other: Rgb) -> f64 {
        let (a, b) = (self.luminance(), other.luminance());
        (a.max(b) + 0.05) / (a.min(b) + 0.05)
    }
}

/// The colours of one scheme, by what they are for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scheme {
    /// The page.
    pub bg: Rgb,
    /// Boxes, cards, table headers and edge labels.
    pub surface: Rgb,
    /// Text.
    pub fg: Rgb,
    /// Secondary text.
    pub muted: Rgb,
    /// Something that went well (passed, deployed).
    pub ok: Rgb,
    /// Something that failed, or drifted.
    pub bad: Rgb,
    /// Something to look at (skipped checks, a freeze, a hold, a lock, a gate that holds).
    pub warn: Rgb,
    /// Links.
    pub link: Rgb,
    /// Box borders and edges (not text).
    pub line: Rgb,
}

/// The text colours of a scheme, by their custom property's name.
const TEXT: [&str; 6] = ["fg", "muted", "ok", "bad", "warn", "link"];
/// The backgrounds text is put on.
const BACKGROUNDS: [&str; 2] = ["bg", "surface"];

impl Scheme {
    fn get(&self, name: &str) -> Rgb {
        match name {
            "bg" => self.bg,
            "surface" => self.surface,
            "fg" => self.fg,
            "muted" => self.muted,
            "ok" => self.ok,
            "bad" => self.bad,
            "warn" => self.warn,
            "link" => self.link,
            "line" => self.line,
            other => unreachable!("no colour `{other}`"),
        }
    }

    fn properties(&self) -> String {
        ["bg", "surface", "fg", "muted", "ok", "bad", "warn", "link", "line"]
            .iter()
            .map(|n| format!("--{n}:{};", self.get(n).hex()))
            .collect()
    }
}

/// Both schemes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Palette {
    /// `prefers-color-scheme: light` (and the default).
    pub light: Scheme,
    /// `prefers-color-scheme: dark`.
    pub dark: Scheme,
}

/// The page's palette.
pub const PALETTE: Palette = Palette {
    light: Scheme {
        bg: Rgb(0xff, 0xff, 0xff),
        surface: Rgb(0xf6, 0xf8, 0xfa),
        fg: Rgb(0x1f, 0x23, 0x28),
        muted: Rgb(0x59, 0x63, 0x6e),
        ok: Rgb(0x1a, 0x7f, 0x37),
        bad: Rgb(0xcf, 0x22, 0x2e),
        warn: Rgb(0x9a, 0x67, 0x00),
        link: Rgb(0x09, 0x69, 0xda),
        line: Rgb(0x8c, 0x95, 0x9f),
    },
    dark: Scheme {
        bg: Rgb(0x0d, 0x11, 0x17),
        surface: Rgb(0x16, 0x1b, 0x22),
        fg: Rgb(0xe6, 0xed, 0xf3),
        muted: Rgb(0x91, 0x98, 0xa1),
        ok: Rgb(0x3f, 0xb9, 0x50),
        bad: Rgb(0xf8, 0x51, 0x49),
        warn: Rgb(0xd2, 0x99, 0x22),
        link: Rgb(0x44, 0x93, 0xf8),
        line: Rgb(0x6e, 0x76, 0x81),
    },
};

impl Palette {
    /// Every (scheme, text colour, background, contrast ratio) the page can show.
    pub fn pairs(&self) -> Vec<(&'static str, &'static str, &'static str, f64)> {
        let mut out = Vec::new();
        for (scheme, s) in [("light", &self.light), ("dark", &self.dark)] {
            for text in TEXT {
                for bg in BACKGROUNDS {
                    out.push((scheme, text, bg, s.get(text).contrast(s.get(bg))));
                }
            }
        }
        out
    }

    /// The pair with the lowest contrast.
    pub fn weakest(&self) -> (&'static str, &'static str, &'static str, f64) {
        self.pairs().into_iter().min_by(|a, b| a.3.total_cmp(&b.3)).expect("a palette has pairs")
    }

    /// The custom properties of both schemes, the dark one under `prefers-color-scheme: dark`.
    pub fn css(&self) -> String {
        format!(
            ":root{{color-scheme:light dark;{}}}\n@media (prefers-color-scheme: dark){{:root{{{}}}}}\n",
            self.light.properties(),
            self.dark.properties()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contrast_is_wcags() {
        // The extremes and a value from WCAG's own examples (#777 on white is 4.48:1, just short of AA).
        assert!((Rgb(0, 0, 0).contrast(Rgb(255, 255, 255)) - 21.0).abs() < 1e-9);
        assert!((Rgb(9, 9, 9).contrast(Rgb(9, 9, 9)) - 1.0).abs() < 1e-9);
        let grey = Rgb(0x77, 0x77, 0x77).contrast(Rgb(255, 255, 255));
        assert!((grey - 4.48).abs() < 0.01, "{grey}");
    }

    #[test]
    fn every_text_colour_reaches_aa_on_every_background_in_both_schemes() {
        let (scheme, text, bg, ratio) = PALETTE.weakest();
        assert!(ratio >= 4.5, "{text} on {bg} in the {scheme} scheme is only {ratio:.2}:1");
        assert_eq!(PALETTE.pairs().len(), 2 * TEXT.len() * BACKGROUNDS.len());
    }

    #[test]
    fn the_check_fails_a_palette_that_is_too_pale() {
        let mut pale = PALETTE;
        pale.dark.muted = Rgb(0x44, 0x4c, 0x56);
        let (scheme, text, _, ratio) = pale.weakest();
        assert_eq!((scheme, text), ("dark", "muted"));
        assert!(ratio < 4.5);
    }
}
