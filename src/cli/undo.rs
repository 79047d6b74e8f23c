//! `iamkeys undo [--last N] [--include-foreign] [--include-old] [--yes]`:
//! changes back, entry by entry, what the journal's last operation (or last N
//! operations) changed — reactivates the keys it deactivated, deactivates
//! those it activated — through the runner, and says which entries cannot be
//! undone and which are held back. Each key is checked on the server first:
//! one found as the undo would leave it is recorded as undone; one changed
//! elsewhere since is left as it is.

use crate::core::change::read_only_refusal;
use crate::core::sanitize::server_text;
use crate::io::bulk::Planned;
use crate::io::journal::{Entry, UndoPlan, UndoScope, of_account, plan_undo};
use crate::io::runner::{Operation, Runner};

use super::{EXIT_FAILED, EXIT_OK, EXIT_REFUSED, Out, ask, warn};

/// What `undo` was asked.
#[derive(Clone, Debug)]
pub struct Request {
    /// Operations to undo (`--last N`; 1 without it).
    pub operations: usize,
    pub include_foreign: bool,
    pub include_old: bool,
    /// `[journal] undo_within_days`.
    pub within_days: u32,
    pub yes: bool,
    pub in_flight: usize,
}

pub async fn run(runner: Runner, request: Request) -> u8 {
    if !runner.journal.enabled() {
        warn(format_args!(
            "--no-journal: there is no journal to undo from"
        ));
        return EXIT_REFUSED;
    }
    let journal = runner.journal.clone();
    let read = tokio::task::spawn_blocking(move || journal.read())
        .await
        .unwrap_or_else(|e| Err(format!("the journal's reader stopped: {e}")));
    let (entries, unreadable) = match read {
        Ok(read) => read,
        Err(err) => {
            warn(format_args!("{}", server_text(&err)));
            return EXIT_FAILED;
        }
    };
    let path = server_text(&runner.journal.path().display().to_string()).into_owned();
    if unreadable > 0 {
        warn(format_args!(
            "{unreadable} lines of {path} are not journal entries and were skipped"
        ));
    }
    let scope = UndoScope {
        operations: request.operations,
        include_foreign: request.include_foreign,
        include_old: request.include_old,
        ..UndoScope::last(
            &runner.caller_arn,
            jiff::Timestamp::now(),
            request.within_days,
        )
    };
    let plan = plan_undo(&of_account(entries, &runner.account), &scope);
    let mut out = Out::default();
    let std::ops::ControlFlow::Continue(plan_text) = print_plan(&mut out, &plan) else {
        out.report_failure();
        warn(format_args!("nothing was changed"));
        return EXIT_FAILED;
    };
    if plan.is_empty() {
        warn(format_args!("nothing to undo in {path}"));
        return EXIT_OK;
    }
    if runner.read_only {
        warn(format_args!(
            "{}",
            read_only_refusal("changing a key's status")
        ));
        return EXIT_REFUSED;
    }
    if let Err(why) = super::journal_usable(&runner).await {
        warn(format_args!("{why}"));
        return EXIT_REFUSED;
    }
    let changes = plan.changes();
    if !request.yes {
        let count = changes.len();
        if let Err(not) = ask::confirm_plan(
            &plan_text,
            &format!("Undo: change {count} keys back? Type {count} to go on:"),
            &count.to_string(),
        ) {
            warn(format_args!("{}", not.message()));
            return EXIT_REFUSED;
        }
    }
    let id = crate::io::journal::new_operation_id();
    let total = changes.len();
    let plan = changes
        .into_iter()
        .map(|(change, entry)| {
            let operation = Operation::undoing(&id, &entry);
            Planned { change, operation }
        })
        .collect();
    // With the bulk rules: a bound in flight, paced while IAM throttles.
    let (done, failed) = super::execute_printing(&runner, plan, request.in_flight, &mut out).await;
    let stdout_failed = out.report_failure();
    let not_started = total - done - failed;
    warn(format_args!(
        "undo {id}: {done} keys changed back or found so, {failed} failed{}; a failed one stays in the journal for the next undo",
        if not_started > 0 {
            format!(", {not_started} not attempted (stdout is gone)")
        } else {
            String::new()
        }
    ));
    if failed > 0 || stdout_failed || not_started > 0 {
        EXIT_FAILED
    } else {
        EXIT_OK
    }
}

/// The plan on stdout (and on the terminal with the question when stdout is
/// not one): what is changed back, what cannot be, what is held back and why.
/// Returns its text; `Break` once stdout is gone.
fn print_plan(out: &mut Out, plan: &UndoPlan) -> std::ops::ControlFlow<(), String> {
    let text = plan_text(plan);
    if !text.is_empty() {
        out.line(format_args!("{}", text.trim_end_matches('\n')))?;
    }
    std::ops::ControlFlow::Continue(text)
}

fn plan_text(plan: &UndoPlan) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    // Writing to a String cannot fail: the results are ignored.
    if !plan.is_empty() {
        let _ = writeln!(
            out,
            "undo {}: reactivate {} keys, deactivate {} keys",
            server_text(&plan.operations.join(", ")),
            plan.reactivate.len(),
            plan.deactivate.len()
        );
    }
    for (e, what) in plan
        .reactivate
        .iter()
        .map(|e| (e, "reactivate"))
        .chain(plan.deactivate.iter().map(|e| (e, "deactivate")))
    {
        let _ = writeln!(
            out,
            "  {what}\t{}\t({:?} {}{})",
            named(e),
            e.action,
            server_text(&e.time),
            if e.result == crate::io::journal::Outcome::Unknown {
                ", its outcome unknown: IAM is asked"
            } else {
                ""
            }
        );
    }
    if !plan.cannot.is_empty() {
        let _ = writeln!(out, "cannot be undone: {} entries", plan.cannot.len());
        for (e, why) in &plan.cannot {
            let _ = writeln!(out, "  {}\t{:?}\t{why}", named(e), e.action);
        }
    }
    if !plan.held.is_empty() {
        let _ = writeln!(out, "held back: {} entries", plan.held.len());
        for (e, why) in &plan.held {
            let _ = writeln!(out, "  {}\t{:?}\t{why}", named(e), e.action);
        }
    }
    out
}

/// `user<TAB>key id` of an entry, sanitized (the journal is a local file).
fn named(e: &Entry) -> String {
    format!(
        "{}\t{}",
        server_text(&e.user),
        server_text(e.key_id.as_deref().unwrap_or("-"))
    )
}
