//! Text for dates, ages and last uses.

use jiff::Timestamp;

use crate::core::policy::days_since;

/// `2026-08-22` in UTC, as IAM reports dates.
pub fn date(at: Timestamp) -> String {
    at.strftime("%Y-%m-%d").to_string()
}

/// `412d`
pub fn age(at: Timestamp, now: Timestamp) -> String {
    format!("{}d", days_since(at, now))
}

/// `today`, `1 day ago`, `40 days ago`
pub fn ago(at: Timestamp, now: Timestamp) -> String {
    match days_since(at, now) {
        0 => "today".to_string(),
        1 => "1 day ago".to_string(),
        n => format!("{n} days ago"),
    }
}

/// `today`, `3d ago`: for narrow columns.
pub fn ago_short(at: Timestamp, now: Timestamp) -> String {
    match days_since(at, now) {
        0 => "today".to_string(),
        n => format!("{n}d ago"),
    }
}

/// `45s`, `12 min`, `3 h`, `2 days`: how old something is.
pub fn duration(elapsed: jiff::SignedDuration) -> String {
    let secs = elapsed.as_secs().max(0);
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{} min", secs / 60),
        3600..86_400 => format!("{} h", secs / 3600),
        _ => format!("{} days", secs / 86_400),
    }
}

/// `12:01:02` in UTC.
pub fn clock(at: Timestamp) -> String {
    at.strftime("%H:%M:%S UTC").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_dates_and_ages() {
        let now: Timestamp = "2026-11-30T12:00:00Z".parse().unwrap();
        let then: Timestamp = "2026-08-22T11:00:00Z".parse().unwrap();
        assert_eq!(date(then), "2026-08-22");
        assert_eq!(age(then, now), "100d");
        assert_eq!(ago(then, now), "100 days ago");
        assert_eq!(ago(now, now), "today");
        assert_eq!(ago_short(then, now), "100d ago");
        assert_eq!(clock(now), "12:00:00 UTC");
        assert_eq!(duration(jiff::SignedDuration::from_secs(59)), "59s");
        assert_eq!(duration(jiff::SignedDuration::from_secs(600)), "10 min");
        assert_eq!(duration(jiff::SignedDuration::from_secs(7200)), "2 h");
    }
}
