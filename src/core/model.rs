//! Domain types for IAM users and access keys, free of SDK types.

use jiff::Timestamp;
use zeroize::Zeroizing;

/// An IAM user as ListUsers returns it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub path: String,
    pub arn: String,
    pub created: Timestamp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyStatus {
    Active,
    Inactive,
    /// The server sent no status, or one IAM does not have: shown as such, never acted on.
    Unknown,
}

impl KeyStatus {
    /// From its name as IAM and `list` write it; anything else is `Unknown`.
    pub fn from_name(name: &str) -> Self {
        match name {
            "Active" => KeyStatus::Active,
            "Inactive" => KeyStatus::Inactive,
            _ => KeyStatus::Unknown,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            KeyStatus::Active => "Active",
            KeyStatus::Inactive => "Inactive",
            KeyStatus::Unknown => "unknown",
        }
    }
}

/// Access key metadata as ListAccessKeys returns it (never the secret).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessKey {
    pub id: String,
    pub user: String,
    pub status: KeyStatus,
    pub created: Timestamp,
    /// The console's description: a user tag whose key is this key's id.
    pub description: Option<String>,
}

impl KeyStatus {
    /// The status a toggle asks for; none for a key whose status is unknown.
    pub fn toggled(self) -> Option<KeyStatus> {
        match self {
            KeyStatus::Active => Some(KeyStatus::Inactive),
            KeyStatus::Inactive => Some(KeyStatus::Active),
            KeyStatus::Unknown => None,
        }
    }
}

/// Sensitive text (a secret access key, or what goes to the clipboard). Wiped from
/// memory when dropped; never printed by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    pub fn new(secret: String) -> Self {
        Self(Zeroizing::new(secret))
    }

    /// The text itself: only for the secret dialog, the clipboard and the CSV file.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// A key CreateAccessKey has just made, with the secret IAM shows only this once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewKey {
    pub key: AccessKey,
    pub secret: Secret,
}

/// What GetAccessKeyLastUsed knows about a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LastUsed {
    Never,
    Used {
        at: Timestamp,
        /// IAM answers "N/A" when it has no service or region; those become `None`.
        service: Option<String>,
        region: Option<String>,
    },
}

impl LastUsed {
    pub fn at(&self) -> Option<Timestamp> {
        match self {
            LastUsed::Never => None,
            LastUsed::Used { at, .. } => Some(*at),
        }
    }
}

/// IAM records key use since 2015-04-22: a key made before then with no
/// recorded use may have been used before it. Not "never used".
pub const USE_RECORDED_SINCE: Timestamp = Timestamp::constant(1_429_660_800, 0);

/// Whether "no last use" of a key created at `created` means it was never used.
pub fn never_means_never(created: Timestamp) -> bool {
    created >= USE_RECORDED_SINCE
}

/// Where a key's last use was read, and as of when.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UseSource {
    /// The credential report made at `generated`. `provisional` when the key
    /// may have been used since (never used, or not lately, as of the report):
    /// a live read is on its way, and until it answers the value is as of then.
    Report {
        generated: Timestamp,
        provisional: bool,
    },
    /// GetAccessKeyLastUsed, answered at `at`.
    Live { at: Timestamp },
}

impl UseSource {
    /// `report` or `live`, as `list` records say.
    pub fn name(self) -> &'static str {
        match self {
            UseSource::Report { .. } => "report",
            UseSource::Live { .. } => "live",
        }
    }

    /// The time the value is true as of.
    pub fn as_of(self) -> Timestamp {
        match self {
            UseSource::Report { generated, .. } => generated,
            UseSource::Live { at } => at,
        }
    }

    /// A report value that a live read has not confirmed.
    pub fn provisional(self) -> bool {
        matches!(
            self,
            UseSource::Report {
                provisional: true,
                ..
            }
        )
    }
}

/// Who this session is, from STS GetCallerIdentity.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Identity {
    pub account: String,
    pub arn: String,
}

/// Why a key belongs to this session: changing it can cut the session off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionLink {
    /// The session signs its requests with this key.
    Signs,
    /// The long-term key of the profile the session's role was assumed from.
    SourceProfile,
    /// A key of the IAM user the session is (GetSessionToken, aws-vault, MFA sessions).
    CallersUser,
}

impl SessionLink {
    pub fn explain(self) -> &'static str {
        match self {
            SessionLink::Signs => "this session signs with this key",
            SessionLink::SourceProfile => {
                "this session's role is assumed with this key (the profile's source_profile)"
            }
            SessionLink::CallersUser => {
                "this session is this key's user: its credentials come from this user's keys"
            }
        }
    }
}

/// The keys this session depends on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SessionKeys {
    /// The access key id requests are signed with.
    pub signing: Option<String>,
    /// The long-term key behind an assumed role (`source_profile`'s static key).
    pub source: Option<String>,
    /// The caller's own IAM user, when the caller ARN is a user's.
    pub user: Option<String>,
}

impl SessionKeys {
    /// Whether (and why) key `key_id` of `user` is one this session depends on.
    pub fn link(&self, user: &str, key_id: &str) -> Option<SessionLink> {
        if self.signing.as_deref() == Some(key_id) {
            Some(SessionLink::Signs)
        } else if self.source.as_deref() == Some(key_id) {
            Some(SessionLink::SourceProfile)
        } else if self.user.as_deref() == Some(user) {
            Some(SessionLink::CallersUser)
        } else {
            None
        }
    }
}

/// The user name in an IAM user ARN (`arn:aws:iam::1:user/path/name` → `name`).
pub fn user_of_arn(arn: &str) -> Option<&str> {
    let resource = arn.splitn(6, ':').nth(5)?;
    if !arn.starts_with("arn:") || arn.split(':').nth(2) != Some("iam") {
        return None;
    }
    resource.strip_prefix("user/")?.rsplit('/').next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn use_was_recorded_from_april_2015() {
        assert_eq!(USE_RECORDED_SINCE.to_string(), "2015-04-22T00:00:00Z");
        assert!(!never_means_never("2014-06-01T00:00:00Z".parse().unwrap()));
        assert!(never_means_never("2016-06-01T00:00:00Z".parse().unwrap()));
    }

    #[test]
    fn user_arns_name_their_user() {
        assert_eq!(user_of_arn("arn:aws:iam::123:user/alice"), Some("alice"));
        assert_eq!(user_of_arn("arn:aws:iam::123:user/ops/eu/bob"), Some("bob"));
        assert_eq!(
            user_of_arn("arn:aws-us-gov:iam::123:user/carol"),
            Some("carol")
        );
        assert_eq!(user_of_arn("arn:aws:sts::123:assumed-role/Admin/s"), None);
        assert_eq!(user_of_arn("arn:aws:iam::123:root"), None);
        assert_eq!(user_of_arn("arn:aws:iam::123:role/x"), None);
    }

    #[test]
    fn session_links_in_order_of_directness() {
        let keys = SessionKeys {
            signing: Some("ASIA1".into()),
            source: Some("AKIA2".into()),
            user: Some("alice".into()),
        };
        assert_eq!(keys.link("bob", "ASIA1"), Some(SessionLink::Signs));
        assert_eq!(keys.link("bob", "AKIA2"), Some(SessionLink::SourceProfile));
        assert_eq!(keys.link("alice", "AKIA3"), Some(SessionLink::CallersUser));
        assert_eq!(keys.link("bob", "AKIA3"), None);
    }
}

/// What the details dialog shows of a user beyond its keys (read on demand).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserDetails {
    pub groups: Vec<String>,
    pub attached_policies: Vec<String>,
    pub inline_policies: Vec<String>,
    /// MFA device serial numbers (ARNs for virtual devices).
    pub mfa_devices: Vec<String>,
    pub console: ConsolePassword,
}

/// Whether the user can sign in to the console with a password.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConsolePassword {
    None,
    Enabled { last_used: Option<Timestamp> },
}
