//! The journal: one JSON line per change iamkeys made to IAM (single, bulk,
//! rotation, headless, undo), appended to `--journal PATH`, else
//! `$XDG_STATE_HOME/iamkeys/journal.jsonl` (else `~/.local/state/…`), mode
//! 0600. `iamkeys undo` and the dashboard's `u` read it back.
//!
//! Never a secret: an entry names keys by id only.

use std::fs::OpenOptions;
use std::io::{BufRead, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// What a change did, in the journal's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JournalAction {
    Activate,
    Deactivate,
    Create,
    Delete,
}

/// How the change ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// IAM made the change.
    Ok,
    /// The key already had that status: nothing was sent.
    Already,
    Failed,
}

/// One line of the journal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// RFC 3339, UTC.
    pub time: String,
    /// Groups the entries of one operation (a bulk run, a rotation, an undo).
    pub operation: String,
    /// What made it: `dashboard`, `deactivate`, `delete`, `rotate`, `undo`.
    pub source: String,
    pub account: String,
    pub caller_arn: String,
    pub user: String,
    /// The key (for a creation, the new key; none if the creation failed).
    pub key_id: Option<String>,
    pub action: JournalAction,
    pub status_before: Option<String>,
    pub status_after: Option<String>,
    pub request_id: Option<String>,
    pub result: Outcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// For an undo's entries: the operation it undid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undoes: Option<String>,
}

/// Where the journal is, and appending to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Journal {
    path: PathBuf,
}

impl Journal {
    /// `--journal PATH`, else the default under the XDG state directory.
    pub fn resolve(explicit: Option<&Path>) -> Result<Self, String> {
        let path = match explicit {
            Some(path) => path.to_path_buf(),
            None => state_dir()
                .ok_or("neither XDG_STATE_HOME nor HOME is set: give --journal PATH")?
                .join("journal.jsonl"),
        };
        let path =
            std::path::absolute(&path).map_err(|e| format!("journal {}: {e}", path.display()))?;
        Ok(Self { path })
    }

    pub fn at(path: PathBuf) -> Self {
        Self { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends `entry` as one line (one `write`, with `O_APPEND`: lines of
    /// concurrent writers do not interleave). The file is made with mode 0600
    /// and never written through a symbolic link.
    pub fn append(&self, entry: &Entry) -> Result<(), String> {
        let fail = |e: std::io::Error| format!("journal {}: {e}", self.path.display());
        if let Some(dir) = self.path.parent() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(fail)?;
        }
        let mut file = OpenOptions::new()
            .append(true)
            .create(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&self.path)
            .map_err(|e| match e.raw_os_error() {
                Some(libc::ELOOP) => format!(
                    "journal {} is a symbolic link: iamkeys never writes through one",
                    self.path.display()
                ),
                _ => fail(e),
            })?;
        let meta = file.metadata().map_err(fail)?;
        if !meta.is_file() {
            return Err(format!(
                "journal {} is not a regular file",
                self.path.display()
            ));
        }
        if meta.permissions().mode() & 0o077 != 0 {
            // Made by something else, or widened since: it names keys and users.
            file.set_permissions(std::fs::Permissions::from_mode(0o600))
                .map_err(fail)?;
        }
        let mut line = serde_json::to_string(entry).map_err(|e| e.to_string())?;
        line.push('\n');
        file.write_all(line.as_bytes()).map_err(fail)?;
        file.sync_data().map_err(fail)
    }

    /// Every entry, oldest first. A missing journal is empty; a line that is
    /// not an entry is skipped and counted in the second value.
    pub fn read(&self) -> Result<(Vec<Entry>, usize), String> {
        let file = match std::fs::File::open(&self.path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), 0)),
            Err(e) => return Err(format!("journal {}: {e}", self.path.display())),
        };
        let mut entries = Vec::new();
        let mut unreadable = 0;
        for line in std::io::BufReader::new(file).lines() {
            let line = line.map_err(|e| format!("journal {}: {e}", self.path.display()))?;
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<Entry>(&line) {
                Ok(entry) => entries.push(entry),
                Err(_) => unreadable += 1,
            }
        }
        Ok((entries, unreadable))
    }
}

/// `$XDG_STATE_HOME/iamkeys`, else `~/.local/state/iamkeys`: the journal and
/// rotations in progress.
pub fn state_dir() -> Option<PathBuf> {
    std::env::var_os("XDG_STATE_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|h| !h.is_empty())
                .map(|home| PathBuf::from(home).join(".local").join("state"))
        })
        .map(|base| base.join("iamkeys"))
}

/// A new operation id: time, process and a counter, unique on this machine.
pub fn new_operation_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}-{}-{}",
        jiff::Timestamp::now().strftime("%Y%m%dT%H%M%S%.3fZ"),
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// The entries made in `account`: undo never reaches into another account
/// (one journal serves every profile, and the demo's emulator).
pub fn of_account(entries: Vec<Entry>, account: &str) -> Vec<Entry> {
    entries
        .into_iter()
        .filter(|e| e.account == account)
        .collect()
}

/// What `undo` will do with a set of entries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UndoPlan {
    /// Keys deactivated by these entries, to activate again.
    pub reactivate: Vec<Entry>,
    /// Keys activated by these entries, to deactivate again.
    pub deactivate: Vec<Entry>,
    /// Entries that cannot be undone, and why.
    pub cannot: Vec<(Entry, &'static str)>,
    /// The operations undone.
    pub operations: Vec<String>,
}

impl UndoPlan {
    /// Whether it changes anything.
    pub fn is_empty(&self) -> bool {
        self.reactivate.is_empty() && self.deactivate.is_empty()
    }

    /// The changes that undo it: (the change, the operation it undoes).
    pub fn changes(&self) -> Vec<(crate::change::KeyChange, String)> {
        use crate::iam::model::KeyStatus;
        let to = |entries: &[Entry], status: KeyStatus| {
            entries
                .iter()
                .filter_map(move |e| {
                    Some((
                        crate::change::KeyChange::SetStatus {
                            user: e.user.clone(),
                            key_id: e.key_id.clone()?,
                            to: status,
                            signing_confirmed: false,
                        },
                        e.operation.clone(),
                    ))
                })
                .collect::<Vec<_>>()
        };
        let mut changes = to(&self.reactivate, KeyStatus::Active);
        changes.extend(to(&self.deactivate, KeyStatus::Inactive));
        changes
    }
}

/// The entries undo works on: the last `last` entries that are neither an
/// undo's nor undone already, or (without `last`) those of the last
/// operation that is neither.
pub fn plan_undo(entries: &[Entry], last: Option<usize>) -> UndoPlan {
    let undone: std::collections::HashSet<&str> =
        entries.iter().filter_map(|e| e.undoes.as_deref()).collect();
    let open: Vec<&Entry> = entries
        .iter()
        .filter(|e| e.undoes.is_none() && !undone.contains(e.operation.as_str()))
        .collect();
    let chosen: Vec<&Entry> = match last {
        Some(n) => open[open.len().saturating_sub(n)..].to_vec(),
        None => match open.last() {
            Some(newest) => open
                .iter()
                .filter(|e| e.operation == newest.operation)
                .copied()
                .collect(),
            None => Vec::new(),
        },
    };
    let mut plan = UndoPlan::default();
    for entry in chosen {
        if !plan.operations.contains(&entry.operation) {
            plan.operations.push(entry.operation.clone());
        }
        let why = match (entry.action, entry.result) {
            (_, Outcome::Failed) => Some("it failed: nothing was changed"),
            (_, Outcome::Already) => Some("the key had that status already: nothing was changed"),
            (JournalAction::Deactivate | JournalAction::Activate, Outcome::Ok) => None,
            (JournalAction::Delete, _) => Some("a deleted key cannot be restored"),
            (JournalAction::Create, _) => {
                Some("a created key is not undone: delete it if it is not wanted")
            }
        };
        match why {
            None if entry.key_id.is_none() => {
                plan.cannot.push((entry.clone(), "the entry names no key"))
            }
            None if entry.action == JournalAction::Activate => plan.deactivate.push(entry.clone()),
            None => plan.reactivate.push(entry.clone()),
            Some(why) => plan.cannot.push((entry.clone(), why)),
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(op: &str, key: &str, action: JournalAction, result: Outcome) -> Entry {
        Entry {
            time: "2026-12-01T00:00:00Z".into(),
            operation: op.into(),
            source: "deactivate".into(),
            account: "123456789012".into(),
            caller_arn: "arn:aws:iam::123456789012:user/admin".into(),
            user: "carol".into(),
            key_id: Some(key.into()),
            action,
            status_before: Some("Active".into()),
            status_after: Some("Inactive".into()),
            request_id: Some("req-1".into()),
            result,
            error: None,
            undoes: None,
        }
    }

    #[test]
    fn appends_lines_with_mode_0600_and_reads_them_back() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::at(dir.path().join("state/iamkeys/journal.jsonl"));
        let first = entry("op1", "AKIA1", JournalAction::Deactivate, Outcome::Ok);
        journal.append(&first).unwrap();
        journal
            .append(&entry("op1", "AKIA2", JournalAction::Delete, Outcome::Ok))
            .unwrap();
        let mode = std::fs::metadata(journal.path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let dir_mode = std::fs::metadata(journal.path().parent().unwrap())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(dir_mode & 0o777, 0o700);
        let text = std::fs::read_to_string(journal.path()).unwrap();
        assert_eq!(text.lines().count(), 2);
        assert!(text.contains("\"action\":\"deactivate\""), "{text}");
        // A torn or foreign line is skipped, not fatal.
        std::fs::OpenOptions::new()
            .append(true)
            .open(journal.path())
            .unwrap()
            .write_all(b"{not json\n")
            .unwrap();
        let (entries, unreadable) = journal.read().unwrap();
        assert_eq!(entries[0], first);
        assert_eq!((entries.len(), unreadable), (2, 1));
    }

    #[test]
    fn a_symlinked_journal_is_never_written() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("elsewhere");
        std::fs::write(&target, "").unwrap();
        let link = dir.path().join("journal.jsonl");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let err = Journal::at(link)
            .append(&entry(
                "op",
                "AKIA1",
                JournalAction::Deactivate,
                Outcome::Ok,
            ))
            .unwrap_err();
        assert!(err.contains("symbolic link"), "{err}");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "");
    }

    #[test]
    fn undo_takes_the_last_operation_and_names_what_it_cannot_undo() {
        let mut entries = vec![
            entry("op1", "AKIA0", JournalAction::Deactivate, Outcome::Ok),
            entry("op2", "AKIA1", JournalAction::Deactivate, Outcome::Ok),
            entry("op2", "AKIA2", JournalAction::Deactivate, Outcome::Failed),
            entry("op2", "AKIA3", JournalAction::Delete, Outcome::Ok),
        ];
        let plan = plan_undo(&entries, None);
        let ids: Vec<_> = plan
            .reactivate
            .iter()
            .map(|e| e.key_id.as_deref().unwrap())
            .collect();
        assert_eq!(ids, ["AKIA1"]);
        assert_eq!(plan.cannot.len(), 2);
        assert_eq!(plan.operations, ["op2"]);
        // Once op2 is undone, the next undo goes to op1, never redoing op2.
        let mut undo = entry("op3", "AKIA1", JournalAction::Activate, Outcome::Ok);
        undo.undoes = Some("op2".into());
        entries.push(undo);
        let plan = plan_undo(&entries, None);
        assert_eq!(plan.reactivate[0].key_id.as_deref(), Some("AKIA0"));
        // --last N counts entries, across operations.
        let plan = plan_undo(&entries[..4], Some(3));
        assert_eq!(plan.reactivate.len(), 1);
        assert_eq!(plan.operations, ["op2"]);
        let plan = plan_undo(&entries[..4], Some(4));
        assert_eq!(plan.reactivate.len(), 2);
        assert!(plan_undo(&[], None).reactivate.is_empty());
        // Another account's entries are never undone from this one.
        let mut elsewhere = entry("op8", "AKIA8", JournalAction::Deactivate, Outcome::Ok);
        elsewhere.account = "210987654321".into();
        let mine = of_account(vec![entries[0].clone(), elsewhere], "123456789012");
        assert_eq!(mine.len(), 1);
        assert_eq!(
            plan_undo(&mine, None).reactivate[0].key_id.as_deref(),
            Some("AKIA0")
        );
        // An activation is undone by deactivating.
        let activated = [entry("op9", "AKIA9", JournalAction::Activate, Outcome::Ok)];
        let plan = plan_undo(&activated, None);
        assert_eq!(plan.deactivate.len(), 1);
        assert!(plan.reactivate.is_empty() && plan.cannot.is_empty());
    }
}
