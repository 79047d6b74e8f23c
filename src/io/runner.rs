//! The choke point at run time: every change iamkeys makes — from the
//! dashboard, a bulk plan, a rotation, a headless command or an undo — runs
//! here. Read-only mode refuses it with the reason; otherwise it is written
//! ahead to the journal (an intent: without a journal nothing is changed,
//! unless `--no-journal`), goes to IAM through `iam::changes` (preconditions
//! checked against the server, the session's keys guarded), and its outcome
//! is journaled after. Journal writes run on tokio's blocking threads, never
//! on the runtime's workers.

use crate::aws::{IamClient, IamError};
use crate::core::change::{ChangeOutcome, KeyChange};
use crate::core::model::{KeyStatus, LastUsed, SessionKeys};
use crate::io::journal::{Entry, Journal, JournalAction, Outcome};

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
    /// For an undo: the entry (its id) it changes back.
    pub undoes_entry: Option<String>,
    /// For an undo that reactivates: when iamkeys deactivated the key. A key
    /// used since was active since, so its status now was set elsewhere: the
    /// undo leaves it.
    pub unused_since: Option<jiff::Timestamp>,
}

impl Operation {
    pub fn new(source: &'static str) -> Self {
        Self {
            id: crate::io::journal::new_operation_id(),
            source,
            undoes: None,
            undoes_entry: None,
            unused_since: None,
        }
    }

    /// A change of undo operation `id` that changes back `entry`.
    pub fn undoing(id: &str, entry: &Entry) -> Self {
        let reactivates = entry.action == JournalAction::Deactivate;
        Self {
            id: id.to_string(),
            source: "undo",
            undoes: Some(entry.operation.clone()),
            undoes_entry: entry.id.clone(),
            unused_since: reactivates.then(|| entry.time.parse().ok()).flatten(),
        }
    }
}

/// A change's result, and why it could not be journaled if it could not.
#[derive(Debug)]
pub struct Recorded {
    pub result: Result<ChangeOutcome, IamError>,
    pub journal_error: Option<String>,
}

/// A change whose intent is in the journal: its outcome is still to come.
#[derive(Debug)]
pub struct Begun {
    id: String,
}

/// What one request for a change answered: the outcome and IAM's request id.
pub type Answer = Result<(ChangeOutcome, Option<String>), IamError>;

/// Slack for the clocks and IAM's last-use recording around a deactivation:
/// a use this soon after it may be the last one before it.
const USE_SLACK: jiff::SignedDuration = jiff::SignedDuration::from_secs(120);

impl Runner {
    /// Runs `change` as part of `operation`, journaled ahead and after. A
    /// change refused in read-only mode, or whose intent cannot be journaled,
    /// reaches neither IAM nor the journal.
    pub async fn run(&self, change: &KeyChange, operation: &Operation) -> Recorded {
        let begun = match self.begin(change, operation).await {
            Ok(begun) => begun,
            Err(refused) => return refused,
        };
        let answer = self.attempt(change, operation).await;
        self.finish(begun, change, operation, answer, 1).await
    }

    /// Read-only refusal, then the intent journaled. `Err` is the refusal,
    /// as the change's result.
    pub async fn begin(
        &self,
        change: &KeyChange,
        operation: &Operation,
    ) -> Result<Begun, Recorded> {
        if self.read_only {
            return Err(Recorded {
                result: Err(refused_read_only(change)),
                journal_error: None,
            });
        }
        let id = crate::io::journal::new_entry_id();
        let intent = self.intent(change, operation, &id);
        match self.write(intent).await {
            Ok(()) => Ok(Begun { id }),
            Err(why) => Err(Recorded {
                result: Err(IamError::precondition(
                    change.operation(),
                    no_journal_refusal(&why),
                )),
                journal_error: None,
            }),
        }
    }

    /// One request for `change` (an undo's checks first).
    pub async fn attempt(&self, change: &KeyChange, operation: &Operation) -> Answer {
        if let Some(since) = operation.unused_since {
            self.unused_since(change, since).await?;
        }
        crate::aws::changes::apply_with_request_id(&self.client, change, &self.session).await
    }

    /// The outcome journaled: one line per change, however many `attempts`.
    pub async fn finish(
        &self,
        begun: Begun,
        change: &KeyChange,
        operation: &Operation,
        answer: Answer,
        attempts: u32,
    ) -> Recorded {
        let mut entry = self.entry(change, operation, &answer);
        entry.id = Some(begun.id);
        entry.attempts = Some(attempts);
        let journal_error = self.write(entry).await.err();
        if let Some(why) = &journal_error {
            tracing::error!(%why, "the change was made but its outcome could not be journaled");
        }
        Recorded {
            result: answer.map(|(outcome, _)| outcome),
            journal_error,
        }
    }

    /// Appends on a blocking thread.
    async fn write(&self, entry: Entry) -> Result<(), String> {
        let journal = self.journal.clone();
        tokio::task::spawn_blocking(move || journal.append(&entry))
            .await
            .unwrap_or_else(|e| Err(format!("the journal's writer stopped: {e}")))
    }

    /// Refuses to reactivate a key used after `since` (when iamkeys
    /// deactivated it): it was active again since, and whoever made it
    /// inactive now did so on purpose.
    async fn unused_since(
        &self,
        change: &KeyChange,
        since: jiff::Timestamp,
    ) -> Result<(), IamError> {
        let KeyChange::SetStatus {
            key_id,
            to: KeyStatus::Active,
            ..
        } = change
        else {
            return Ok(());
        };
        match self.client.key_last_used(key_id).await? {
            LastUsed::Used { at, .. } if at > since + USE_SLACK => Err(IamError::precondition(
                change.operation(),
                format!(
                    "{key_id} was used at {at}, after iamkeys deactivated it at {since}: it was active since, and its status now was set elsewhere; left as it is"
                ),
            )),
            _ => Ok(()),
        }
    }

    /// The fields every entry of `change` has, before its outcome.
    fn base(&self, change: &KeyChange, operation: &Operation) -> Entry {
        let status = |s: KeyStatus| Some(s.as_str().to_string());
        let (action, before, after) = match change {
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
        Entry {
            time: jiff::Timestamp::now()
                .strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
                .to_string(),
            operation: operation.id.clone(),
            source: operation.source.to_string(),
            account: self.account.clone(),
            caller_arn: self.caller_arn.clone(),
            user: change.user().to_string(),
            key_id: change.key_id().map(str::to_string),
            action,
            status_before: before,
            status_after: after,
            request_id: None,
            result: Outcome::Intent,
            error: None,
            undoes: operation.undoes.clone(),
            id: None,
            undoes_entry: operation.undoes_entry.clone(),
            attempts: None,
        }
    }

    /// The line written before the request.
    fn intent(&self, change: &KeyChange, operation: &Operation, id: &str) -> Entry {
        Entry {
            id: Some(id.to_string()),
            ..self.base(change, operation)
        }
    }

    /// The line written after it.
    fn entry(&self, change: &KeyChange, operation: &Operation, result: &Answer) -> Entry {
        let mut entry = self.base(change, operation);
        let created = match result {
            Ok((ChangeOutcome::Created { key, .. }, _)) => Some(key.key.id.clone()),
            Ok((ChangeOutcome::CreatedSecretLost { key }, _)) => Some(key.id.clone()),
            _ => None,
        };
        entry.key_id = entry.key_id.or(created);
        let (outcome, request_id, error) = match result {
            Ok((ChangeOutcome::AlreadyInStatus, _)) => {
                entry.status_before = entry.status_after.clone();
                (Outcome::Already, None, None)
            }
            Ok((_, request_id)) => (Outcome::Ok, request_id.clone(), None),
            Err(err) if err.kind() == crate::core::ErrorKind::NoSuchEntity => {
                (Outcome::Gone, err.request_id.clone(), Some(err.to_string()))
            }
            Err(err) => (
                Outcome::Failed,
                err.request_id.clone(),
                Some(err.to_string()),
            ),
        };
        if matches!(outcome, Outcome::Failed | Outcome::Gone) {
            entry.status_after = entry.status_before.clone();
        }
        entry.result = outcome;
        entry.request_id = request_id;
        entry.error = error;
        entry
    }
}

/// The refusal when the journal cannot take a change's intent.
pub fn no_journal_refusal(why: &str) -> String {
    format!(
        "{why}: nothing was changed (without a journal undo cannot work; --no-journal goes on without one)"
    )
}

/// The refusal of read-only mode.
pub fn refused_read_only(change: &KeyChange) -> IamError {
    IamError::precondition(
        change.operation(),
        crate::core::change::read_only_refusal(change.what()),
    )
}
