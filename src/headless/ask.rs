//! Asking the person at the terminal before a headless command changes IAM.
//! The question goes to the controlling terminal (`/dev/tty`), not stdout, so
//! a command whose output is piped still asks; without a terminal it cannot
//! ask, and the command needs `--yes`.

use std::io::{BufRead, BufReader, Write};

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
    let tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .map_err(|_| NotConfirmed::NoTerminal)?;
    let mut writer = tty.try_clone().map_err(|_| NotConfirmed::NoTerminal)?;
    write!(writer, "{question} ").map_err(|_| NotConfirmed::NoTerminal)?;
    writer.flush().map_err(|_| NotConfirmed::NoTerminal)?;
    let mut answer = String::new();
    BufReader::new(tty)
        .read_line(&mut answer)
        .map_err(|_| NotConfirmed::NoTerminal)?;
    if answer.trim() == expected {
        Ok(())
    } else {
        Err(NotConfirmed::Declined)
    }
}
