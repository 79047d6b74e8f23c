//! Key hygiene: the policy (thresholds and exemptions, from the config file)
//! and the findings it makes, in one vocabulary for the dashboard, `list`,
//! the filter and the docs.

use jiff::{SignedDuration, Timestamp};

use crate::core::model::{AccessKey, KeyStatus, LastUsed, never_means_never};

/// Thresholds in days, and who is exempt. Defaults: Security Hub IAM.3 (90),
/// CIS AWS Foundations 1.12 / Security Hub IAM.22 (45).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    pub rotate_after_days: i64,
    pub unused_after_days: i64,
    pub new_key_grace_days: i64,
    pub recent_use_days: i64,
    /// A last use older than this many minutes (a report's, or a live read's)
    /// is read live again before a decision rests on it (`[source]
    /// confirm_after_minutes`).
    pub confirm_after_minutes: i64,
    pub exempt: Exempt,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            rotate_after_days: 90,
            unused_after_days: 45,
            new_key_grace_days: 7,
            recent_use_days: 30,
            confirm_after_minutes: 15,
            exempt: Exempt::default(),
        }
    }
}

/// Users whose keys' findings are shown but never counted nor failed on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Exempt {
    /// Globs on the user name (`*` any run, `?` one character).
    pub users: Vec<String>,
    /// Path prefixes.
    pub paths: Vec<String>,
    /// A user tag key: users carrying it are exempt.
    pub tag: Option<String>,
}

impl Exempt {
    pub fn covers(&self, user: &str, path: &str, tags: &[String]) -> bool {
        self.users.iter().any(|glob| glob_matches(glob, user))
            || self
                .paths
                .iter()
                .any(|prefix| path.starts_with(prefix.as_str()))
            || self.tag.as_ref().is_some_and(|tag| tags.contains(tag))
    }
}

/// `*` matches any run of characters, `?` any one; everything else itself.
fn glob_matches(glob: &str, text: &str) -> bool {
    let (glob, text): (Vec<char>, Vec<char>) = (glob.chars().collect(), text.chars().collect());
    // Classic two-pointer wildcard match with one backtrack point.
    let (mut g, mut t, mut star, mut mark) = (0, 0, None, 0);
    while t < text.len() {
        if g < glob.len() && (glob[g] == '?' || glob[g] == text[t]) {
            g += 1;
            t += 1;
        } else if g < glob.len() && glob[g] == '*' {
            star = Some(g);
            mark = t;
            g += 1;
        } else if let Some(s) = star {
            g = s + 1;
            mark += 1;
            t = mark;
        } else {
            return false;
        }
    }
    glob[g..].iter().all(|&c| c == '*')
}

/// What needs an administrator, by name; the order is urgency, most urgent first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Finding {
    /// The root user has an access key (account-wide; Security Hub IAM.4).
    RootKey,
    /// Active, never used, past the grace period.
    NeverUsed,
    /// Active, last used longer ago than the threshold, or never used and
    /// older than it (as CIS 1.12 and Security Hub IAM.22 count it).
    Unused,
    /// Active and older than the rotation threshold.
    RotationDue,
    /// Both keys of the user are active.
    TwoActive,
    /// A key this session depends on.
    ThisSession,
}

impl Finding {
    pub const ALL: [Finding; 6] = [
        Finding::RootKey,
        Finding::NeverUsed,
        Finding::Unused,
        Finding::RotationDue,
        Finding::TwoActive,
        Finding::ThisSession,
    ];

    /// The name used everywhere: screen, `list`, filter (`is:NAME`), `--fail-on`.
    pub fn name(self) -> &'static str {
        match self {
            Finding::RootKey => "root-key",
            Finding::NeverUsed => "never-used",
            Finding::Unused => "unused",
            Finding::RotationDue => "rotation-due",
            Finding::TwoActive => "two-active",
            Finding::ThisSession => "this-session",
        }
    }

    /// The short form where columns are narrow (the help lists them).
    pub fn short(self) -> &'static str {
        match self {
            Finding::RootKey => "ROOT",
            Finding::NeverUsed => "never",
            Finding::Unused => "idle",
            Finding::RotationDue => "old",
            Finding::TwoActive => "2act",
            Finding::ThisSession => "self",
        }
    }

    pub fn from_name(name: &str) -> Option<Finding> {
        Self::ALL.into_iter().find(|f| f.name() == name)
    }

    /// Whether it asks the administrator to act (this-session only informs).
    pub fn needs_action(self) -> bool {
        self != Finding::ThisSession
    }

    /// The rule and threshold that make it, for details and docs.
    pub fn rule(self, policy: &Policy) -> String {
        match self {
            Finding::RootKey => "the root user has an access key (Security Hub IAM.4)".into(),
            Finding::NeverUsed => format!(
                "active, never used, older than {} days (new_key_grace_days)",
                policy.new_key_grace_days
            ),
            Finding::Unused => format!(
                "active, last used more than {} days ago, or never used and made more than {} days ago (unused_after_days; CIS 1.12, Security Hub IAM.22)",
                policy.unused_after_days, policy.unused_after_days
            ),
            Finding::RotationDue => format!(
                "active, older than {} days (rotate_after_days)",
                policy.rotate_after_days
            ),
            Finding::TwoActive => "both keys of the user are active".into(),
            Finding::ThisSession => "this session depends on it".into(),
        }
    }
}

/// Whole days from `then` to `now` (0 for the future).
pub fn days_since(then: Timestamp, now: Timestamp) -> i64 {
    let elapsed: SignedDuration = now.duration_since(then);
    (elapsed.as_secs() / 86_400).max(0)
}

impl Policy {
    /// Whether deactivating a key may break something: its last use is not
    /// known, it was used within `recent_use_days`, or it was never used but
    /// is younger than `new_key_grace_days` (deployed, maybe, and its use not
    /// recorded yet: IAM records use late). The one definition of "in use"
    /// for the dashboard's question, the bulk plan's call-out and the wizard.
    pub fn possibly_in_use(
        &self,
        created: Timestamp,
        last_used: Option<&LastUsed>,
        now: Timestamp,
    ) -> bool {
        match last_used {
            None => true,
            Some(LastUsed::Never) => days_since(created, now) < self.new_key_grace_days,
            Some(LastUsed::Used { at, .. }) => self.used_recently(*at, now).is_some(),
        }
    }

    /// "Used recently": a use less than `recent_use_days` before `now`; then
    /// the whole days since it. The one definition, for the questions, the
    /// plans (dashboard and headless) and the wizard.
    pub fn used_recently(&self, at: Timestamp, now: Timestamp) -> Option<i64> {
        (now.as_second() - at.as_second() < self.recent_use_days * 86_400)
            .then(|| days_since(at, now))
    }

    /// Whether a decision can rest on a last use read from `source`: read
    /// live, or from a report, at most `confirm_after_minutes` ago.
    pub fn use_is_fresh(
        &self,
        source: Option<crate::core::model::UseSource>,
        now: Timestamp,
    ) -> bool {
        use crate::core::model::UseSource;
        let as_of = match source {
            Some(UseSource::Live { at }) => at,
            Some(UseSource::Report {
                generated,
                provisional: false,
            }) => generated,
            _ => return false,
        };
        now.duration_since(as_of).as_secs() <= self.confirm_after_minutes * 60
    }

    /// The findings for one key, most urgent first. `last_used` is `None` while
    /// it is loading or only provisional (a credential report's word that a
    /// live read has yet to confirm).
    pub fn key_findings(
        &self,
        key: &AccessKey,
        last_used: Option<&LastUsed>,
        active_keys_of_user: usize,
        session_key: bool,
        now: Timestamp,
    ) -> Vec<Finding> {
        let mut findings = Vec::new();
        let active = key.status == KeyStatus::Active;
        let age = days_since(key.created, now);
        if active {
            // A key this session signs with is in use, whatever IAM has
            // recorded yet (a fresh report may not show the use).
            let use_known = if session_key { None } else { last_used };
            match use_known {
                Some(LastUsed::Never) if !never_means_never(key.created) => {
                    // Made before IAM recorded use (2015-04-22): unused for years.
                    findings.push(Finding::Unused)
                }
                Some(LastUsed::Never) if age > self.new_key_grace_days => {
                    findings.push(Finding::NeverUsed);
                    // CIS 1.12 and Security Hub IAM.22 count a key never used
                    // as unused from its creation date.
                    if age > self.unused_after_days {
                        findings.push(Finding::Unused);
                    }
                }
                Some(LastUsed::Used { at, .. })
                    if days_since(*at, now) > self.unused_after_days =>
                {
                    findings.push(Finding::Unused)
                }
                _ => {}
            }
            if age > self.rotate_after_days {
                findings.push(Finding::RotationDue);
            }
            if active_keys_of_user >= 2 {
                findings.push(Finding::TwoActive);
            }
        }
        if session_key {
            findings.push(Finding::ThisSession);
        }
        findings
    }
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

    fn used(at: Timestamp) -> LastUsed {
        LastUsed::Used {
            at,
            service: None,
            region: None,
        }
    }

    #[test]
    fn each_finding_starts_one_day_past_its_threshold() {
        let now = Timestamp::from_second(2_000_000_000).unwrap();
        let policy = Policy {
            rotate_after_days: 100,
            unused_after_days: 30,
            new_key_grace_days: 5,
            ..Policy::default()
        };
        let find = |created: i64, last: Option<LastUsed>, active_keys| {
            policy.key_findings(
                &key(KeyStatus::Active, now - days(created)),
                last.as_ref(),
                active_keys,
                false,
                now,
            )
        };
        let recent = Some(used(now - days(1)));
        assert_eq!(find(100, recent.clone(), 1), []);
        assert_eq!(find(101, recent.clone(), 1), [Finding::RotationDue]);
        assert_eq!(find(50, Some(used(now - days(30))), 1), []);
        assert_eq!(find(50, Some(used(now - days(31))), 1), [Finding::Unused]);
        assert_eq!(find(5, Some(LastUsed::Never), 1), []);
        assert_eq!(find(6, Some(LastUsed::Never), 1), [Finding::NeverUsed]);
        // Never used and older than the unused threshold: unused too (CIS 1.12).
        assert_eq!(find(30, Some(LastUsed::Never), 1), [Finding::NeverUsed]);
        assert_eq!(
            find(31, Some(LastUsed::Never), 1),
            [Finding::NeverUsed, Finding::Unused]
        );
        assert_eq!(find(50, recent.clone(), 2), [Finding::TwoActive]);
        // Loading, or only the report's word: nothing said about use.
        assert_eq!(find(50, None, 1), []);
        // Inactive keys need nothing; a key this session uses is said so.
        let inactive = key(KeyStatus::Inactive, now - days(400));
        assert_eq!(
            policy.key_findings(&inactive, Some(&LastUsed::Never), 1, true, now),
            [Finding::ThisSession]
        );
        // Made in 2014, no use recorded: unused for years, not never used.
        let ancient = key(KeyStatus::Active, "2014-03-01T00:00:00Z".parse().unwrap());
        assert_eq!(
            policy.key_findings(&ancient, Some(&LastUsed::Never), 1, false, now),
            [Finding::Unused, Finding::RotationDue]
        );
        assert_eq!(days_since(now + days(1), now), 0);
    }

    #[test]
    fn a_key_is_possibly_in_use_when_recent_unknown_or_young_and_unrecorded() {
        let now = Timestamp::from_second(2_000_000_000).unwrap();
        let policy = Policy::default();
        let created = now - days(3);
        assert!(policy.possibly_in_use(created, None, now));
        // Created three days ago, no use recorded: maybe deployed, not recorded yet.
        assert!(policy.possibly_in_use(created, Some(&LastUsed::Never), now));
        assert!(!policy.possibly_in_use(now - days(8), Some(&LastUsed::Never), now));
        assert!(policy.possibly_in_use(created, Some(&used(now - days(29))), now));
        assert!(!policy.possibly_in_use(created, Some(&used(now - days(30))), now));
    }

    #[test]
    fn names_round_trip_and_rules_name_their_thresholds() {
        for finding in Finding::ALL {
            assert_eq!(Finding::from_name(finding.name()), Some(finding));
        }
        assert!(Finding::Unused.rule(&Policy::default()).contains("45 days"));
    }

    #[test]
    fn exemptions_by_glob_path_and_tag() {
        let exempt = Exempt {
            users: vec!["breakglass-*".into(), "ci-?".into()],
            paths: vec!["/service/".into()],
            tag: Some("iamkeys-exempt".into()),
        };
        assert!(exempt.covers("breakglass-eu", "/", &[]));
        assert!(exempt.covers("ci-1", "/", &[]));
        assert!(!exempt.covers("ci-12", "/", &[]));
        assert!(exempt.covers("bot", "/service/build/", &[]));
        assert!(exempt.covers("bob", "/", &["iamkeys-exempt".into()]));
        assert!(!exempt.covers("bob", "/", &["team".into()]));
        assert!(glob_matches("*", ""));
        assert!(glob_matches("a*b*c", "axxbyyc"));
        assert!(!glob_matches("a*b", "axxc"));
    }
}
