//! Time as slipway records it: instants in UTC, written in RFC 3339 with milliseconds (so that they sort
//! as text), read from a [`Clock`] that commands are given, so that a rule about time (a wait timer, a
//! freeze until a date, a lock's expiry) can be tried without waiting for it.

use std::fmt;
use std::time::Duration;

/// An instant, in UTC (jiff's, which the promotion windows' time zones use too).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(jiff::Timestamp);

impl Timestamp {
    /// The instant `millis` milliseconds after the Unix epoch (the epoch itself when that is past the
    /// years jiff keeps, -9999 to 9999).
    pub fn from_unix_millis(millis: i64) -> Timestamp {
        Timestamp(jiff::Timestamp::from_millisecond(millis).unwrap_or(jiff::Timestamp::UNIX_EPOCH))
    }

    /// Milliseconds since the Unix epoch.
    pub fn unix_millis(self) -> i64 {
        self.0.as_millisecond()
    }

    /// Reads an RFC 3339 instant (`2026-11-24T10:00:00Z`, any offset; an offset is required).
    pub fn parse(text: &str) -> Option<Timestamp> {
        text.trim().parse::<jiff::Timestamp>().ok().map(Timestamp)
    }

    /// `duration` later (at most the last instant jiff keeps).
    pub fn plus(self, duration: Duration) -> Timestamp {
        Timestamp(self.0.saturating_add(duration).unwrap_or(jiff::Timestamp::MAX))
    }

    /// How long after `earlier` this is (zero when it is not after it).
    pub fn since(self, earlier: Timestamp) -> Duration {
        Duration::try_from(self.0.duration_since(earlier.0)).unwrap_or(Duration::ZERO)
    }
}

impl fmt::Display for Timestamp {
    /// `2026-11-24T10:00:00.000Z`: fixed width, so that text order is time order.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = jiff::tz::TimeZone::UTC.to_datetime(self.0);
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            t.millisecond()
        )
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Timestamp::parse(&text).ok_or_else(|| serde::de::Error::custom(format!("`{text}` is not an RFC 3339 time")))
    }
}

/// Where commands read the time from.
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> Timestamp;
}

/// The system's clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    /// Now, to the millisecond: what records keep, so a time read back equals the time written.
    fn now(&self) -> Timestamp {
        Timestamp::from_unix_millis(jiff::Timestamp::now().as_millisecond())
    }
}

/// A human reading of a time still to come, rounded up to what [`human`] shows, so that it never promises
/// sooner than the truth: 7 days less a second is `7d 0h`, not `6d 23h`.
pub fn human_left(left: Duration) -> String {
    let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
    let unit = match secs {
        0..=59 => 1,
        60..=86_399 => 60,
        _ => 3600,
    };
    human(Duration::from_secs(secs.div_ceil(unit) * unit))
}

/// A human reading of a duration: `45s`, `12m`, `3h 5m`, `2d 4h`.
pub fn human(duration: Duration) -> String {
    let s = duration.as_secs();
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m", s / 60),
        3600..=86_399 => format!("{}h {}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d {}h", s / 86_400, s % 86_400 / 3600),
    }
}

/// Reads a duration as people write it on a command line: a number and a unit, `s`, `m`, `h`, `d` or
/// `w` (`30s`, `10m`, `7d`), or several (`1h30m`).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let mut total = 0u64;
    let mut number = String::new();
    let mut any = false;
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 604_800,
            ' ' if number.is_empty() => continue,
            _ => return Err(format!("`{text}` is not a duration: write it as 30s, 10m, 2h, 7d or 1w")),
        };
        let n: u64 = number.parse().map_err(|_| format!("`{text}` is not a duration: a number goes before `{c}`"))?;
        total = total.saturating_add(n.saturating_mul(unit));
        number.clear();
        any = true;
    }
    if !number.is_empty() || !any {
        return Err(format!("`{text}` is not a duration: give a unit, as in 30s, 10m, 2h, 7d or 1w"));
    }
    Ok(Duration::from_secs(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_written_to_sort_and_read_back() {
        let t = Timestamp::from_unix_millis(1_795_500_000_123);
        assert_eq!(t.to_string(), "2026-11-24T06:00:00.123Z");
        assert_eq!(Timestamp::parse(&t.to_string()), Some(t));
        assert_eq!(Timestamp::parse("2026-11-24T07:00:00.123+01:00"), Some(t));
        assert_eq!(t.plus(Duration::from_secs(90)).since(t), Duration::from_secs(90));
        assert_eq!(t.since(t.plus(Duration::from_secs(1))), Duration::ZERO);
        assert_eq!(Timestamp::parse("2026-11-24T06:00:00"), None, "an instant names its offset");
        assert_eq!(Timestamp::from_unix_millis(-1).to_string(), "1969-12-31T23:59:59.999Z");
    }

    #[test]
    fn durations_read_as_written() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(7 * 86_400)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert!(parse_duration("10").is_err());
        assert!(parse_duration("ten minutes").is_err());
        assert_eq!(human(Duration::from_secs(3 * 3600 + 300)), "3h 5m");
    }
}
