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

/// Who this session is, from STS GetCallerIdentity.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Identity {
    pub account: String,
    pub arn: String,
}
