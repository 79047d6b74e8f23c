//! Domain types for IAM users and access keys, free of SDK types.

use jiff::Timestamp;

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
}

impl KeyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyStatus::Active => "Active",
            KeyStatus::Inactive => "Inactive",
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
