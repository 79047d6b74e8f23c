//! Key hygiene: which keys need an administrator's attention, and why.

use jiff::{SignedDuration, Timestamp};

use crate::iam::model::{AccessKey, KeyStatus, LastUsed, never_means_never};

/// A key older than this should be rotated (the common CIS / AWS guidance).
pub const MAX_KEY_AGE_DAYS: i64 = 90;
/// An active key not used for this long is probably not needed.
pub const MAX_UNUSED_DAYS: i64 = 90;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Finding {
    /// A key this session depends on (signs with, assumed its role with, or its own user's).
    SigningKey,
    /// Active and older than [`MAX_KEY_AGE_DAYS`].
    Old,
    /// Active, used once, but not for [`MAX_UNUSED_DAYS`].
    Unused,
    /// Never used at all.
    NeverUsed,
    /// Its user has two active keys (normal only during a rotation).
    TwoActive,
}

impl Finding {
    pub fn label(self) -> &'static str {
        match self {
            Finding::SigningKey => "this session",
            Finding::Old => "old",
            Finding::Unused => "unused",
            Finding::NeverUsed => "never used",
            Finding::TwoActive => "2 active",
        }
    }
}

/// Whole days from `then` to `now` (0 for the future).
pub fn days_since(then: Timestamp, now: Timestamp) -> i64 {
    let elapsed: SignedDuration = now.duration_since(then);
    (elapsed.as_secs() / 86_400).max(0)
}

/// The findings for one key. `last_used` is `None` while it is still loading
/// or only provisional (as of a credential report it may have been used since).
pub fn key_findings(
    key: &AccessKey,
    last_used: Option<&LastUsed>,
    active_keys_of_user: usize,
    session_key: bool,
    now: Timestamp,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    if session_key {
        findings.push(Finding::SigningKey);
    }
    let active = key.status == KeyStatus::Active;
    if active && days_since(key.created, now) > MAX_KEY_AGE_DAYS {
        findings.push(Finding::Old);
    }
    match last_used {
        // Made before IAM recorded use (2015-04-22): no use in all the years since.
        Some(LastUsed::Never) if !never_means_never(key.created) && active => {
            findings.push(Finding::Unused)
        }
        Some(LastUsed::Never) if !never_means_never(key.created) => {}
        Some(LastUsed::Never) => findings.push(Finding::NeverUsed),
        Some(LastUsed::Used { at, .. }) if active && days_since(*at, now) > MAX_UNUSED_DAYS => {
            findings.push(Finding::Unused)
        }
        _ => {}
    }
    if active && active_keys_of_user >= 2 {
        findings.push(Finding::TwoActive);
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(status: KeyStatus, created: Timestamp) -> AccessKey {
        AccessKey {
            id: "AKIAEXAMPLE".into(),
            user: "alice".into(),
            status,
            created,
            description: None,
        }
    }

    fn days(n: i64) -> SignedDuration {
        SignedDuration::from_hours(24 * n)
    }

    #[test]
    fn flags_old_unused_never_two_active_and_signing() {
        let now = Timestamp::from_second(2_000_000_000).unwrap();
        let old = key(KeyStatus::Active, now - days(400));
        let stale = LastUsed::Used {
            at: now - days(200),
            service: None,
            region: None,
        };
        assert_eq!(
            key_findings(&old, Some(&stale), 2, true, now),
            vec![
                Finding::SigningKey,
                Finding::Old,
                Finding::Unused,
                Finding::TwoActive
            ]
        );
        let fresh = key(KeyStatus::Active, now - days(3));
        assert_eq!(
            key_findings(&fresh, Some(&LastUsed::Never), 1, false, now),
            vec![Finding::NeverUsed]
        );
        let inactive = key(KeyStatus::Inactive, now - days(400));
        assert!(key_findings(&inactive, Some(&stale), 1, false, now).is_empty());
        assert_eq!(days_since(now + days(1), now), 0);
        // Made in 2014, no use recorded: not "never used", but unused for years.
        let ancient = key(KeyStatus::Active, "2014-03-01T00:00:00Z".parse().unwrap());
        assert_eq!(
            key_findings(&ancient, Some(&LastUsed::Never), 1, false, now),
            vec![Finding::Old, Finding::Unused]
        );
    }
}
