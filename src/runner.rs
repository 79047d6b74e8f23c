//! The choke point at run time: every change iamkeys makes — from the
//! dashboard, a bulk plan, a rotation, a headless command or an undo — runs
//! here. Read-only mode refuses it with the reason; otherwise it goes to IAM
//! through `iam::changes` (preconditions checked against the server, the
//! session's keys guarded) and is written to the journal.

use crate::change::{ChangeOutcome, KeyChange};
use crate::iam::model::{KeyStatus, SessionKeys};
use crate::iam::{IamClient, IamError};
use crate::journal::{Entry, Journal, JournalAction, Outcome};

#[derive(Clone, Debug)]
pub struct Runner {
    pub client: IamClient,
    pub session: SessionKeys,
    pub journal: Journal,
    pub read_only: bool,
    pub account: String,
    pub caller_arn: String,
}

/// Which operation a change belongs to, and what started it (for the journal).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operation {
    pub id: String,
    pub source: &'static str,
    /// For an undo: the operation it undoes.
    pub undoes: Option<String>,
}

impl Operation {
    pub fn new(source: &'static str) -> Self {
        Self {
            id: crate::journal::new_operation_id(),
            source,
            undoes: None,
        }
    }
}

/// A change's result, and why it could not be journaled if it could not.
#[derive(Debug)]
pub struct Recorded {
    pub result: Result<ChangeOutcome, IamError>,
    pub journal_error: Option<String>,
}

impl Runner {
    /// Runs `change` as part of `operation` and journals what happened. A
    /// change refused in read-only mode reaches neither IAM nor the journal.
    pub async fn run(&self, change: &KeyChange, operation: &Operation) -> Recorded {
        if self.read_only {
            return Recorded {
                result: Err(refused_read_only(change)),
                journal_error: None,
            };
        }
        let result =
            crate::iam::changes::apply_with_request_id(&self.client, change, &self.session).await;
        let entry = self.entry(change, operation, &result);
        let journal_error = self.journal.append(&entry).err();
        if let Some(why) = &journal_error {
            tracing::error!(%why, "the change was made but could not be journaled");
        }
        Recorded {
            result: result.map(|(outcome, _)| outcome),
            journal_error,
        }
    }

    fn entry(
        &self,
        change: &KeyChange,
        operation: &Operation,
        result: &Result<(ChangeOutcome, Option<String>), IamError>,
    ) -> Entry {
        let status = |s: KeyStatus| Some(s.as_str().to_string());
        let (action, mut before, after) = match change {
            KeyChange::SetStatus { to, .. } => (
                match to {
                    KeyStatus::Active => JournalAction::Activate,
                    _ => JournalAction::Deactivate,
                },
                status(match to {
                    KeyStatus::Active => KeyStatus::Inactive,
                    _ => KeyStatus::Active,
                }),
                status(*to),
            ),
            KeyChange::Create { .. } => (JournalAction::Create, None, status(KeyStatus::Active)),
            KeyChange::Delete { allow_active, .. } => (
                JournalAction::Delete,
                (!allow_active).then(|| "Inactive".to_string()),
                None,
            ),
        };
        let created = match result {
            Ok((ChangeOutcome::Created { key, .. }, _)) => Some(key.key.id.clone()),
            Ok((ChangeOutcome::CreatedSecretLost { key }, _)) => Some(key.id.clone()),
            _ => None,
        };
        let (outcome, request_id, error) = match result {
            Ok((ChangeOutcome::AlreadyInStatus, _)) => {
                before = after.clone();
                (Outcome::Already, None, None)
            }
            Ok((_, request_id)) => (Outcome::Ok, request_id.clone(), None),
            Err(err) => (
                Outcome::Failed,
                err.request_id.clone(),
                Some(err.to_string()),
            ),
        };
        let failed = outcome == Outcome::Failed;
        Entry {
            time: jiff::Timestamp::now()
                .strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
                .to_string(),
            operation: operation.id.clone(),
            source: operation.source.to_string(),
            account: self.account.clone(),
            caller_arn: self.caller_arn.clone(),
            user: change.user().to_string(),
            key_id: change.key_id().map(str::to_string).or(created),
            action,
            status_before: before.clone(),
            status_after: if failed { before } else { after },
            request_id,
            result: outcome,
            error,
            undoes: operation.undoes.clone(),
        }
    }
}

/// The refusal of read-only mode.
pub fn refused_read_only(change: &KeyChange) -> IamError {
    IamError::precondition(
        change.operation(),
        crate::change::read_only_refusal(change.what()),
    )
}
