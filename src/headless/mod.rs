//! Commands without a terminal UI that change IAM: `deactivate`, `delete`,
//! `undo`, `rotate`. They share the dashboard's loader, filter, findings and
//! the runner (the choke point that refuses in read-only mode and journals).

pub mod ask;
pub mod bulk;
pub mod credentials_file;
pub mod rotate;
pub mod undo;

/// One change's result as a line on stdout (`deactivated`, `activated`, …,
/// or `failed` with IAM's error), a journal failure on stderr. True if it
/// was made.
fn print_result(planned: &crate::bulk::Planned, recorded: &crate::runner::Recorded) -> bool {
    let change = &planned.change;
    let (user, key_id) = (change.user(), change.key_id().unwrap_or("-"));
    if let Some(why) = &recorded.journal_error {
        eprintln!("iamkeys: not journaled ({key_id}): {why}");
    }
    match &recorded.result {
        Ok(_) => {
            println!("{}\t{user}\t{key_id}", change.done());
            true
        }
        Err(err) => {
            println!("failed\t{user}\t{key_id}\t{err}");
            false
        }
    }
}

/// Exit codes of the commands that change IAM.
pub const EXIT_OK: u8 = 0;
/// A key (or more) could not be changed, or the load failed.
pub const EXIT_FAILED: u8 = 1;
/// Not confirmed, bad arguments, or refused (read-only mode).
pub const EXIT_REFUSED: u8 = 2;
