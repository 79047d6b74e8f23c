//! Which board fills the screen and which key table is in force: the
//! vocabulary the keymap, the dialogs and the state share (beneath all three).

/// Which table fills the screen: the users with the selected user's keys
/// (`1`), or every key of the account (`2`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Board {
    Users,
    Keys,
}

/// Which key table is in force. `Normal`, `Filter` and `Help` are kept in
/// `State::mode`; the others follow from the open dialog (`State::input_mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Normal,
    /// Typing into the filter field.
    Filter,
    Help,
    /// A yes/no dialog.
    Confirm,
    /// A dialog with a text field: letters are text.
    TextEntry,
    /// The new key's secret.
    Secret,
    /// A message to acknowledge.
    Notice,
    /// The rotation wizard: Enter goes on, Esc leaves.
    Wizard,
}
