//! The headless driver: the arguments ([`args`]), `list` and `--org`, the
//! commands that change IAM (`deactivate`, `delete`, `undo`, `rotate`) and
//! `key-owner`. They share the dashboard's loader, filter, findings and the
//! runner (the choke point that refuses in read-only mode and journals), and
//! end with one of the [`Exit`] codes. A new command is a subcommand in
//! [`args`], a module here, and its arm in `main.rs`.
//!
//! Output never panics: stdout is written with [`Out`], which turns a closed
//! or full stdout into an error the command reports (stderr, exit code
//! [`EXIT_FAILED`]); stderr with [`warn`], which drops what cannot be written.

use std::io::Write;
use std::ops::ControlFlow;

pub mod args;
pub mod ask;
pub mod bulk;
pub mod credentials_file;
pub mod evidence;
pub mod exit;
pub mod fail_on_report;
pub mod key_owner;
pub mod list;
pub mod org;
pub mod record;
pub mod rotate;
pub mod undo;

/// stdout, line by line; after the first failed write it writes nothing more
/// and remembers why.
#[derive(Debug, Default)]
pub struct Out {
    failed: Option<std::io::Error>,
}

impl Out {
    /// Writes one line. `Break` once stdout is gone.
    pub fn line(&mut self, text: std::fmt::Arguments<'_>) -> ControlFlow<()> {
        if self.failed.is_some() {
            return ControlFlow::Break(());
        }
        let mut stdout = std::io::stdout().lock();
        let written = stdout
            .write_fmt(text)
            .and_then(|()| stdout.write_all(b"\n"))
            .and_then(|()| stdout.flush());
        match written {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => {
                self.failed = Some(e);
                ControlFlow::Break(())
            }
        }
    }

    /// Why stdout could not be written, if it could not.
    pub fn failure(&self) -> Option<&std::io::Error> {
        self.failed.as_ref()
    }

    /// Says on stderr that stdout failed, if it did. True if it did.
    pub fn report_failure(&self) -> bool {
        match &self.failed {
            Some(e) => {
                warn(format_args!("cannot write to stdout: {e}"));
                true
            }
            None => false,
        }
    }
}

/// One line on stderr, `iamkeys: ` first; dropped if stderr cannot take it.
pub fn warn(text: std::fmt::Arguments<'_>) {
    let mut stderr = std::io::stderr().lock();
    let _ = stderr
        .write_all(b"iamkeys: ")
        .and_then(|()| stderr.write_fmt(text))
        .and_then(|()| stderr.write_all(b"\n"));
}

/// Runs `plan` with the bulk rules (at most `in_flight` at once, paced while
/// IAM throttles), a line on stdout per result; how many were made and how
/// many failed (the rest were not attempted: stdout went away).
async fn execute_printing(
    runner: &crate::io::runner::Runner,
    plan: Vec<crate::io::bulk::Planned>,
    in_flight: usize,
    out: &mut Out,
) -> (usize, usize) {
    let (mut done, mut failed) = (0, 0);
    let plan = plan.into_iter().map(|planned| ((), planned)).collect();
    crate::io::bulk::execute(runner, plan, in_flight, |(), planned, recorded| {
        let (made, flow) = print_result(out, &planned, &recorded);
        if made {
            done += 1;
        } else {
            failed += 1;
        }
        flow
    })
    .await;
    (done, failed)
}

/// One change's result as a line on stdout (`deactivated`, `activated`, …,
/// or `failed` with IAM's error), a journal failure on stderr. The first
/// value: whether it was made; the second: `Break` once stdout is gone.
fn print_result(
    out: &mut Out,
    planned: &crate::io::bulk::Planned,
    recorded: &crate::io::runner::Recorded,
) -> (bool, ControlFlow<()>) {
    use crate::core::sanitize::server_text;
    let change = &planned.change;
    let user = server_text(change.user());
    let key_id = server_text(change.key_id().unwrap_or("-"));
    if let Some(why) = &recorded.journal_error {
        warn(format_args!(
            "the outcome for {key_id} was not journaled (undo will ask IAM): {}",
            server_text(why)
        ));
    }
    match &recorded.result {
        // Found so on the server (an undo of a change that never happened, say).
        Ok(crate::core::change::ChangeOutcome::AlreadyInStatus) => (
            true,
            out.line(format_args!("unchanged\t{user}\t{key_id}\talready so")),
        ),
        Ok(_) => (
            true,
            out.line(format_args!("{}\t{user}\t{key_id}", change.done())),
        ),
        Err(err) => (
            false,
            out.line(format_args!(
                "failed\t{user}\t{key_id}\t{}",
                server_text(&err.to_string())
            )),
        ),
    }
}

/// Checks the journal before the first change (off the runtime's workers).
/// `Err` is the refusal to print.
async fn journal_usable(runner: &crate::io::runner::Runner) -> Result<(), String> {
    let journal = runner.journal.clone();
    tokio::task::spawn_blocking(move || journal.check())
        .await
        .unwrap_or_else(|e| Err(format!("the journal's check stopped: {e}")))
        .map_err(|why| crate::core::sanitize::owned(&crate::io::runner::no_journal_refusal(&why)))
}

/// The exit codes as the commands return them (see [`Exit`]).
pub const EXIT_OK: u8 = Exit::Ok.code();
pub const EXIT_FAILED: u8 = Exit::Failed.code();
pub const EXIT_REFUSED: u8 = Exit::Refused.code();
pub const EXIT_PARTIAL: u8 = Exit::Partial.code();
pub const EXIT_FINDINGS: u8 = Exit::Findings.code();
pub const EXIT_NOT_VERIFIED: u8 = Exit::NotVerified.code();

pub use exit::Exit;
