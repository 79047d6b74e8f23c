//! Dialog data: what each confirmation or secret dialog shows and where its
//! focus is. Plain data, changed only by `update`.

use tui_input::Input;

use crate::core::entries::{Fetch, KeyEntry};
use crate::core::model::{KeyStatus, LastUsed, Secret};
use crate::tui::screen_mode::Mode;

/// The two buttons of a yes/no dialog.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Button {
    Cancel,
    Confirm,
}

impl Button {
    pub fn other(self) -> Button {
        match self {
            Button::Cancel => Button::Confirm,
            Button::Confirm => Button::Cancel,
        }
    }
}

/// A snapshot of the key a dialog is about, for display and for the request it fires.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyTarget {
    pub user: String,
    pub key_id: String,
    pub status: KeyStatus,
    pub created: jiff::Timestamp,
    pub last_used: Option<LastUsed>,
    pub description: Option<String>,
}

impl KeyTarget {
    pub fn of(entry: &KeyEntry) -> Self {
        Self {
            user: entry.key.user.clone(),
            key_id: entry.key.id.clone(),
            status: entry.key.status,
            created: entry.key.created,
            last_used: match &entry.last_used {
                Fetch::Ready(used) => Some(used.clone()),
                _ => None,
            },
            description: entry.key.description.clone(),
        }
    }
}

/// What a typed confirmation is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyOp {
    Deactivate,
    Delete,
}

#[derive(Clone, Debug)]
pub enum Dialog {
    /// A new key for `user`, with an optional description.
    Create {
        user: String,
        existing: Vec<(String, KeyStatus)>,
        description: Input,
        error: Option<String>,
    },
    /// Everything known about key `key_id` of `user` (Enter on a key): drawn
    /// from the state each frame, so it follows re-reads.
    Details { user: String, key_id: String },
    /// `user` has two keys already: IAM's limit, and how to make room.
    KeyLimit {
        user: String,
        existing: Vec<(String, KeyStatus)>,
    },
    /// Delete was asked for an active key: the console's rule, deactivate first.
    DeactivateFirst { target: KeyTarget, focus: Button },
    /// Delete an inactive key. Opens with Cancel focused.
    Delete { target: KeyTarget, focus: Button },
    /// Deactivating a key used recently (or whose last use is unknown): what stops working.
    DeactivateInUse { target: KeyTarget, focus: Button },
    /// CreateAccessKey's reply was lost but the key was made: nobody has its secret.
    LostSecret {
        user: String,
        key_id: String,
        focus: Button,
    },
    /// A quit waits for a key creation that IAM has not answered: quit anyway?
    QuitWhileCreating { users: Vec<String>, focus: Button },
    /// Deactivating or deleting the key this session signs with: type its id.
    /// The MFA role session comes due: a new code renews it. Requests wait
    /// meanwhile; the dialog that was open comes back after.
    MfaCode {
        id: u64,
        prompt: String,
        typed: Input,
        error: Option<String>,
        beneath: Option<Box<Dialog>>,
    },
    TypedConfirm {
        op: KeyOp,
        target: KeyTarget,
        typed: Input,
        error: Option<String>,
    },
    /// A new key's secret, shown this once.
    Secret(SecretDialog),
    /// D/X on marked keys: the plan, the count typed to go on, then per-key results.
    BulkPlan(BulkPlan),
    /// The rotation wizard (`State::rotation` holds it); `stage` is its step,
    /// so that each step opens as a new dialog (armed against typed-ahead keys).
    Rotation { stage: u8 },
    /// `u`: what undoing the journal's last operation changes, and what it cannot.
    UndoPlan {
        plan: crate::io::journal::UndoPlan,
        focus: Button,
        /// More than one key: the count, typed to go on (as the bulk plan asks).
        typed: Option<Input>,
        error: Option<String>,
    },
}

/// A bulk plan of marked keys.
#[derive(Clone, Debug)]
pub struct BulkPlan {
    pub kind: crate::io::bulk::BulkKind,
    /// The keys it changes, those to look at twice (used recently) first.
    pub lines: Vec<PlanLine>,
    /// Marked keys it leaves out, and why: (user, key id, why).
    pub left_out: Vec<(String, String, String)>,
    pub typed: Input,
    pub error: Option<String>,
    /// Sent: the dialog shows each key's result as it comes.
    pub running: bool,
    /// Every key has answered.
    pub finished: bool,
}

/// One key of a bulk plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanLine {
    pub user: String,
    pub key_id: String,
    pub had_description: bool,
    /// `3 days ago (s3)`, `never`, `…`.
    pub last_use: String,
    pub findings: Vec<&'static str>,
    /// Used within the policy's recent_use_days: called out.
    pub recent: bool,
    /// Its last use is being read live (what was shown is too old to decide on).
    pub confirming: bool,
    /// The answer, once it came: `Err` holds why it failed.
    pub result: Option<Result<(), String>>,
}

#[derive(Clone, Debug)]
pub struct SecretDialog {
    pub user: String,
    pub key_id: String,
    pub secret: Secret,
    pub stage: SecretStage,
    /// Where the secret was saved, once it was.
    pub saved_to: Option<String>,
    /// The last outcome (copied, saved, a failure), shown in the dialog.
    pub note: Option<String>,
}

#[derive(Clone, Debug)]
pub enum SecretStage {
    Showing,
    /// Typing the CSV path.
    SavePath(Input),
    /// The file exists: overwrite it?
    Overwrite {
        path: String,
        focus: Button,
    },
    /// Closing loses the secret for good: sure?
    ConfirmClose {
        focus: Button,
    },
}

impl Dialog {
    /// Which key table applies while this dialog is open.
    pub fn mode(&self) -> Mode {
        match self {
            Dialog::Create { .. } | Dialog::TypedConfirm { .. } | Dialog::MfaCode { .. } => {
                Mode::TextEntry
            }
            Dialog::KeyLimit { .. } | Dialog::Details { .. } => Mode::Notice,
            Dialog::BulkPlan(plan) if plan.running => Mode::Notice,
            Dialog::BulkPlan(_) => Mode::TextEntry,
            Dialog::UndoPlan { typed: Some(_), .. } => Mode::TextEntry,
            Dialog::UndoPlan { .. } => Mode::Confirm,
            Dialog::Rotation { .. } => Mode::Wizard,
            Dialog::DeactivateFirst { .. }
            | Dialog::Delete { .. }
            | Dialog::DeactivateInUse { .. }
            | Dialog::LostSecret { .. }
            | Dialog::QuitWhileCreating { .. } => Mode::Confirm,
            Dialog::Secret(secret) => match secret.stage {
                SecretStage::Showing => Mode::Secret,
                SecretStage::SavePath(_) => Mode::TextEntry,
                SecretStage::Overwrite { .. } | SecretStage::ConfirmClose { .. } => Mode::Confirm,
            },
        }
    }

    /// The focused button of a yes/no dialog.
    pub fn focus_mut(&mut self) -> Option<&mut Button> {
        match self {
            Dialog::DeactivateFirst { focus, .. }
            | Dialog::Delete { focus, .. }
            | Dialog::DeactivateInUse { focus, .. }
            | Dialog::LostSecret { focus, .. }
            | Dialog::UndoPlan { focus, .. }
            | Dialog::QuitWhileCreating { focus, .. } => Some(focus),
            Dialog::Secret(SecretDialog {
                stage: SecretStage::Overwrite { focus, .. } | SecretStage::ConfirmClose { focus },
                ..
            }) => Some(focus),
            _ => None,
        }
    }

    /// Whether confirming this dialog changes IAM (or ends the app): such a
    /// dialog ignores confirming keys for a moment after it opens.
    pub fn is_guarded(&self) -> bool {
        !matches!(self, Dialog::KeyLimit { .. } | Dialog::Details { .. })
    }

    /// Which dialog (and stage) this is: a change of it counts as a new dialog opening.
    pub fn identity(&self) -> (std::mem::Discriminant<Dialog>, u8) {
        let stage = match self {
            Dialog::Secret(secret) => match secret.stage {
                SecretStage::Showing => 0,
                SecretStage::SavePath(_) => 1,
                SecretStage::Overwrite { .. } => 2,
                SecretStage::ConfirmClose { .. } => 3,
            },
            Dialog::BulkPlan(plan) => u8::from(plan.running),
            Dialog::Rotation { stage } => *stage,
            _ => 0,
        };
        (std::mem::discriminant(self), stage)
    }

    /// The text field of a dialog that has one.
    pub fn input_mut(&mut self) -> Option<&mut Input> {
        match self {
            Dialog::Create { description, .. } => Some(description),
            Dialog::TypedConfirm { typed, .. } => Some(typed),
            Dialog::MfaCode { typed, .. } => Some(typed),
            Dialog::BulkPlan(plan) if !plan.running => Some(&mut plan.typed),
            Dialog::UndoPlan {
                typed: Some(typed), ..
            } => Some(typed),
            Dialog::Secret(SecretDialog {
                stage: SecretStage::SavePath(path),
                ..
            }) => Some(path),
            _ => None,
        }
    }
}

/// One character IAM allows in a tag value: its pattern is
/// `[\p{L}\p{Z}\p{N}_.:/=+\-@]*` (letters, separators, numbers and six signs).
static TAG_VALUE_CHAR: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    // A constant pattern, checked by the tests below: it always compiles.
    #[allow(clippy::expect_used)]
    regex::Regex::new(r"^[\p{L}\p{Z}\p{N}_.:/=+\-@]$").expect("a valid constant pattern")
});

/// IAM's rules for a tag value, which is where a description is stored.
pub fn check_description(text: &str) -> Result<(), String> {
    const MAX: usize = 256;
    if text.chars().count() > MAX {
        return Err(format!("a description has at most {MAX} characters"));
    }
    let mut buffer = [0u8; 4];
    if let Some(bad) = text
        .chars()
        .find(|c| !TAG_VALUE_CHAR.is_match(c.encode_utf8(&mut buffer)))
    {
        let shown = if bad.is_control() || !bad.is_alphanumeric() && !bad.is_ascii_punctuation() {
            format!("{}", bad.escape_unicode())
        } else {
            bad.to_string()
        };
        return Err(format!(
            "'{shown}' cannot be stored (IAM allows letters, digits, spaces and _ . : / = + - @)"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_follow_iam_tag_rules() {
        assert!(check_description("CI pipeline: deploy@prod/eu-west-1").is_ok());
        assert!(check_description("").is_ok());
        assert!(check_description("no; semicolons").is_err());
        assert!(check_description("tab\there").is_err());
        assert!(check_description("two\nlines").is_err());
        assert!(check_description(&"x".repeat(257)).is_err());
        assert!(
            check_description(&"é".repeat(256)).is_ok(),
            "characters, not bytes"
        );
        // Letters and numbers of any script, and any space separator.
        assert!(check_description("Überweisung 東京 ٣\u{a0}x\u{2028}").is_ok());
        // A combining mark (e + U+0301) is not a letter to IAM, nor is a tab.
        let err = check_description("cafe\u{301}").unwrap_err();
        assert!(err.contains("\\u{301}"), "{err}");
        assert!(check_description("a\u{85}b").is_err());
        assert!(check_description("zero\u{200b}width").is_err());
    }
}
