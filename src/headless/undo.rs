//! `iamkeys undo [--last N] [--yes]`: reactivates the keys that the journal's
//! last operation (or last N entries) deactivated, through the runner, and
//! says which entries cannot be undone.

use crate::change::KeyChange;
use crate::iam::model::KeyStatus;
use crate::journal::plan_undo;
use crate::runner::{Operation, Runner, refused_read_only};

use super::{EXIT_FAILED, EXIT_OK, EXIT_REFUSED, ask};

pub async fn run(runner: Runner, last: Option<usize>, yes: bool) -> u8 {
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
    let plan = plan_undo(&entries, last);
    if plan.operations.is_empty() {
        eprintln!(
            "iamkeys: nothing to undo in {}",
            runner.journal.path().display()
        );
        return EXIT_OK;
    }
    println!(
        "undo {}: reactivate {} keys",
        plan.operations.join(", "),
        plan.reactivate.len()
    );
    for e in &plan.reactivate {
        println!(
            "  {}\t{}\tdeactivated {}",
            e.user,
            e.key_id.as_deref().unwrap_or("-"),
            e.time
        );
    }
    if !plan.cannot.is_empty() {
        println!("cannot be undone: {} entries", plan.cannot.len());
        for (e, why) in &plan.cannot {
            println!(
                "  {}\t{}\t{:?}\t{why}",
                e.user,
                e.key_id.as_deref().unwrap_or("-"),
                e.action
            );
        }
    }
    if plan.reactivate.is_empty() {
        return EXIT_OK;
    }
    let sample = KeyChange::SetStatus {
        user: String::new(),
        key_id: String::new(),
        to: KeyStatus::Active,
        signing_confirmed: false,
    };
    if runner.read_only {
        eprintln!("iamkeys: {}", refused_read_only(&sample).message);
        return EXIT_REFUSED;
    }
    if !yes {
        let count = plan.reactivate.len();
        if let Err(not) = ask::confirm(
            &format!("Reactivate {count} keys? Type {count} to go on:"),
            &count.to_string(),
        ) {
            eprintln!("iamkeys: {}", not.message());
            return EXIT_REFUSED;
        }
    }
    let id = crate::journal::new_operation_id();
    let mut failed = 0;
    for entry in &plan.reactivate {
        let Some(key_id) = &entry.key_id else {
            continue;
        };
        let operation = Operation {
            id: id.clone(),
            source: "undo",
            undoes: Some(entry.operation.clone()),
        };
        let change = KeyChange::SetStatus {
            user: entry.user.clone(),
            key_id: key_id.clone(),
            to: KeyStatus::Active,
            signing_confirmed: false,
        };
        let recorded = runner.run(&change, &operation).await;
        match recorded.result {
            Ok(_) => println!("reactivated\t{}\t{key_id}", entry.user),
            Err(err) => {
                failed += 1;
                println!("failed\t{}\t{key_id}\t{err}", entry.user);
            }
        }
        if let Some(why) = recorded.journal_error {
            eprintln!("iamkeys: not journaled ({key_id}): {why}");
        }
    }
    if failed > 0 { EXIT_FAILED } else { EXIT_OK }
}
