//! When an environment takes deploys and promotions: allow and deny windows, each a weekly time range or
//! a range of dates, in a named IANA time zone, as a deployment-flow document writes them:
//!
//! - `allow weekdays 09:00-16:00 Europe/Berlin`: Monday to Friday, 09:00 to 16:00 Berlin time, whatever
//!   the offset from UTC is that day (a daylight-saving change moves the window in UTC, not on the wall);
//! - `deny 2026-12-20 to 2027-01-04 Europe/Berlin`: every day from the first date to the last, both whole;
//! - `allow mon,wed 22:00-02:00 America/New_York`: a window that runs past midnight belongs to the day it
//!   opens on.
//!
//! Days are `daily`, `weekdays`, `weekends`, a day (`mon` .. `sun`), a range (`mon-thu`) or a list of those
//! (`mon,wed-fri`). With no allow window an environment is open whenever no deny window holds it.
//!
//! A window is kept as it is written ([`Window`], text in the project's rules, as a ref pattern is) and
//! read into a [`Schedule`] to be used; `slipway check` refuses one that cannot be read, names a time zone
//! the bundled time-zone database does not know, or never opens. The time zones come from jiff's bundled
//! copy of the IANA database, so every machine reads a window the same way.

use std::fmt;

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;

/// How far past the last date any window names the next opening is looked for.
const HORIZON_DAYS: i64 = 400;

/// An allow or deny window, as written: `allow weekdays 09:00-16:00 Europe/Berlin`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Window(String);

impl Window {
    /// A window as written, starting with `allow` or `deny`.
    pub fn new(text: impl Into<String>) -> Self {
        Window(text.into())
    }

    /// An allow window: `Window::allow("weekdays 09:00-16:00 Europe/Berlin")`.
    pub fn allow(spec: &str) -> Self {
        Window(format!("allow {}", spec.trim()))
    }

    /// A deny window: `Window::deny("2026-12-20 to 2027-01-04 Europe/Berlin")`.
    pub fn deny(spec: &str) -> Self {
        Window(format!("deny {}", spec.trim()))
    }

    /// The window as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The window read, or why it cannot be.
    pub fn schedule(&self) -> Result<Schedule, String> {
        Schedule::parse(&self.0)
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether a window lets changes in or keeps them out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowRule {
    /// Changes may happen inside it (and, when an environment has any, only inside one).
    Allow,
    /// No change happens inside it.
    Deny,
}

/// When a window holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum When {
    /// On these days of the week (Monday first), from one time of day to another; a window whose end is
    /// not after its start runs past midnight into the next day.
    Weekly {
        /// Which days it opens on, indexed from Monday.
        days: [bool; 7],
        /// When it opens.
        from: Time,
        /// When it closes.
        to: Time,
    },
    /// Every day from one date to another, both whole.
    Dates {
        /// The first day.
        from: Date,
        /// The last day.
        to: Date,
    },
}

/// A window read: the rule, when, and the time zone its times are in.
#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    /// Allow or deny.
    pub rule: WindowRule,
    /// When.
    pub when: When,
    /// The time zone's IANA name.
    pub zone_name: String,
    /// The time zone.
    pub zone: TimeZone,
    /// The window as written.
    pub text: String,
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const DAYS_LONG: [&str; 7] = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

fn day_index(word: &str) -> Option<usize> {
    let w = word.to_ascii_lowercase();
    DAYS.iter().position(|d| *d == w).or_else(|| DAYS_LONG.iter().position(|d| *d == w))
}

fn parse_days(text: &str) -> Result<[bool; 7], String> {
    let mut days = [false; 7];
    match text.to_ascii_lowercase().as_str() {
        "daily" | "everyday" => return Ok([true; 7]),
        "weekdays" => return Ok([true, true, true, true, true, false, false]),
        "weekends" => return Ok([false, false, false, false, false, true, true]),
        _ => {}
    }
    for part in text.split(',') {
        let bad =
            || format!("`{part}` is not a day: write mon..sun, a range such as mon-thu, weekdays, weekends or daily");
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (day_index(a).ok_or_else(bad)?, day_index(b).ok_or_else(bad)?);
                let mut i = a;
                loop {
                    days[i] = true;
                    if i == b {
                        break;
                    }
                    i = (i + 1) % 7;
                }
            }
            None => days[day_index(part).ok_or_else(bad)?] = true,
        }
    }
    Ok(days)
}

fn parse_time(text: &str) -> Result<Time, String> {
    let bad = || format!("`{text}` is not a time of day: write it as HH:MM, 00:00 to 24:00");
    let (h, m) = text.split_once(':').ok_or_else(bad)?;
    if h.len() != 2 || m.len() != 2 {
        return Err(bad());
    }
    let (h, m): (i8, i8) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if (h, m) == (24, 0) {
        // The end of the day: its last instant stands in for the midnight that ends it.
        return Ok(Time::MAX);
    }
    Time::new(h, m, 0, 0).map_err(|_| bad())
}

fn parse_date(text: &str) -> Result<Date, String> {
    let bad = || format!("`{text}` is not a date: write it as YYYY-MM-DD");
    let mut parts = text.splitn(3, '-');
    let (y, m, d) = (parts.next().ok_or_else(bad)?, parts.next().ok_or_else(bad)?, parts.next().ok_or_else(bad)?);
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return Err(bad());
    }
    let (y, m, d) = (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?, d.parse().map_err(|_| bad())?);
    Date::new(y, m, d).map_err(|_| format!("`{text}` is not a date of the calendar"))
}

impl Schedule {
    /// Reads `allow|deny DAYS HH:MM-HH:MM ZONE` or `allow|deny YYYY-MM-DD [to YYYY-MM-DD] ZONE`.
    pub fn parse(text: &str) -> Result<Schedule, String> {
        let words: Vec<&str> = text.split_whitespace().collect();
        let shape = "write `allow weekdays 09:00-16:00 Europe/Berlin` or `deny 2026-12-20 to 2027-01-04 Europe/Berlin`";
        let rule = match words.first().map(|w| w.to_ascii_lowercase()) {
            Some(w) if w == "allow" => WindowRule::Allow,
            Some(w) if w == "deny" => WindowRule::Deny,
            _ => return Err(format!("`{text}` says neither `allow` nor `deny` first; {shape}")),
        };
        let Some((zone_name, middle)) = words[1..].split_last() else {
            return Err(format!("`{text}` says no more than `allow` or `deny`; {shape}"));
        };
        let zone = TimeZone::get(zone_name).map_err(|_| {
            format!("`{zone_name}` is not a time zone of the IANA database (such as Europe/Berlin or UTC); {shape}")
        })?;
        let when = match middle {
            [days, range] if parse_date(days).is_err() => {
                let (from, to) = range
                    .split_once('-')
                    .ok_or_else(|| format!("`{range}` is not a time range: write it as 09:00-16:00"))?;
                When::Weekly { days: parse_days(days)?, from: parse_time(from)?, to: parse_time(to)? }
            }
            [day] => {
                let day = parse_date(day)?;
                When::Dates { from: day, to: day }
            }
            [from, to_word, to] if to_word.eq_ignore_ascii_case("to") => {
                When::Dates { from: parse_date(from)?, to: parse_date(to)? }
            }
            _ => return Err(format!("`{text}` cannot be read; {shape}")),
        };
        Ok(Schedule { rule, when, zone_name: zone_name.to_string(), zone, text: text.trim().to_string() })
    }

    /// Why the window itself can never hold, if it cannot: an empty time range, no day, dates backwards.
    pub fn empty(&self) -> Option<String> {
        match &self.when {
            When::Weekly { days, .. } if !days.contains(&true) => Some("names no day".into()),
            When::Weekly { from, to, .. } if from == to => {
                Some(format!("opens and closes at the same time ({})", from.strftime("%H:%M")))
            }
            When::Dates { from, to } if to < from => Some(format!("ends ({to}) before it starts ({from})")),
            _ => None,
        }
    }

    /// Whether the window holds at `t`.
    pub fn holds(&self, t: jiff::Timestamp) -> bool {
        let local = t.to_zoned_datetime(self.zone.clone());
        let (date, time) = (local.date(), local.time());
        match &self.when {
            When::Dates { from, to } => *from <= date && date <= *to,
            When::Weekly { days, from, to } => {
                let on = |d: Date| days[d.weekday().to_monday_zero_offset() as usize];
                if from < to {
                    on(date) && *from <= time && time < *to
                } else {
                    (on(date) && time >= *from) || (date.yesterday().is_ok_and(on) && time < *to)
                }
            }
        }
    }

    /// The instants at which the window opens or closes between `start` and `end` (local dates), in no
    /// particular order: where whether a change may happen can change.
    fn edges(&self, start: Date, end: Date, out: &mut Vec<jiff::Timestamp>) {
        let at = |dt: DateTime| dt.to_zoned_datetime(self.zone.clone()).ok().map(|z| z.timestamp());
        match &self.when {
            When::Dates { from, to } => {
                out.extend(at(from.at(0, 0, 0, 0)));
                out.extend(to.tomorrow().ok().and_then(|d| at(d.at(0, 0, 0, 0))));
            }
            When::Weekly { from, to, .. } => {
                let mut day = start;
                while day <= end {
                    out.extend(at(day.to_datetime(*from)));
                    out.extend(at(day.to_datetime(*to)));
                    if *to == Time::MAX {
                        out.extend(day.tomorrow().ok().and_then(|d| at(d.at(0, 0, 0, 0))));
                    }
                    let Ok(next) = day.tomorrow() else { break };
                    day = next;
                }
            }
        }
    }

    /// The time as a person in the window's zone reads it: `Mon 2026-03-30 09:00 CEST`.
    pub fn local(&self, t: jiff::Timestamp) -> String {
        t.to_zoned_datetime(self.zone.clone()).strftime("%a %Y-%m-%d %H:%M %Z").to_string()
    }
}

/// Whether the windows `schedules` let a change happen at `t`: inside an allow window (or anywhere, with
/// none) and inside no deny window. The window that keeps it out, when one does: a deny window holding
/// `t`, else `None` (outside every allow window).
pub fn open_at(schedules: &[Schedule], t: jiff::Timestamp) -> Result<(), Option<&Schedule>> {
    if let Some(deny) = schedules.iter().find(|s| s.rule == WindowRule::Deny && s.holds(t)) {
        return Err(Some(deny));
    }
    let mut allows = schedules.iter().filter(|s| s.rule == WindowRule::Allow).peekable();
    if allows.peek().is_none() || allows.any(|s| s.holds(t)) { Ok(()) } else { Err(None) }
}

/// The first instant at or after `now` at which the windows let a change happen, looking up to 400 days
/// past the last date any window names (or now); `None` when they never do in that time.
pub fn next_open(schedules: &[Schedule], now: jiff::Timestamp) -> Option<jiff::Timestamp> {
    if open_at(schedules, now).is_ok() {
        return Some(now);
    }
    let utc = now.to_zoned_datetime(TimeZone::UTC).date();
    let last_date = schedules
        .iter()
        .filter_map(|s| match s.when {
            When::Dates { to, .. } => Some(to),
            _ => None,
        })
        .max()
        .filter(|d| *d > utc)
        .unwrap_or(utc);
    let start = utc.checked_sub(jiff::Span::new().days(2)).unwrap_or(utc);
    let end = last_date.checked_add(jiff::Span::new().days(HORIZON_DAYS)).unwrap_or(last_date);
    let mut edges = Vec::new();
    for s in schedules {
        s.edges(start, end, &mut edges);
    }
    edges.retain(|t| *t > now);
    edges.sort();
    edges.dedup();
    edges.into_iter().find(|t| open_at(schedules, *t).is_ok())
}

/// Whether `schedules` can ever let a change happen: from the first date any of them names (or a fixed
/// Monday, when none names one), is there an opening by 400 days after the last?
pub fn ever_open(schedules: &[Schedule]) -> bool {
    let first = schedules
        .iter()
        .filter_map(|s| match s.when {
            When::Dates { from, .. } => Some(from),
            _ => None,
        })
        .min()
        .unwrap_or(jiff::civil::date(2024, 1, 1));
    let Ok(start) = first.yesterday().and_then(|d| d.at(0, 0, 0, 0).to_zoned_datetime(TimeZone::UTC)) else {
        return true;
    };
    next_open(schedules, start.timestamp()).is_some()
}
