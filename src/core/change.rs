//! The one vocabulary of changes to IAM: every toggle, create, delete, undo
//! (and later rotation and bulk steps) is a [`KeyChange`] that passes the one
//! choke point in `update`, runs as one effect and comes back as one result.

use crate::core::IamError;
use crate::core::model::{AccessKey, KeyStatus, NewKey};

/// Identifies a request: the load generation current when it was issued and a
/// sequence number that grows with every request. Its reply echoes it, and
/// `update` applies a reply only if nothing newer is known about that user.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ticket {
    pub generation: u64,
    pub seq: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyChange {
    SetStatus {
        user: String,
        key_id: String,
        to: KeyStatus,
        /// The administrator typed this key's id: it is the key this session signs with.
        signing_confirmed: bool,
    },
    Create {
        user: String,
        description: Option<String>,
    },
    Delete {
        user: String,
        key_id: String,
        had_description: bool,
        /// Delete even if Active: only for a key whose secret nobody ever saw.
        allow_active: bool,
        signing_confirmed: bool,
    },
}

impl KeyChange {
    pub fn user(&self) -> &str {
        match self {
            KeyChange::SetStatus { user, .. }
            | KeyChange::Create { user, .. }
            | KeyChange::Delete { user, .. } => user,
        }
    }

    pub fn key_id(&self) -> Option<&str> {
        match self {
            KeyChange::SetStatus { key_id, .. } | KeyChange::Delete { key_id, .. } => Some(key_id),
            KeyChange::Create { .. } => None,
        }
    }

    /// The IAM operation that makes this change.
    pub fn operation(&self) -> &'static str {
        match self {
            KeyChange::SetStatus { .. } => "UpdateAccessKey",
            KeyChange::Create { .. } => "CreateAccessKey",
            KeyChange::Delete { .. } => "DeleteAccessKey",
        }
    }

    /// What it is, for a refusal ("read-only mode: deleting keys is disabled").
    pub fn what(&self) -> &'static str {
        match self {
            KeyChange::SetStatus { .. } => "changing a key's status",
            KeyChange::Create { .. } => "creating keys",
            KeyChange::Delete { .. } => "deleting keys",
        }
    }

    /// What it does, for messages ("deactivate", "create a key for", "delete").
    pub fn verb(&self) -> &'static str {
        match self {
            KeyChange::SetStatus {
                to: KeyStatus::Active,
                ..
            } => "activate",
            KeyChange::SetStatus { .. } => "deactivate",
            KeyChange::Create { .. } => "create a key for",
            KeyChange::Delete { .. } => "delete",
        }
    }

    /// What it did, for results ("activated", "deactivated", "created a key for", "deleted").
    pub fn done(&self) -> &'static str {
        match self {
            KeyChange::SetStatus {
                to: KeyStatus::Active,
                ..
            } => "activated",
            KeyChange::SetStatus { .. } => "deactivated",
            KeyChange::Create { .. } => "created a key for",
            KeyChange::Delete { .. } => "deleted",
        }
    }

    /// `AKIA… of alice`, or `alice` for a create.
    pub fn subject(&self) -> String {
        match self.key_id() {
            Some(key_id) => format!("{key_id} of {}", self.user()),
            None => self.user().to_string(),
        }
    }
}

/// The one sentence read-only mode refuses with, wherever it refuses.
pub fn read_only_refusal(what: &str) -> String {
    format!("read-only mode (--read-only): {what} is disabled")
}

/// What a change did, as the server's answers tell it.
#[derive(Clone, Debug, PartialEq)]
pub enum ChangeOutcome {
    /// UpdateAccessKey ran: the key now has the status asked for.
    StatusSet,
    /// The server already had the key in that status: nothing was sent.
    AlreadyInStatus,
    Created {
        key: NewKey,
        /// The key exists but its description could not be stored.
        description_error: Option<IamError>,
    },
    /// CreateAccessKey's reply was lost, but the key was made: nobody saw its secret.
    CreatedSecretLost { key: AccessKey },
    Deleted {
        /// The key is gone but its description tag could not be removed.
        untag_error: Option<IamError>,
    },
}

/// What a user's key listing must show once a change has propagated: IAM is
/// eventually consistent, and a read right after a change may show the old state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expectation {
    Status { key_id: String, status: KeyStatus },
    Present { key_id: String },
    Absent { key_id: String },
}

impl Expectation {
    /// What the answer `outcome` to `change` leads the listing to show.
    pub fn after(change: &KeyChange, outcome: &ChangeOutcome) -> Option<Self> {
        match (change, outcome) {
            (KeyChange::SetStatus { key_id, to, .. }, _) => Some(Self::Status {
                key_id: key_id.clone(),
                status: *to,
            }),
            (_, ChangeOutcome::Created { key, .. }) => Some(Self::Present {
                key_id: key.key.id.clone(),
            }),
            (_, ChangeOutcome::CreatedSecretLost { key }) => Some(Self::Present {
                key_id: key.id.clone(),
            }),
            (KeyChange::Delete { key_id, .. }, ChangeOutcome::Deleted { .. }) => {
                Some(Self::Absent {
                    key_id: key_id.clone(),
                })
            }
            _ => None,
        }
    }

    /// Whether `keys` (a fresh listing) shows the change.
    pub fn met_by(&self, keys: &[AccessKey]) -> bool {
        let find = |id: &str| keys.iter().find(|k| k.id == id);
        match self {
            Self::Status { key_id, status } => find(key_id).is_some_and(|k| k.status == *status),
            Self::Present { key_id } => find(key_id).is_some(),
            Self::Absent { key_id } => find(key_id).is_none(),
        }
    }

    /// How a listing that still disagrees reads, for the status line.
    pub fn unmet(&self) -> String {
        match self {
            Self::Status { key_id, status } => {
                format!("IAM does not show {key_id} {} yet", status.as_str())
            }
            Self::Present { key_id } => format!("IAM does not list {key_id} yet"),
            Self::Absent { key_id } => format!("IAM still lists {key_id}"),
        }
    }
}

/// Why a key's status keeps it out of a bulk run: the one definition of
/// eligibility, for the dashboard's plan and the headless one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotEligible {
    /// Deactivating: it is inactive already.
    InactiveAlready,
    /// Deleting: an active key is deactivated first.
    ActiveKey,
    /// The server sent no status iamkeys knows: never acted on.
    UnknownStatus,
}

/// Whether a key of `status` may be deactivated (`deactivating`) or deleted in bulk.
pub fn bulk_eligibility(deactivating: bool, status: KeyStatus) -> Result<(), NotEligible> {
    match (deactivating, status) {
        (_, KeyStatus::Unknown) => Err(NotEligible::UnknownStatus),
        (true, KeyStatus::Inactive) => Err(NotEligible::InactiveAlready),
        (false, KeyStatus::Active) => Err(NotEligible::ActiveKey),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod eligibility_tests {
    use super::*;

    #[test]
    fn deactivation_takes_active_keys_deletion_inactive_ones_and_unknown_is_never_acted_on() {
        assert_eq!(bulk_eligibility(true, KeyStatus::Active), Ok(()));
        assert_eq!(
            bulk_eligibility(true, KeyStatus::Inactive),
            Err(NotEligible::InactiveAlready)
        );
        assert_eq!(bulk_eligibility(false, KeyStatus::Inactive), Ok(()));
        assert_eq!(
            bulk_eligibility(false, KeyStatus::Active),
            Err(NotEligible::ActiveKey)
        );
        assert_eq!(
            bulk_eligibility(false, KeyStatus::Unknown),
            Err(NotEligible::UnknownStatus)
        );
        assert_eq!(KeyStatus::from_name("Active"), KeyStatus::Active);
        assert_eq!(KeyStatus::from_name("active"), KeyStatus::Unknown);
    }
}
