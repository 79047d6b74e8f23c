//! Every exit code of iamkeys, in one place. The README's tables list them.

/// How a command ended. `main` turns it into the process's exit status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    /// Done: everything was read (and nothing failed a gate), or changed.
    Ok = 0,
    /// Failed: no credentials, the users or accounts could not be listed, IAM
    /// silent too long, a key not changed, stdout not written.
    Failed = 1,
    /// Refused before any change: bad flags or config, not confirmed,
    /// read-only mode, no usable journal, no terminal for the dashboard.
    Refused = 2,
    /// Partial: some records (users, keys, last uses, accounts) could not be
    /// read; the rest was written.
    Partial = 3,
    /// `--fail-on`: a record that is not exempt has a finding named.
    Findings = 4,
    /// `rotate`: the new key could not be proven; the old key is untouched.
    NotVerified = 5,
}

impl Exit {
    /// The exit status.
    pub const fn code(self) -> u8 {
        self as u8
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(exit: Exit) -> Self {
        std::process::ExitCode::from(exit.code())
    }
}

#[cfg(test)]
mod tests {
    use super::Exit;

    #[test]
    fn the_codes_are_the_documented_ones() {
        let codes: Vec<u8> = [
            Exit::Ok,
            Exit::Failed,
            Exit::Refused,
            Exit::Partial,
            Exit::Findings,
            Exit::NotVerified,
        ]
        .iter()
        .map(|e| e.code())
        .collect();
        assert_eq!(codes, vec![0, 1, 2, 3, 4, 5]);
    }
}
