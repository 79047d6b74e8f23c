//! Asking the person at the terminal before a headless command changes IAM.
//! The question goes to the controlling terminal (`/dev/tty`), not stdout, so
//! a command whose output is piped still asks; without a terminal it cannot
//! ask, and the command needs `--yes`.
//!
//! Keys typed before the question is on screen (while the command loads,
//! say) are thrown away first, as the dashboard ignores confirming keys for a
//! quarter second after a dialog opens: `1⏎` typed ahead never answers "Type
//! 1 to go on". And the plan the question is about is on the terminal too
//! when stdout goes to a file or a pipe.

use std::fs::File;
use std::io::{BufRead, BufReader, IsTerminal, Write};

/// Why a headless command did not go on.
#[derive(Debug, PartialEq, Eq)]
pub enum NotConfirmed {
    /// No terminal to ask on: the command needs `--yes`.
    NoTerminal,
    /// The answer was not the one asked for.
    Declined,
}

impl NotConfirmed {
    pub fn message(&self) -> &'static str {
        match self {
            NotConfirmed::NoTerminal => {
                "there is no terminal to confirm on: run it with --yes (after --dry-run)"
            }
            NotConfirmed::Declined => "not confirmed: nothing was changed",
        }
    }
}

/// Asks `question` and goes on only if the answer is exactly `expected`
/// (`yes`, or the number of keys).
pub fn confirm(question: &str, expected: &str) -> Result<(), NotConfirmed> {
    confirm_plan("", question, expected)
}

/// Like [`confirm`], about `plan` (the text the command printed on stdout):
/// when stdout is not a terminal, `plan` is written to the terminal first,
/// so the person answering sees what they agree to.
pub fn confirm_plan(plan: &str, question: &str, expected: &str) -> Result<(), NotConfirmed> {
    let tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .map_err(|_| NotConfirmed::NoTerminal)?;
    let plan = if std::io::stdout().is_terminal() {
        ""
    } else {
        plan
    };
    let answer = ask_on(&tty, plan, question).map_err(|_| NotConfirmed::NoTerminal)?;
    if answer.trim() == expected {
        Ok(())
    } else {
        Err(NotConfirmed::Declined)
    }
}

/// Writes `plan` and `question` to `tty`, drops whatever was typed before
/// the question, and reads the answer's line.
fn ask_on(tty: &File, plan: &str, question: &str) -> std::io::Result<String> {
    let mut writer = tty;
    writer.write_all(crate::core::sanitize::keep_layout(plan).as_bytes())?;
    // Input typed so far was typed before anyone could read the question.
    rustix::termios::tcflush(tty, rustix::termios::QueueSelector::IFlush)?;
    write!(writer, "{} ", crate::core::sanitize::server_text(question))?;
    writer.flush()?;
    let mut answer = String::new();
    BufReader::new(tty).read_line(&mut answer)?;
    Ok(answer)
}
