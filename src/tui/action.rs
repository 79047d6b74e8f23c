//! Everything that can happen to the app: user intents from the keymap, the
//! clock, the terminal size, and results posted back by background tasks.

use crossterm::event::KeyEvent;
use jiff::Timestamp;

use crate::aws::health::HealthReport;
use crate::aws::inventory::LoadEvent;
use crate::core::IamError;
use crate::core::change::{ChangeOutcome, Expectation, KeyChange, Ticket};
use crate::core::model::{AccessKey, LastUsed, Secret};

#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    Move(Motion),
    /// Switch focus between the users and keys panes.
    SwitchFocus,
    /// Focus the keys of the selected user; on a key, open its details.
    OpenKeys,
    /// `1`: the users view; `2`: every key of the account.
    ShowBoard(crate::tui::screen_mode::Board),
    StartFilter,
    /// A key typed into the filter field.
    FilterEdit(KeyEvent),
    /// Leave the filter field, keeping its text.
    FilterAccept,
    /// Leave the filter field and clear it.
    FilterClear,
    /// Esc: from the keys pane back to the users; in the users pane, clear the filter.
    Back,
    CycleSort,
    ReverseSort,
    Refresh,
    ToggleHelp,
    Quit,
    /// Toggle the selected key Active ↔ Inactive.
    ToggleKey,
    /// Open the create dialog for the selected user.
    CreateKey,
    /// Open the delete dialog for the selected key.
    DeleteKey,
    /// Copy the selected key id to the clipboard.
    CopyKeyId,
    /// Undo the journal's last operation (reads it, then asks).
    Undo,
    /// `m`: mark or unmark the selected key.
    Mark,
    /// `M`: mark every key shown (or unmark them if all are marked).
    MarkAll,
    /// `D`/`X`: the plan for the marked keys.
    BulkStart(crate::io::bulk::BulkKind),
    /// The journal's undo plan, read (or why it could not be).
    UndoPlanned(Result<crate::io::journal::UndoPlan, String>),
    /// Every change of a plan has answered.
    PlanFinished,
    /// `R`: the rotation wizard for the selected user.
    Rotate,
    /// The users with a saved rotation in progress (their rows are marked).
    RotationsListed(Result<Vec<String>, String>),
    /// The saved rotation of `user` (none if there is none), read from disk.
    RotationOpened {
        user: String,
        saved: Result<Option<crate::io::rotation::Saved>, String>,
    },
    /// The new key did not sign yet (IAM propagates it): why.
    ProofAttempt {
        key_id: String,
        why: String,
    },
    /// The proof ended: the ARN it signs as, or why not.
    Proved {
        key_id: String,
        result: Result<String, String>,
    },
    /// The session's MFA role credentials come due: a code is asked (request `id`).
    MfaCodeNeeded {
        id: u64,
        prompt: String,
    },
    /// A key's last use, read live for the wizard.
    LastUseRead {
        key_id: String,
        result: Result<LastUsed, String>,
    },
    /// Stop the process (Ctrl-Z, SIGTSTP) with the terminal restored; resume on SIGCONT.
    Suspend,
    /// A signal asks the app to end (SIGTERM, SIGHUP, SIGINT, SIGQUIT): its number.
    Terminate(i32),
    /// `y` in a yes/no dialog.
    DialogConfirm,
    /// `n`/`Esc`: cancel or close the dialog.
    DialogCancel,
    /// Move between a dialog's buttons.
    DialogFocusNext,
    /// `Enter` on the focused button.
    DialogPress,
    /// `Enter` in a dialog's text field.
    DialogSubmit,
    /// A key typed into a dialog's text field.
    DialogEdit(KeyEvent),
    /// Text pasted into the terminal (bracketed paste): typed into the open text field.
    Paste(String),
    /// Copy the new secret to the clipboard.
    SecretCopy,
    /// Start saving the new secret as a CSV file.
    SecretSave,
    Resize {
        width: u16,
        height: u16,
    },
    /// A left click on a row of a table (its index in the whole list).
    Click {
        pane: Pane,
        row: usize,
    },
    /// The mouse wheel over a table: moves its selection.
    Wheel {
        pane: Pane,
        down: bool,
    },
    Tick(Timestamp),
    /// Whether IAM is answering, sampled with each tick.
    IamHealth(HealthReport),
    /// A step of an inventory load, tagged with the load it belongs to.
    Inventory {
        generation: u64,
        event: LoadEvent,
    },
    /// The answer to a change: echoes its ticket and the change itself.
    Changed {
        ticket: Ticket,
        change: KeyChange,
        result: Result<ChangeOutcome, IamError>,
    },
    /// A user's keys, re-read after a change.
    UserKeysRead {
        ticket: Ticket,
        user: String,
        result: Result<Vec<KeyWithUse>, IamError>,
        /// Set when the listing still disagreed with the change when the
        /// re-reads gave up: how it disagrees.
        unmet: Option<String>,
    },
    /// A user's groups, policies, MFA devices and console password, for the details dialog.
    UserDetailsRead {
        user: String,
        result: Result<crate::core::model::UserDetails, IamError>,
    },
    /// A change was made but its journal entry could not be written: why.
    JournalFailed(String),
    /// The journal cannot be written (checked at start): every change is refused.
    JournalUnusable(String),
    SecretSaved {
        /// The key whose secret it is.
        key_id: String,
        path: String,
        /// Where it was written (absolute), or why not.
        result: Result<String, SaveError>,
    },
}

/// A key as re-read from IAM, with its last use (or why that could not be read).
pub type KeyWithUse = (AccessKey, Result<LastUsed, IamError>);

/// Why the secret's CSV file was not written (defined with the file's rules).
pub use crate::io::secret_file::SaveError;

/// A table the mouse can point at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pane {
    Users,
    /// The selected user's keys.
    Keys,
    /// The keys view's table.
    AllKeys,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Motion {
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
}

/// Work that `update` asks the app loop to start on a background task.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// Read the whole inventory; results come back as `Action::Inventory` with this generation.
    LoadInventory { generation: u64 },
    /// Make a change to IAM; the answer comes back as `Action::Changed` with this ticket.
    Change { ticket: Ticket, change: KeyChange },
    /// Re-read one user's keys and their last use; with an expectation, re-read
    /// (bounded, with backoff) until the listing shows the change.
    ReadUserKeys {
        ticket: Ticket,
        user: String,
        expect: Option<Expectation>,
    },
    /// Write `Access key ID,Secret access key` CSV with mode 0600.
    SaveSecret {
        path: String,
        key_id: String,
        secret: Secret,
        overwrite: bool,
    },
    /// Run changes with the bulk rules (in flight bound, pace); each answers as
    /// `Action::Changed` with its ticket, then `Action::PlanFinished`.
    RunPlan {
        items: Vec<(Ticket, crate::io::bulk::Planned)>,
    },
    /// Read the journal and plan the undo of its last operation.
    PlanUndo,
    /// Read the saved rotation of `user`; answers `Action::RotationOpened`.
    OpenRotation { account: String, user: String },
    /// List the users of `account` with a saved rotation; answers `Action::RotationsListed`.
    ListRotations { account: String },
    /// Keep the rotation's step on disk (never its secret).
    SaveRotation(crate::io::rotation::Saved),
    /// The rotation is over or abandoned.
    ForgetRotation(crate::io::rotation::Saved),
    /// Sign STS GetCallerIdentity with the new key until it answers as `user_arn`
    /// (the secret from memory, else from the CSV it was saved to).
    ProveKey {
        user_arn: String,
        key_id: String,
        secret: Option<Secret>,
        secret_file: Option<std::path::PathBuf>,
    },
    /// The MFA code typed for request `id` (or why there is none).
    AnswerMfa {
        id: u64,
        code: Result<String, String>,
    },
    /// Read a key's last use (the wizard watches the old key).
    ReadLastUse { key_id: String },
    /// Read a user's groups, policies, MFA devices and console password.
    ReadUserDetails { user: String },
    /// Load these users' keys first: they are on screen.
    PrioritizeUsers(Vec<String>),
    /// Put text on the clipboard (OSC 52, through the terminal).
    CopyToClipboard(Secret),
    /// Leave the terminal as it was found and stop the process until SIGCONT.
    Suspend,
}
