//! The rotation wizard's state (`R`): which step it is at, the new key and its
//! secret (in memory only, never on disk), the proof, and the old key's last
//! use as read live while the wizard is open. `update::wizard` moves it on;
//! `ui::wizard` draws it.

use jiff::Timestamp;

use crate::core::change::Ticket;
use crate::core::model::{LastUsed, Secret};
use crate::io::rotation::Saved;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WizardStep {
    /// Two active keys: IAM allows two, nothing can be made; explained.
    TwoActive,
    /// The user has an inactive key besides: delete it to make room?
    MakeRoom { inactive: String },
    /// Ready to create the new key (Enter).
    Create,
    /// CreateAccessKey was sent (or the room is being made): waiting for IAM.
    Waiting,
    /// A saved rotation is resumed: the user's keys are read again from IAM
    /// before anything else (what was saved may have changed elsewhere).
    Checking,
    /// Signing with the new key until it answers as the user.
    Proving,
    /// Proven: the old key's last use is watched; Enter deactivates it
    /// (asking first, as `space` does, when it was used recently) — unless
    /// nobody holds the new key's secret: then Enter deletes the new key.
    Watch,
    /// The old key is inactive: Enter opens the delete dialog `d` opens,
    /// Esc leaves it inactive.
    Retire,
    /// Over.
    Done,
    /// It cannot go on, and why (what IAM holds is said).
    Stuck(String),
}

/// The outcome of the proof so far.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Proof {
    NotYet,
    /// Attempts so far and the last refusal (IAM is still propagating the key).
    Trying {
        attempts: u32,
        last: Option<String>,
    },
    Verified {
        arn: String,
    },
    Failed(String),
}

#[derive(Clone, Debug)]
pub struct RotationWizard {
    pub account: String,
    pub user: String,
    pub user_arn: String,
    pub old_key: String,
    pub description: Option<String>,
    pub step: WizardStep,
    pub new_key: Option<String>,
    /// The new key's secret while the wizard lives, to prove it.
    pub secret: Option<Secret>,
    /// Where the secret was saved (a CSV), so that a resumed proof can read it.
    pub saved_to: Option<std::path::PathBuf>,
    pub proof: Proof,
    /// The old key's last use, read live every few seconds once proven.
    pub old_use: Option<Result<LastUsed, String>>,
    pub old_use_read_at: Option<Timestamp>,
    pub reading_old_use: bool,
    /// Resumed from a rotation saved earlier.
    pub resumed: bool,
    /// When it started (RFC 3339), kept with the saved state.
    pub started: String,
    /// The user's key ids when the wizard opened (see `Saved::keys_before`).
    pub keys_before: Vec<String>,
    /// The new key's secret was copied to the clipboard (OSC 52).
    pub copied: bool,
    /// While `Checking`: the saved rotation being resumed, and the ticket of
    /// the re-read of the user's keys it waits for.
    pub resuming: Option<(Saved, Ticket)>,
}

impl RotationWizard {
    /// Whether somebody holds the new key's secret: it was saved to a file
    /// or copied. If not, retiring the old key would leave the user with a
    /// key whose secret nobody has, so the wizard does not offer it.
    pub fn secret_held(&self) -> bool {
        self.saved_to.is_some() || self.copied
    }
}

/// How the keys bound to a browsing action are written (after the config's
/// `[keys]`), for sentences that name them; `?` if nothing is bound to it.
pub fn key_label(
    keymap: &crate::tui::keymap::Keymap,
    action: &crate::tui::action::Action,
) -> String {
    keymap.key_of(action)
}

/// The old key's last use is read again after this long while the wizard watches.
pub const WATCH_EVERY_SECS: i64 = 5;
