//! The journal: one JSON line per change iamkeys made to IAM (single, bulk,
//! rotation, headless, undo), appended to `--journal PATH`, else
//! `$XDG_STATE_HOME/iamkeys/journal.jsonl` (else `~/.local/state/…`), mode
//! 0600. `iamkeys undo` and the dashboard's `u` read it back.
//!
//! Never a secret: an entry names keys by id only.

use std::collections::HashSet;
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
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
    /// IAM has no such key (or user) any more: nothing was changed, and
    /// nothing is left to change back. An undo's entry that found its key
    /// gone closes the entry it undoes, so a key deleted elsewhere never
    /// holds undo at its operation.
    Gone,
    /// Written before the request: what is about to be asked of IAM. Its
    /// outcome follows on a later line with the same `id`.
    Intent,
    /// Read back only: an intent whose outcome never came (the process was
    /// killed, or the outcome could not be written). Whether IAM made the
    /// change is told by IAM, not the journal. Never written.
    Unknown,
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
    /// The change's id, shared by its intent and its outcome line. Lines of
    /// earlier versions have none: reading gives them `line-N` (their line
    /// number; the journal is only ever appended to).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// For an undo's entries: the entry (its `id`) it changed back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undoes_entry: Option<String>,
    /// Requests sent for this change (more than one while IAM throttled).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempts: Option<u32>,
}

impl Entry {
    /// The id of the change (see [`Entry::id`]); empty only for an entry
    /// built in memory without one.
    pub fn change_id(&self) -> &str {
        self.id.as_deref().unwrap_or_default()
    }

    /// Whether it is an undo's entry (never undone itself: undo is a stack
    /// of the operations before it).
    pub fn is_undo(&self) -> bool {
        self.undoes.is_some() || self.undoes_entry.is_some()
    }
}

/// Where the journal is, and appending to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Journal {
    path: PathBuf,
    /// False with `--no-journal`: nothing is written or read.
    enabled: bool,
    /// `[journal] undo_within_days`.
    undo_within_days: u32,
}

/// What the refusals call the journal (see `private_file`).
const ROLE: &str = "journal";

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
        Ok(Self::at(path))
    }

    pub fn at(path: PathBuf) -> Self {
        Self {
            path,
            enabled: true,
            undo_within_days: UNDO_WITHIN_DAYS,
        }
    }

    /// With the config's `[journal] undo_within_days`.
    pub fn undoing_within(self, days: u32) -> Self {
        Self {
            undo_within_days: days,
            ..self
        }
    }

    /// How many days back undo reaches without `--include-old`.
    pub fn undo_within_days(&self) -> u32 {
        self.undo_within_days
    }

    /// `--no-journal`: changes go through unrecorded, undo finds nothing.
    pub fn disabled(self) -> Self {
        Self {
            enabled: false,
            ..self
        }
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Opens (creating it, and its 0700 directory) and checks the journal as
    /// an append would, writing nothing: the check before the first change.
    /// Blocking file I/O: call it off the async runtime's workers.
    pub fn check(&self) -> Result<(), String> {
        if !self.enabled {
            return Ok(());
        }
        self.open().map(drop)
    }

    fn open(&self) -> Result<std::fs::File, String> {
        let fail = |e: std::io::Error| format!("journal {}: {e}", self.path.display());
        if let Some(dir) = self.path.parent() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(fail)?;
        }
        let file = crate::io::private_file::open_for_append(ROLE, &self.path)?;
        let mode = file.metadata().map_err(fail)?.permissions().mode();
        if mode & 0o077 != 0 {
            // Readable by others (it names keys and users): narrowed.
            file.set_permissions(std::fs::Permissions::from_mode(0o600))
                .map_err(fail)?;
        }
        Ok(file)
    }

    /// Appends `entry` as one line (one `write`, with `O_APPEND`: lines of
    /// concurrent writers do not interleave), synced. The file must be a
    /// regular file of this user that others cannot write (never a link, a
    /// FIFO, a directory: see `private_file`); it is made with mode 0600. A
    /// last line torn by a crash (no newline) is ended first, so it never
    /// swallows this entry. Blocking file I/O: call it off the runtime.
    pub fn append(&self, entry: &Entry) -> Result<(), String> {
        if !self.enabled {
            return Ok(());
        }
        let fail = |e: std::io::Error| format!("journal {}: {e}", self.path.display());
        let mut file = self.open()?;
        let mut line = String::new();
        if !ends_with_newline(&file).map_err(fail)? {
            line.push('\n');
        }
        line.push_str(&serde_json::to_string(entry).map_err(|e| e.to_string())?);
        line.push('\n');
        file.write_all(line.as_bytes()).map_err(fail)?;
        file.sync_data().map_err(fail)
    }

    /// Every change, oldest first, an intent and its outcome read as one
    /// entry (an intent alone: [`Outcome::Unknown`]). A missing journal is
    /// empty; a line that is not an entry (torn, not UTF-8, not JSON) is
    /// skipped and counted in the second value. Blocking file I/O.
    pub fn read(&self) -> Result<(Vec<Entry>, usize), String> {
        if !self.enabled {
            return Ok((Vec::new(), 0));
        }
        let Some(mut file) = crate::io::private_file::open_for_reading(ROLE, &self.path)? else {
            return Ok((Vec::new(), 0));
        };
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(|e| format!("journal {}: {e}", self.path.display()))?;
        let (lines, unreadable) = parse_lines(&bytes);
        Ok((fold(lines), unreadable))
    }
}

/// Whether `file` is empty or ends with `\n`.
fn ends_with_newline(file: &std::fs::File) -> std::io::Result<bool> {
    use std::os::unix::fs::FileExt;
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(true);
    }
    let mut last = [0u8];
    file.read_exact_at(&mut last, len - 1)?;
    Ok(last[0] == b'\n')
}

/// The entries of the journal's lines, each without an id given `line-N`,
/// and how many lines were not entries.
fn parse_lines(bytes: &[u8]) -> (Vec<Entry>, usize) {
    let mut entries = Vec::new();
    let mut unreadable = 0;
    for (number, line) in bytes.split(|&b| b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let parsed = std::str::from_utf8(line)
            .ok()
            .and_then(|text| serde_json::from_str::<Entry>(text).ok());
        match parsed {
            Some(mut entry) => {
                if entry.id.is_none() {
                    entry.id = Some(format!("line-{}", number + 1));
                }
                entries.push(entry);
            }
            None => unreadable += 1,
        }
    }
    (entries, unreadable)
}

/// Intents and outcomes as one entry per change, in the order the changes
/// began: an outcome takes its intent's place; an intent left alone is
/// `Unknown`. A stray `intent`/`unknown` is kept as `Unknown`.
fn fold(lines: Vec<Entry>) -> Vec<Entry> {
    let mut out: Vec<Entry> = Vec::new();
    let mut at: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for mut entry in lines {
        let id = entry.change_id().to_string();
        let is_intent = matches!(entry.result, Outcome::Intent | Outcome::Unknown);
        if is_intent {
            entry.result = Outcome::Unknown;
        }
        match at.get(&id) {
            Some(&index) if !is_intent => out[index] = entry,
            Some(_) => {}
            None => {
                at.insert(id, out.len());
                out.push(entry);
            }
        }
    }
    out
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

/// A new change id (an entry's `id`): unique as operation ids are.
pub fn new_entry_id() -> String {
    format!("c{}", new_operation_id())
}

/// The entries made in `account`: undo never reaches into another account
/// (one journal serves every profile, and the demo's emulator).
pub fn of_account(entries: Vec<Entry>, account: &str) -> Vec<Entry> {
    entries
        .into_iter()
        .filter(|e| e.account == account)
        .collect()
}

/// Whether `id` has the shape of a request id IAM gives: a UUID
/// (`8-4-4-4-12` hex digits), or the emulator's (moto's) 52 letters and
/// digits. An entry claiming a change without one looks forged.
pub fn is_request_id(id: &str) -> bool {
    let uuid = id.len() == 36
        && id.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        });
    let moto = id.len() == 52 && id.chars().all(|c| c.is_ascii_alphanumeric());
    uuid || moto
}

/// Which entries undo may take, and how far back.
#[derive(Clone, Debug)]
pub struct UndoScope {
    /// How many operations (with something to change back) to undo.
    pub operations: usize,
    /// This session's identity: entries of another caller are held back.
    pub caller_arn: String,
    pub now: jiff::Timestamp,
    /// Entries older than this many days are held back (`[journal] undo_within_days`).
    pub within_days: u32,
    /// `--include-foreign`: undo entries of another caller, or without an IAM request id.
    pub include_foreign: bool,
    /// `--include-old`: undo entries older than `within_days`.
    pub include_old: bool,
}

impl UndoScope {
    /// The last operation, this caller's, within `within_days`.
    pub fn last(caller_arn: &str, now: jiff::Timestamp, within_days: u32) -> Self {
        Self {
            operations: 1,
            caller_arn: caller_arn.to_string(),
            now,
            within_days,
            include_foreign: false,
            include_old: false,
        }
    }
}

/// Days undo reaches back by default.
pub const UNDO_WITHIN_DAYS: u32 = 7;

/// What `undo` will do with a set of entries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UndoPlan {
    /// Keys deactivated by these entries, to activate again.
    pub reactivate: Vec<Entry>,
    /// Keys activated by these entries, to deactivate again.
    pub deactivate: Vec<Entry>,
    /// Entries that cannot be undone, and why.
    pub cannot: Vec<(Entry, &'static str)>,
    /// Entries held back unless confirmed (another caller, no IAM request id,
    /// too old), and why: the flag that would include them.
    pub held: Vec<(Entry, String)>,
    /// The operations undone.
    pub operations: Vec<String>,
    /// Lines of the journal that are not entries (skipped when it was read).
    pub skipped_lines: usize,
}

impl UndoPlan {
    /// Whether it changes anything.
    pub fn is_empty(&self) -> bool {
        self.reactivate.is_empty() && self.deactivate.is_empty()
    }

    /// How many keys it changes back.
    pub fn count(&self) -> usize {
        self.reactivate.len() + self.deactivate.len()
    }

    /// The changes that undo it, each with the entry it undoes.
    pub fn changes(&self) -> Vec<(crate::core::change::KeyChange, Entry)> {
        use crate::core::model::KeyStatus;
        let to = |entries: &[Entry], status: KeyStatus| {
            entries
                .iter()
                .filter_map(move |e| {
                    Some((
                        crate::core::change::KeyChange::SetStatus {
                            user: e.user.clone(),
                            key_id: e.key_id.clone()?,
                            to: status,
                            signing_confirmed: false,
                        },
                        e.clone(),
                    ))
                })
                .collect::<Vec<_>>()
        };
        let mut changes = to(&self.reactivate, KeyStatus::Active);
        changes.extend(to(&self.deactivate, KeyStatus::Inactive));
        changes
    }
}

/// The ids of the entries undone: an undo's entry that changed the key back
/// or found it so already. (Undo entries of earlier versions name only the
/// operation: they count for the entry of that operation on the same key.)
fn undone_ids(entries: &[Entry]) -> HashSet<String> {
    let mut undone = HashSet::new();
    for undo in entries.iter().filter(|e| e.is_undo()) {
        if !matches!(undo.result, Outcome::Ok | Outcome::Already | Outcome::Gone) {
            continue;
        }
        match (&undo.undoes_entry, &undo.undoes) {
            (Some(id), _) => {
                undone.insert(id.clone());
            }
            (None, Some(operation)) => undone.extend(
                entries
                    .iter()
                    .filter(|e| !e.is_undo() && &e.operation == operation)
                    .filter(|e| e.key_id.is_some() && e.key_id == undo.key_id)
                    .map(|e| e.change_id().to_string()),
            ),
            (None, None) => {}
        }
    }
    undone
}

/// Where an entry goes in the plan.
enum Verdict {
    Reactivate,
    Deactivate,
    Cannot(&'static str),
    Held(String),
}

/// Undo as a stack: the newest `scope.operations` operations that have
/// something to change back, entry by entry (an entry undone already, or an
/// undo's, is out). Operations newer than those with nothing to change back
/// (a delete, a failure) block nothing: their entries are listed under
/// `cannot`/`held`, and undo goes on to the operation before.
pub fn plan_undo(entries: &[Entry], scope: &UndoScope) -> UndoPlan {
    let undone = undone_ids(entries);
    let open: Vec<&Entry> = entries
        .iter()
        .filter(|e| !e.is_undo() && !undone.contains(e.change_id()))
        .collect();
    let mut operations: Vec<&str> = Vec::new();
    for e in &open {
        if !operations.contains(&e.operation.as_str()) {
            operations.push(&e.operation);
        }
    }
    let mut plan = UndoPlan::default();
    for operation in operations.iter().rev() {
        if plan.operations.len() >= scope.operations {
            break;
        }
        let mut acts = false;
        for (at, entry) in open.iter().enumerate() {
            if entry.operation != *operation {
                continue;
            }
            match verdict(entry, &open[at + 1..], scope) {
                Verdict::Reactivate => {
                    acts = true;
                    plan.reactivate.push((*entry).clone());
                }
                Verdict::Deactivate => {
                    acts = true;
                    plan.deactivate.push((*entry).clone());
                }
                Verdict::Cannot(why) => plan.cannot.push(((*entry).clone(), why)),
                Verdict::Held(why) => plan.held.push(((*entry).clone(), why)),
            }
        }
        if acts {
            plan.operations.push(operation.to_string());
        }
    }
    plan
}

/// What undo does with `entry`; `later` are the open entries after it.
fn verdict(entry: &Entry, later: &[&Entry], scope: &UndoScope) -> Verdict {
    let why = match (entry.action, entry.result) {
        (JournalAction::Delete, _) => Some("a deleted key cannot be restored"),
        (JournalAction::Create, _) => {
            Some("a created key is not undone: delete it if it is not wanted")
        }
        (_, Outcome::Failed) => Some("it failed: nothing was changed"),
        (_, Outcome::Gone) => Some("the key was gone: nothing was changed"),
        (_, Outcome::Already) => Some("the key had that status already: nothing was changed"),
        _ if entry.key_id.is_none() => Some("the entry names no key"),
        _ => None,
    };
    if let Some(why) = why {
        return Verdict::Cannot(why);
    }
    let changed_later = later.iter().find(|l| {
        l.key_id == entry.key_id
            && l.user == entry.user
            && matches!(l.result, Outcome::Ok | Outcome::Unknown)
    });
    match changed_later.map(|l| l.action) {
        Some(JournalAction::Delete) => {
            return Verdict::Cannot("the key was deleted by a later change");
        }
        Some(_) => {
            return Verdict::Cannot(
                "a later change of this key is not undone: undo that one first",
            );
        }
        None => {}
    }
    if let Some(why) = held_because(entry, scope) {
        return Verdict::Held(why);
    }
    match entry.action {
        JournalAction::Activate => Verdict::Deactivate,
        _ => Verdict::Reactivate,
    }
}

/// Why `entry` needs `--include-foreign` or `--include-old`, if it does.
fn held_because(entry: &Entry, scope: &UndoScope) -> Option<String> {
    if !scope.include_foreign {
        if entry.caller_arn != scope.caller_arn {
            return Some(format!(
                "made by {}, not by this session's identity: --include-foreign undoes it",
                crate::core::sanitize::server_text(&entry.caller_arn)
            ));
        }
        // An intent has no request id yet: IAM is asked what became of it.
        let forged =
            entry.result == Outcome::Ok && !entry.request_id.as_deref().is_some_and(is_request_id);
        if forged {
            return Some(
                "it carries no request id of IAM's shape: --include-foreign undoes it".into(),
            );
        }
    }
    if !scope.include_old {
        let age = entry
            .time
            .parse::<jiff::Timestamp>()
            .map(|at| crate::core::policy::days_since(at, scope.now));
        match age {
            Ok(days) if days < i64::from(scope.within_days) => {}
            Ok(days) => {
                return Some(format!(
                    "{days} days old, older than {} days: --include-old undoes it",
                    scope.within_days
                ));
            }
            Err(_) => return Some("its time is unreadable: --include-old undoes it".into()),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:iam::123456789012:user/admin";
    const REQUEST: &str = "0b7c8f4e-3d1a-4c5b-9e2f-1a2b3c4d5e6f";

    fn entry(op: &str, key: &str, action: JournalAction, result: Outcome) -> Entry {
        Entry {
            time: jiff::Timestamp::now().to_string(),
            operation: op.into(),
            source: "deactivate".into(),
            account: "123456789012".into(),
            caller_arn: ARN.into(),
            user: "carol".into(),
            key_id: Some(key.into()),
            action,
            status_before: Some("Active".into()),
            status_after: Some("Inactive".into()),
            request_id: Some(REQUEST.into()),
            result,
            error: None,
            undoes: None,
            id: Some(format!("{op}/{key}")),
            undoes_entry: None,
            attempts: None,
        }
    }

    fn undoing(target: &Entry, result: Outcome) -> Entry {
        Entry {
            operation: "undo-op".into(),
            action: JournalAction::Activate,
            undoes: Some(target.operation.clone()),
            undoes_entry: target.id.clone(),
            id: Some(format!("undo/{}", target.change_id())),
            ..entry(
                "undo-op",
                target.key_id.as_deref().unwrap(),
                JournalAction::Activate,
                result,
            )
        }
    }

    fn scope(operations: usize) -> UndoScope {
        UndoScope {
            operations,
            ..UndoScope::last(ARN, jiff::Timestamp::now(), 7)
        }
    }

    fn keys(entries: &[Entry]) -> Vec<&str> {
        entries
            .iter()
            .map(|e| e.key_id.as_deref().unwrap())
            .collect()
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
        // A foreign line is skipped, not fatal.
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
    fn a_torn_last_line_never_swallows_the_next_entry_and_bad_bytes_skip_one_line() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::at(dir.path().join("journal.jsonl"));
        let first = entry("op1", "AKIA1", JournalAction::Deactivate, Outcome::Ok);
        journal.append(&first).unwrap();
        // A crash in the middle of a write: half a line, no newline.
        let mut torn = serde_json::to_string(&first).unwrap();
        torn.truncate(torn.len() / 2);
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(journal.path())
            .unwrap();
        file.write_all(torn.as_bytes()).unwrap();
        let second = entry("op2", "AKIA2", JournalAction::Deactivate, Outcome::Ok);
        journal.append(&second).unwrap();
        // One byte that is not UTF-8 spoils its own line only.
        file.write_all(b"{\"time\":\"\xff\"}\n").unwrap();
        let third = entry("op3", "AKIA3", JournalAction::Deactivate, Outcome::Ok);
        journal.append(&third).unwrap();
        let (entries, unreadable) = journal.read().unwrap();
        assert_eq!(entries, [first, second, third]);
        assert_eq!(unreadable, 2, "the torn line and the bad byte's line");
    }

    #[test]
    fn an_intent_without_its_outcome_reads_as_unknown_and_with_it_as_one_entry() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::at(dir.path().join("journal.jsonl"));
        let intent = |key: &str| Entry {
            request_id: None,
            ..entry("op1", key, JournalAction::Deactivate, Outcome::Intent)
        };
        journal.append(&intent("AKIA1")).unwrap();
        journal.append(&intent("AKIA2")).unwrap();
        let mut done = entry("op1", "AKIA1", JournalAction::Deactivate, Outcome::Ok);
        done.attempts = Some(3);
        journal.append(&done).unwrap();
        let (entries, _) = journal.read().unwrap();
        assert_eq!(entries.len(), 2, "{entries:?}");
        assert_eq!(entries[0], done, "the outcome in its intent's place");
        assert_eq!(entries[1].result, Outcome::Unknown);
        // Unknown entries are undone after IAM is asked (no request id needed).
        let plan = plan_undo(&entries, &scope(1));
        assert_eq!(keys(&plan.reactivate), ["AKIA1", "AKIA2"]);
    }

    #[test]
    fn lines_of_the_previous_version_are_read_and_undone() {
        let old = r#"{"time":"2026-12-01T00:00:00Z","operation":"op1","source":"deactivate","account":"1","caller_arn":"a","user":"carol","key_id":"AKIA1","action":"deactivate","status_before":"Active","status_after":"Inactive","request_id":"r","result":"ok"}
{"time":"2026-12-01T00:00:01Z","operation":"op1","source":"deactivate","account":"1","caller_arn":"a","user":"carol","key_id":"AKIA2","action":"deactivate","status_before":"Active","status_after":"Inactive","request_id":"r","result":"ok"}
{"time":"2026-12-01T00:00:02Z","operation":"op2","source":"undo","account":"1","caller_arn":"a","user":"carol","key_id":"AKIA1","action":"activate","status_before":"Inactive","status_after":"Active","request_id":"r","result":"ok","undoes":"op1"}
"#;
        let (entries, unreadable) = parse_lines(old.as_bytes());
        assert_eq!((entries.len(), unreadable), (3, 0));
        assert_eq!(entries[0].change_id(), "line-1");
        let entries = fold(entries);
        // The old undo line undid AKIA1 of op1 only: AKIA2 is still open.
        let undone = undone_ids(&entries);
        assert!(undone.contains("line-1") && !undone.contains("line-2"));
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
    fn a_fifo_or_directory_journal_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
        let journal = Journal::at(fifo);
        assert!(journal.check().unwrap_err().contains("FIFO"));
        assert!(journal.read().unwrap_err().contains("FIFO"));
        let err = Journal::at(dir.path().to_path_buf()).check().unwrap_err();
        assert!(err.contains("directory"), "{err}");
        // --no-journal: nothing checked, written or read.
        let off = Journal::at(dir.path().join("fifo")).disabled();
        assert!(off.check().is_ok());
        assert_eq!(off.read().unwrap(), (Vec::new(), 0));
    }

    #[test]
    fn undo_takes_the_last_operation_and_names_what_it_cannot_undo() {
        let mut entries = vec![
            entry("op1", "AKIA0", JournalAction::Deactivate, Outcome::Ok),
            entry("op2", "AKIA1", JournalAction::Deactivate, Outcome::Ok),
            entry("op2", "AKIA2", JournalAction::Deactivate, Outcome::Failed),
            entry("op2", "AKIA3", JournalAction::Delete, Outcome::Ok),
        ];
        let plan = plan_undo(&entries, &scope(1));
        assert_eq!(keys(&plan.reactivate), ["AKIA1"]);
        assert_eq!(plan.cannot.len(), 2);
        assert_eq!(plan.operations, ["op2"]);
        // Once op2's key is undone, the next undo goes to op1, never redoing op2.
        let undo = undoing(&entries[1], Outcome::Ok);
        entries.push(undo);
        let plan = plan_undo(&entries, &scope(1));
        assert_eq!(keys(&plan.reactivate), ["AKIA0"]);
        assert_eq!(plan.operations, ["op1"]);
        // --last N counts operations.
        let plan = plan_undo(&entries[..4], &scope(2));
        assert_eq!(keys(&plan.reactivate), ["AKIA1", "AKIA0"]);
        assert_eq!(plan.operations, ["op2", "op1"]);
        assert!(plan_undo(&[], &scope(1)).reactivate.is_empty());
        // Another account's entries are never undone from this one.
        let mut elsewhere = entry("op8", "AKIA8", JournalAction::Deactivate, Outcome::Ok);
        elsewhere.account = "210987654321".into();
        let mine = of_account(vec![entries[0].clone(), elsewhere], "123456789012");
        assert_eq!(mine.len(), 1);
        // An activation is undone by deactivating.
        let activated = [entry("op9", "AKIA9", JournalAction::Activate, Outcome::Ok)];
        let plan = plan_undo(&activated, &scope(1));
        assert_eq!(plan.deactivate.len(), 1);
        assert!(plan.reactivate.is_empty() && plan.cannot.is_empty());
    }

    #[test]
    fn entries_are_undone_one_by_one_and_only_when_the_undo_worked() {
        let mut entries: Vec<Entry> = (1..=4)
            .map(|i| {
                entry(
                    "op1",
                    &format!("AKIA{i}"),
                    JournalAction::Deactivate,
                    Outcome::Ok,
                )
            })
            .collect();
        entries.insert(
            0,
            entry("op0", "AKIA0", JournalAction::Deactivate, Outcome::Ok),
        );
        // One key changed back, one undo denied, one found already active.
        entries.push(undoing(&entries[1], Outcome::Ok));
        entries.push(undoing(&entries[2], Outcome::Failed));
        entries.push(undoing(&entries[3], Outcome::Already));
        let plan = plan_undo(&entries, &scope(1));
        assert_eq!(keys(&plan.reactivate), ["AKIA2", "AKIA4"]);
        assert_eq!(
            plan.operations,
            ["op1"],
            "op1 is not done until every key is"
        );
    }

    #[test]
    fn a_delete_on_top_of_the_stack_blocks_nothing_before_it() {
        let entries = vec![
            entry("op1", "AKIA1", JournalAction::Deactivate, Outcome::Ok),
            entry("op2", "AKIA2", JournalAction::Delete, Outcome::Ok),
        ];
        let plan = plan_undo(&entries, &scope(1));
        assert_eq!(keys(&plan.reactivate), ["AKIA1"]);
        assert_eq!(plan.operations, ["op1"]);
        assert_eq!(plan.cannot[0].1, "a deleted key cannot be restored");
    }

    #[test]
    fn a_key_changed_again_later_is_left_until_that_change_is_undone() {
        let mut entries = vec![
            entry("op1", "AKIA1", JournalAction::Deactivate, Outcome::Ok),
            Entry {
                status_before: Some("Inactive".into()),
                status_after: Some("Active".into()),
                ..entry("op2", "AKIA1", JournalAction::Activate, Outcome::Ok)
            },
        ];
        // op2 is on top; op1 waits.
        let plan = plan_undo(&entries, &scope(2));
        assert_eq!(keys(&plan.deactivate), ["AKIA1"]);
        assert!(plan.reactivate.is_empty());
        assert!(plan.cannot[0].1.contains("later change"));
        entries.push(undoing(&entries[1], Outcome::Ok));
        let plan = plan_undo(&entries, &scope(1));
        assert_eq!(keys(&plan.reactivate), ["AKIA1"]);
    }

    #[test]
    fn foreign_forged_and_old_entries_are_held_unless_included() {
        let mut foreign = entry("op1", "AKIA1", JournalAction::Deactivate, Outcome::Ok);
        foreign.caller_arn = "arn:aws:iam::123456789012:user/mallory".into();
        let mut forged = entry("op1", "AKIA2", JournalAction::Deactivate, Outcome::Ok);
        forged.request_id = Some("made-up".into());
        let mut old = entry("op1", "AKIA3", JournalAction::Deactivate, Outcome::Ok);
        old.time = (jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24 * 8)).to_string();
        let mut moto = entry("op1", "AKIA4", JournalAction::Deactivate, Outcome::Ok);
        moto.request_id = Some("A".repeat(52));
        let entries = [foreign, forged, old, moto];
        let plan = plan_undo(&entries, &scope(1));
        assert_eq!(keys(&plan.reactivate), ["AKIA4"]);
        let held: Vec<&str> = plan.held.iter().map(|(_, why)| why.as_str()).collect();
        assert!(held[0].contains("user/mallory") && held[0].contains("--include-foreign"));
        assert!(held[1].contains("request id"));
        assert!(held[2].contains("--include-old"));
        let all = UndoScope {
            include_foreign: true,
            include_old: true,
            ..scope(1)
        };
        assert_eq!(plan_undo(&entries, &all).reactivate.len(), 4);
        // An operation with only held entries blocks nothing before it.
        let mut entries = entries[..1].to_vec();
        entries.insert(
            0,
            entry("op0", "AKIA9", JournalAction::Deactivate, Outcome::Ok),
        );
        let plan = plan_undo(&entries, &scope(1));
        assert_eq!(keys(&plan.reactivate), ["AKIA9"]);
    }

    #[test]
    fn request_ids_of_iam_and_the_emulator_are_told_from_others() {
        assert!(is_request_id(REQUEST));
        assert!(is_request_id(&"Z9".repeat(26)));
        assert!(!is_request_id("fault-proxy"));
        assert!(!is_request_id(&REQUEST.replace('-', "x")));
        assert!(!is_request_id(&"a".repeat(51)));
    }
}
