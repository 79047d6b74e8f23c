//! Changing many keys at once (the dashboard's marked keys, `iamkeys
//! deactivate|delete --filter`): each key is one [`KeyChange`] through the
//! runner, with the loader's rules — a bounded number in flight, and while IAM
//! throttles, a pace at what it lets through.

use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::time::Instant;

use futures_util::StreamExt;

use crate::aws::pace::Pace;
use crate::core::ErrorKind;
use crate::core::change::KeyChange;
use crate::core::model::KeyStatus;
use crate::io::runner::{Operation, Recorded, Runner};

/// What a bulk run does to each key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BulkKind {
    Deactivate,
    /// Inactive keys only: an active key is refused by the server-side check.
    Delete,
}

impl BulkKind {
    pub fn verb(self) -> &'static str {
        match self {
            BulkKind::Deactivate => "deactivate",
            BulkKind::Delete => "delete",
        }
    }

    /// What it is, for a refusal ("deleting keys").
    pub fn what(self) -> &'static str {
        BulkItem {
            user: String::new(),
            key_id: String::new(),
            had_description: false,
        }
        .change(self)
        .what()
    }

    /// The verb at the start of a sentence or a title.
    pub fn title(self) -> &'static str {
        match self {
            BulkKind::Deactivate => "Deactivate",
            BulkKind::Delete => "Delete",
        }
    }

    pub fn done(self) -> &'static str {
        match self {
            BulkKind::Deactivate => "deactivated",
            BulkKind::Delete => "deleted",
        }
    }
}

/// One key of a bulk plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BulkItem {
    pub user: String,
    pub key_id: String,
    /// It has a description tag (removed with the key on delete).
    pub had_description: bool,
}

impl BulkItem {
    pub fn change(&self, kind: BulkKind) -> KeyChange {
        match kind {
            BulkKind::Deactivate => KeyChange::SetStatus {
                user: self.user.clone(),
                key_id: self.key_id.clone(),
                to: KeyStatus::Inactive,
                signing_confirmed: false,
            },
            BulkKind::Delete => KeyChange::Delete {
                user: self.user.clone(),
                key_id: self.key_id.clone(),
                had_description: self.had_description,
                allow_active: false,
                signing_confirmed: false,
            },
        }
    }
}

/// One change of a plan, and the operation it belongs to (for the journal).
#[derive(Clone, Debug, PartialEq)]
pub struct Planned {
    pub change: KeyChange,
    pub operation: Operation,
}

/// Throttled answers one change may get before it is given up (the loader's budget).
const THROTTLE_BUDGET: usize = 20;

/// Runs every planned change, `in_flight` at a time, calling `report` with
/// each result as it comes (in the order they finish). `T` travels with its
/// change untouched (the dashboard's ticket; `()` headless). Once `report`
/// breaks (headless: stdout is gone), no further change starts; those in
/// flight finish and are journaled, and are reported too.
pub async fn execute<T>(
    runner: &Runner,
    plan: Vec<(T, Planned)>,
    in_flight: usize,
    mut report: impl FnMut(T, Planned, Recorded) -> ControlFlow<()>,
) {
    let pace = Arc::new(Mutex::new(Pace::new(Instant::now())));
    let stopped = Arc::new(AtomicBool::new(false));
    let mut results = futures_util::stream::iter(plan)
        .map(|(tag, planned)| {
            let pace = pace.clone();
            let stopped = stopped.clone();
            async move {
                if stopped.load(Ordering::SeqCst) {
                    return None;
                }
                let recorded = run_one(runner, &planned, &pace).await;
                Some((tag, planned, recorded))
            }
        })
        .buffer_unordered(in_flight.max(1));
    while let Some(done) = results.next().await {
        if let Some((tag, planned, recorded)) = done
            && report(tag, planned, recorded).is_break()
        {
            stopped.store(true, Ordering::SeqCst);
        }
    }
}

/// One change: its intent journaled once, then requests — each waiting for
/// the pace, another after a throttle (within the budget) — and its outcome
/// journaled once, with the number of attempts.
async fn run_one(runner: &Runner, planned: &Planned, pace: &Mutex<Pace>) -> Recorded {
    let (change, operation) = (&planned.change, &planned.operation);
    let begun = match runner.begin(change, operation).await {
        Ok(begun) => begun,
        Err(refused) => return refused,
    };
    let mut attempts = 0;
    loop {
        loop {
            let wait = pace
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .request(Instant::now());
            match wait {
                Ok(()) => break,
                Err(at) => tokio::time::sleep_until(at).await,
            }
        }
        let sent = Instant::now();
        attempts += 1;
        let answer = runner.attempt(change, operation).await;
        let throttled = matches!(&answer, Err(e) if e.kind() == ErrorKind::Throttled);
        {
            let mut pace = pace.lock().unwrap_or_else(|p| p.into_inner());
            if throttled {
                pace.throttled(sent, Instant::now());
            } else {
                pace.succeeded(Instant::now());
            }
        }
        if throttled && (attempts as usize) <= THROTTLE_BUDGET {
            continue;
        }
        return runner
            .finish(begun, change, operation, answer, attempts)
            .await;
    }
}
