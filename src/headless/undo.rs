//! `iamkeys undo [--last N] [--yes]`: reactivates the keys that the journal's
//! last operation (or last N entries) deactivated (and deactivates those it
//! activated), through the runner, and says which entries cannot be undone.

use crate::bulk::{self, Planned};
use crate::change::read_only_refusal;
use crate::journal::{of_account, plan_undo};
use crate::runner::{Operation, Runner};

use super::{EXIT_FAILED, EXIT_OK, EXIT_REFUSED, ask};

pub async fn run(runner: Runner, last: Option<usize>, yes: bool, in_flight: usize) -> u8 {
    let (entries, unreadable) = match runner.journal.read() {
        Ok(read) => read,
        Err(err) => {
            eprintln!("iamkeys: {err}");
            return EXIT_FAILED;
        }
    };
    if unreadable > 0 {
        eprintln!(
            "iamkeys: {unreadable} lines of {} are not journal entries and were skipped",
            runner.journal.path().display()
        );
    }
    let entries = of_account(entries, &runner.account);
    let plan = plan_undo(&entries, last);
    if plan.operations.is_empty() {
        eprintln!(
            "iamkeys: nothing to undo in {}",
            runner.journal.path().display()
        );
        return EXIT_OK;
    }
    let plan_text = plan_text(&plan);
    {
        use std::io::Write;
        // A closed stdout is seen by the per-key results' writes.
        let _ = std::io::stdout().lock().write_all(plan_text.as_bytes());
    }
    if plan.is_empty() {
        return EXIT_OK;
    }
    if runner.read_only {
        eprintln!("iamkeys: {}", read_only_refusal("changing a key's status"));
        return EXIT_REFUSED;
    }
    let changes = plan.changes();
    if !yes {
        let count = changes.len();
        if let Err(not) = ask::confirm_plan(
            &plan_text,
            &format!("Undo: change {count} keys back? Type {count} to go on:"),
            &count.to_string(),
        ) {
            eprintln!("iamkeys: {}", not.message());
            return EXIT_REFUSED;
        }
    }
    let id = crate::journal::new_operation_id();
    let plan = changes
        .into_iter()
        .map(|(change, undoes)| {
            let operation = Operation {
                id: id.clone(),
                source: "undo",
                undoes: Some(undoes),
            };
            ((), Planned { change, operation })
        })
        .collect();
    let mut failed = 0;
    // With the bulk rules: a bound in flight, paced while IAM throttles.
    bulk::execute(&runner, plan, in_flight, |(), planned, recorded| {
        if !super::print_result(&planned, &recorded) {
            failed += 1;
        }
    })
    .await;
    if failed > 0 { EXIT_FAILED } else { EXIT_OK }
}

/// The undo plan as printed: what is changed back, then what cannot be.
fn plan_text(plan: &crate::journal::UndoPlan) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(
        out,
        "undo {}: reactivate {} keys, deactivate {} keys",
        plan.operations.join(", "),
        plan.reactivate.len(),
        plan.deactivate.len()
    );
    for (e, what) in plan
        .reactivate
        .iter()
        .map(|e| (e, "reactivate"))
        .chain(plan.deactivate.iter().map(|e| (e, "deactivate")))
    {
        let _ = writeln!(
            out,
            "  {what}\t{}\t{}\t({:?} {})",
            e.user,
            e.key_id.as_deref().unwrap_or("-"),
            e.action,
            e.time
        );
    }
    if !plan.cannot.is_empty() {
        let _ = writeln!(out, "cannot be undone: {} entries", plan.cannot.len());
        for (e, why) in &plan.cannot {
            let _ = writeln!(
                out,
                "  {}\t{}\t{:?}\t{why}",
                e.user,
                e.key_id.as_deref().unwrap_or("-"),
                e.action
            );
        }
    }
    out
}
