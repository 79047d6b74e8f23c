//! Default key bindings: one table per mode. The keymap, the help overlay and
//! the footer hints all read these tables, so they cannot drift apart.
//! [`Keymap`] holds the config file's `[keys]` overrides of the browsing keys;
//! everything that reads a binding's keys or label goes through it.

use std::borrow::Cow;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::io::bulk::BulkKind;
use crate::tui::action::{Action, Motion};
use crate::tui::screen_mode::{Board, Mode};

/// A key with its modifiers. Shift is ignored for characters (`G` arrives as Shift+g).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub modifiers: KeyModifiers,
}

const fn plain(code: KeyCode) -> Key {
    Key {
        code,
        modifiers: KeyModifiers::NONE,
    }
}

const fn ch(c: char) -> Key {
    plain(KeyCode::Char(c))
}

const fn ctrl(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        modifiers: KeyModifiers::CONTROL,
    }
}

const CTRL_C: Key = Key {
    code: KeyCode::Char('c'),
    modifiers: KeyModifiers::CONTROL,
};

/// Ctrl-C quits from every mode but the secret dialog's (see `SECRET`).
const CTRL_C_QUITS: Binding = Binding {
    keys: &[CTRL_C],
    label: "Ctrl-C",
    help: "quit",
    hint: None,
    action: Action::Quit,
};

/// Ctrl-Z suspends from every mode: the terminal is restored, `fg` brings the app back.
const CTRL_Z_SUSPENDS: Binding = Binding {
    keys: &[Key {
        code: KeyCode::Char('z'),
        modifiers: KeyModifiers::CONTROL,
    }],
    label: "Ctrl-Z",
    help: "suspend (fg resumes)",
    hint: None,
    action: Action::Suspend,
};

impl Key {
    fn matches(&self, event: &KeyEvent) -> bool {
        let relevant = |m: KeyModifiers| match event.code {
            KeyCode::Char(_) => m.difference(KeyModifiers::SHIFT),
            _ => m,
        };
        self.code == event.code && relevant(self.modifiers) == relevant(event.modifiers)
    }
}

/// A row of a binding table, written on one line: keys, how help and hints
/// write them, the help text, the footer's word (none: help only), the action.
const fn row(
    keys: &'static [Key],
    label: &'static str,
    help: &'static str,
    hint: Option<&'static str>,
    action: Action,
) -> Binding {
    Binding {
        keys,
        label,
        help,
        hint,
        action,
    }
}

/// One row of a binding table.
#[derive(Debug)]
pub struct Binding {
    pub keys: &'static [Key],
    /// How the keys are written in help and hints.
    pub label: &'static str,
    pub help: &'static str,
    /// Short word for the footer; bindings without one appear only in help.
    pub hint: Option<&'static str>,
    pub action: Action,
}

#[rustfmt::skip]
static NORMAL: &[Binding] = &[
    row(&[ch('j'), plain(KeyCode::Down)], "j/↓", "move down", None, Action::Move(Motion::Down)),
    row(&[ch('k'), plain(KeyCode::Up)], "k/↑", "move up", None, Action::Move(Motion::Up)),
    row(&[plain(KeyCode::PageDown), ctrl('f')], "PgDn", "page down", None, Action::Move(Motion::PageDown)),
    row(&[plain(KeyCode::PageUp), ctrl('b')], "PgUp", "page up", None, Action::Move(Motion::PageUp)),
    row(&[ch('g'), plain(KeyCode::Home)], "g/Home", "first row", None, Action::Move(Motion::Top)),
    row(&[ch('G'), plain(KeyCode::End)], "G/End", "last row", None, Action::Move(Motion::Bottom)),
    row(&[plain(KeyCode::Tab), plain(KeyCode::BackTab)], "Tab", "switch focus users ↔ keys", None, Action::SwitchFocus),
    row(&[plain(KeyCode::Enter)], "Enter", "open the selected user's keys; on a key, its details", None, Action::OpenKeys),
    row(&[ch('1')], "1", "users view: users, and the selected user's keys", Some("users"), Action::ShowBoard(Board::Users)),
    row(&[ch('2')], "2", "keys view: every key of the account, most urgent first", Some("all keys"), Action::ShowBoard(Board::Keys)),
    row(&[ch('/')], "/", "filter: text and terms like is:unused age>90", Some("filter"), Action::StartFilter),
    row(&[ch('s')], "s", "sort by the next column", None, Action::CycleSort),
    row(&[ch('S')], "S", "reverse the sort", None, Action::ReverseSort),
    row(&[ch('r')], "r", "refresh from IAM", Some("refresh"), Action::Refresh),
    row(&[ch(' ')], "space", "toggle the selected key Active ↔ Inactive", Some("toggle"), Action::ToggleKey),
    row(&[ch('c')], "c", "create a key for the selected user", Some("create"), Action::CreateKey),
    row(&[ch('d')], "d", "delete the selected key", Some("delete"), Action::DeleteKey),
    row(&[ch('y')], "y", "copy the selected key id (OSC 52)", None, Action::CopyKeyId),
    row(&[ch('u')], "u", "undo the journal's last operation (asks first)", None, Action::Undo),
    row(&[ch('R')], "R", "rotate the key: a new one, proven, then the old retired", Some("rotate"), Action::Rotate),
    row(&[ch('m')], "m", "mark or unmark the selected key", None, Action::Mark),
    row(&[ch('M')], "M", "mark every key shown (again: unmark them)", None, Action::MarkAll),
    row(&[ch('D')], "D", "deactivate the marked keys (a plan; type the count)", Some("deactivate marked"), Action::BulkStart(BulkKind::Deactivate)),
    row(&[ch('X')], "X", "delete the marked inactive keys (a plan; type the count)", Some("delete marked"), Action::BulkStart(BulkKind::Delete)),
    row(&[plain(KeyCode::Esc)], "Esc", "back to the users; there, clear the filter", None, Action::Back),
    row(&[ch('?')], "?", "help", Some("help"), Action::ToggleHelp),
    row(&[ch('q'), CTRL_C], "q/Ctrl-C", "quit", Some("quit"), Action::Quit),
    CTRL_Z_SUSPENDS,
];

#[rustfmt::skip]
static FILTER: &[Binding] = &[
    row(&[plain(KeyCode::Enter)], "Enter", "keep the filter and return to the list", Some("keep"), Action::FilterAccept),
    row(&[plain(KeyCode::Esc)], "Esc", "clear the filter", Some("clear"), Action::FilterClear),
    row(&[plain(KeyCode::Down)], "↓", "move down", None, Action::Move(Motion::Down)),
    row(&[plain(KeyCode::Up)], "↑", "move up", None, Action::Move(Motion::Up)),
    CTRL_C_QUITS,
    CTRL_Z_SUSPENDS,
];

#[rustfmt::skip]
static HELP: &[Binding] = &[
    row(&[ch('?'), plain(KeyCode::Esc), ch('q')], "?/Esc", "close help", Some("close"), Action::ToggleHelp),
    row(&[ch('j'), plain(KeyCode::Down)], "j/↓", "scroll down", Some("scroll"), Action::Move(Motion::Down)),
    row(&[ch('k'), plain(KeyCode::Up)], "k/↑", "scroll up", None, Action::Move(Motion::Up)),
    row(&[plain(KeyCode::PageDown)], "PgDn", "scroll a page down", None, Action::Move(Motion::PageDown)),
    row(&[plain(KeyCode::PageUp)], "PgUp", "scroll a page up", None, Action::Move(Motion::PageUp)),
    CTRL_C_QUITS,
    CTRL_Z_SUSPENDS,
];

#[rustfmt::skip]
static CONFIRM: &[Binding] = &[
    row(&[ch('y')], "y", "confirm", Some("yes"), Action::DialogConfirm),
    row(&[ch('n'), plain(KeyCode::Esc)], "n/Esc", "cancel", Some("no"), Action::DialogCancel),
    row(&[plain(KeyCode::Tab), plain(KeyCode::BackTab), plain(KeyCode::Left), plain(KeyCode::Right)], "Tab/←/→", "move between the buttons", Some("move"), Action::DialogFocusNext),
    row(&[plain(KeyCode::Enter)], "Enter", "press the focused button", Some("press"), Action::DialogPress),
    CTRL_C_QUITS,
    CTRL_Z_SUSPENDS,
];

#[rustfmt::skip]
static TEXT_ENTRY: &[Binding] = &[
    row(&[plain(KeyCode::Enter)], "Enter", "submit", Some("submit"), Action::DialogSubmit),
    row(&[plain(KeyCode::Esc)], "Esc", "cancel", Some("cancel"), Action::DialogCancel),
    CTRL_C_QUITS,
    CTRL_Z_SUSPENDS,
];

#[rustfmt::skip]
static SECRET: &[Binding] = &[
    row(&[ch('c')], "c", "copy the secret (OSC 52)", Some("copy secret"), Action::SecretCopy),
    row(&[ch('s')], "s", "save id and secret as a CSV file (mode 0600)", Some("save CSV"), Action::SecretSave),
    // Ctrl-C too: the secret is never lost to a stray key without a confirmation.
    row(&[plain(KeyCode::Esc), CTRL_C], "Esc", "close (asks once more: the secret cannot be shown again)", Some("close"), Action::DialogCancel),
    CTRL_Z_SUSPENDS,
];

#[rustfmt::skip]
static NOTICE: &[Binding] = &[
    row(&[plain(KeyCode::Enter), plain(KeyCode::Esc), ch('q')], "Enter/Esc", "close", Some("close"), Action::DialogCancel),
    CTRL_C_QUITS,
    CTRL_Z_SUSPENDS,
];

#[rustfmt::skip]
static WIZARD: &[Binding] = &[
    row(&[plain(KeyCode::Enter), ch('y')], "Enter", "go on: the step's action (the screen says what it does)", Some("go on"), Action::DialogConfirm),
    row(&[plain(KeyCode::Esc), ch('n'), ch('q')], "Esc", "leave (a rotation under way is kept, to resume)", Some("leave"), Action::DialogCancel),
    CTRL_C_QUITS,
    CTRL_Z_SUSPENDS,
];

/// The binding table of a mode.
pub fn bindings(mode: Mode) -> &'static [Binding] {
    match mode {
        Mode::Normal => NORMAL,
        Mode::Filter => FILTER,
        Mode::Help => HELP,
        Mode::Confirm => CONFIRM,
        Mode::TextEntry => TEXT_ENTRY,
        Mode::Secret => SECRET,
        Mode::Notice => NOTICE,
        Mode::Wizard => WIZARD,
    }
}

/// The names of the browsing actions in the config file's `[keys]`.
static ACTION_NAMES: &[(&str, Action)] = &[
    ("down", Action::Move(Motion::Down)),
    ("up", Action::Move(Motion::Up)),
    ("page-down", Action::Move(Motion::PageDown)),
    ("page-up", Action::Move(Motion::PageUp)),
    ("top", Action::Move(Motion::Top)),
    ("bottom", Action::Move(Motion::Bottom)),
    ("switch-focus", Action::SwitchFocus),
    ("open", Action::OpenKeys),
    ("users-view", Action::ShowBoard(Board::Users)),
    ("keys-view", Action::ShowBoard(Board::Keys)),
    ("filter", Action::StartFilter),
    ("sort", Action::CycleSort),
    ("reverse-sort", Action::ReverseSort),
    ("refresh", Action::Refresh),
    ("toggle", Action::ToggleKey),
    ("create", Action::CreateKey),
    ("delete", Action::DeleteKey),
    ("copy-id", Action::CopyKeyId),
    ("undo", Action::Undo),
    ("rotate", Action::Rotate),
    ("mark", Action::Mark),
    ("mark-all", Action::MarkAll),
    ("deactivate-marked", Action::BulkStart(BulkKind::Deactivate)),
    ("delete-marked", Action::BulkStart(BulkKind::Delete)),
    ("back", Action::Back),
    ("help", Action::ToggleHelp),
    ("quit", Action::Quit),
];

/// The names `[keys]` accepts, for error messages and the docs.
pub fn action_names() -> impl Iterator<Item = &'static str> {
    ACTION_NAMES.iter().map(|(name, _)| *name)
}

/// A browsing action bound to other keys than its defaults.
#[derive(Clone, Debug, PartialEq)]
struct Override {
    action: Action,
    keys: Vec<Key>,
    label: String,
}

/// The key bindings in force: the default tables with the config's `[keys]`
/// overrides of browsing (normal mode) actions. Dialog keys are fixed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Keymap {
    overrides: Vec<Override>,
}

impl Keymap {
    /// Builds the overrides from `(action name, key spellings)` pairs. An
    /// unknown name, a key that cannot be spelled, or a key left bound to two
    /// browsing actions is an error (the caller adds where it was written).
    pub fn with_overrides(pairs: &[(String, Vec<String>)]) -> Result<Self, (usize, String)> {
        let mut overrides: Vec<Override> = Vec::new();
        for (at, (name, spellings)) in pairs.iter().enumerate() {
            let Some((_, action)) = ACTION_NAMES.iter().find(|(n, _)| n == name) else {
                let names: Vec<_> = action_names().collect();
                return Err((
                    at,
                    format!(
                        "no action is called {name:?}; the actions are {}",
                        names.join(", ")
                    ),
                ));
            };
            if spellings.is_empty() {
                return Err((at, format!("{name}: give at least one key")));
            }
            let mut keys = spellings
                .iter()
                .map(|k| parse_key(k).map_err(|why| (at, format!("{name}: {why}"))))
                .collect::<Result<Vec<_>, _>>()?;
            if *action == Action::Quit {
                // Ctrl-C quits whatever else quits.
                keys.push(CTRL_C);
            }
            overrides.push(Override {
                action: action.clone(),
                keys,
                label: spellings.join("/"),
            });
        }
        let keymap = Self { overrides };
        keymap.check_answer_keys(pairs)?;
        keymap.check_conflicts(pairs)?;
        Ok(keymap)
    }

    /// No change on a key that answers a dialog (see [`answer_key`]): a key
    /// pressed to cancel or confirm, one press too many or typed ahead, must
    /// never make a change itself.
    fn check_answer_keys(&self, pairs: &[(String, Vec<String>)]) -> Result<(), (usize, String)> {
        for (at, o) in self.overrides.iter().enumerate() {
            if !changes_iam(&o.action) {
                continue;
            }
            if let Some((key, means)) = o.keys.iter().find_map(|k| answer_key(k).map(|m| (k, m))) {
                return Err((
                    at,
                    format!(
                        "{}: {} {means}, so it may not start a change (a key pressed once too often, or typed ahead, would make it); choose another key",
                        pairs[at].0,
                        key_name(key)
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Every key bound to one browsing action only, after the overrides.
    fn check_conflicts(&self, pairs: &[(String, Vec<String>)]) -> Result<(), (usize, String)> {
        let bound: Vec<(&Action, Key)> = NORMAL
            .iter()
            .flat_map(|b| self.keys(b).iter().map(move |k| (&b.action, *k)))
            .collect();
        for (at, o) in self.overrides.iter().enumerate() {
            for key in &o.keys {
                if let Some((other, _)) = bound
                    .iter()
                    .find(|(action, k)| k == key && **action != o.action)
                {
                    let other = ACTION_NAMES
                        .iter()
                        .find(|(_, a)| a == *other)
                        .map_or("another action", |(n, _)| n);
                    return Err((
                        at,
                        format!(
                            "{}: {} is bound to {other} too; give {other} another key",
                            pairs[at].0,
                            key_name(key)
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    fn overridden(&self, action: &Action) -> Option<&Override> {
        self.overrides.iter().find(|o| &o.action == action)
    }

    /// The keys of a browsing binding after the overrides.
    fn keys<'a>(&'a self, binding: &'a Binding) -> &'a [Key] {
        self.overridden(&binding.action)
            .map_or(binding.keys, |o| o.keys.as_slice())
    }

    /// How `binding`'s keys are written in help and hints.
    pub fn label<'a>(&'a self, mode: Mode, binding: &'a Binding) -> Cow<'a, str> {
        match self.overridden(&binding.action) {
            Some(o) if mode == Mode::Normal => Cow::Borrowed(o.label.as_str()),
            _ => Cow::Borrowed(binding.label),
        }
    }

    /// How the keys of the browsing action `action` are written, after the
    /// overrides: every sentence that names a browsing key asks here, so it
    /// names the key in force ("?" for an action no browsing key does).
    pub fn key_of(&self, action: &Action) -> String {
        NORMAL.iter().find(|b| &b.action == action).map_or_else(
            || "?".to_string(),
            |b| self.label(Mode::Normal, b).into_owned(),
        )
    }

    /// How the keys of `action` in the dialog table of `mode` are written
    /// (dialog keys are fixed), with the word the footer gives them.
    pub fn dialog_hint(mode: Mode, action: &Action) -> Option<(&'static str, &'static str)> {
        bindings(mode)
            .iter()
            .find(|b| &b.action == action)
            .map(|b| (b.label, b.hint.unwrap_or(b.help)))
    }

    /// What a key press means in `mode`. In text fields, unbound keys are text.
    pub fn action_for(&self, mode: Mode, event: KeyEvent) -> Option<Action> {
        if event.kind == KeyEventKind::Release {
            return None;
        }
        let bound = bindings(mode)
            .iter()
            .find(|b| {
                let keys = if mode == Mode::Normal {
                    self.keys(b)
                } else {
                    b.keys
                };
                keys.iter().any(|k| k.matches(&event))
            })
            .map(|b| b.action.clone());
        match (bound, mode) {
            (Some(action), _) => Some(action),
            // The help follows the browsing keys too: the key that opened
            // it closes it, and the moving keys scroll it.
            (None, Mode::Help) => self
                .overrides
                .iter()
                .filter(|o| matches!(o.action, Action::ToggleHelp | Action::Move(_)))
                .find(|o| o.keys.iter().any(|k| k.matches(&event)))
                .map(|o| o.action.clone()),
            (None, Mode::Filter) => Some(Action::FilterEdit(event)),
            (None, Mode::TextEntry) => Some(Action::DialogEdit(event)),
            (None, _) => None,
        }
    }

    /// The footer's hints for `mode`, only of bindings whose action `works`.
    pub fn hints_where<'a>(
        &'a self,
        mode: Mode,
        works: impl Fn(&Action) -> bool + 'a,
    ) -> impl Iterator<Item = (Cow<'a, str>, &'static str)> + 'a {
        bindings(mode)
            .iter()
            .filter(move |b| works(&b.action))
            .filter_map(move |b| b.hint.map(|hint| (self.label(mode, b), hint)))
    }
}

/// Whether `action` starts a change of IAM (at once, or through a dialog).
fn changes_iam(action: &Action) -> bool {
    matches!(
        action,
        Action::ToggleKey
            | Action::CreateKey
            | Action::DeleteKey
            | Action::Undo
            | Action::Rotate
            | Action::BulkStart(_)
    )
}

/// What `key` means in a dialog, the filter field or help if it answers,
/// cancels or goes back there ("cancels a dialog", …); read off the tables,
/// so a key a dialog gains is covered at once. The browsing `back` key is
/// covered by the clash check.
fn answer_key(key: &Key) -> Option<&'static str> {
    // Dialogs first: their meaning is the one the refusal names.
    const ANSWERING: [Mode; 7] = [
        Mode::Wizard,
        Mode::Confirm,
        Mode::TextEntry,
        Mode::Secret,
        Mode::Notice,
        Mode::Help,
        Mode::Filter,
    ];
    ANSWERING.into_iter().find_map(|mode| {
        bindings(mode).iter().find_map(|b| {
            let means = match b.action {
                Action::DialogConfirm => "confirms a dialog",
                Action::DialogPress => "presses a dialog's button",
                Action::DialogSubmit => "submits a dialog's field",
                Action::DialogCancel => "cancels or closes a dialog",
                Action::FilterAccept => "ends the filter",
                Action::FilterClear => "clears the filter",
                Action::ToggleHelp => "closes the help",
                _ => return None,
            };
            b.keys.contains(key).then_some(means)
        })
    })
}

/// What a key press means in `mode` with the default bindings.
pub fn action_for(mode: Mode, event: KeyEvent) -> Option<Action> {
    Keymap::default().action_for(mode, event)
}

/// Footer hints for `mode` with the default bindings, as (keys, word) pairs.
pub fn hints(mode: Mode) -> Vec<(String, &'static str)> {
    Keymap::default()
        .hints_where(mode, |_| true)
        .map(|(keys, word)| (keys.into_owned(), word))
        .collect()
}

/// Reads a key as the config writes it: `x`, `X`, `Ctrl-x`, `Enter`, `Esc`,
/// `Tab`, `Space`, `Up`, `Down`, `Left`, `Right`, `PageUp`, `PageDown`,
/// `Home`, `End`, `Delete`, `Backspace`, `F1`…`F12`.
pub fn parse_key(text: &str) -> Result<Key, String> {
    let (modifiers, rest) = match text
        .strip_prefix("Ctrl-")
        .or_else(|| text.strip_prefix("ctrl-"))
        .or_else(|| text.strip_prefix("C-"))
    {
        Some(rest) => (KeyModifiers::CONTROL, rest),
        None => (KeyModifiers::NONE, text),
    };
    let mut chars = rest.chars();
    let code = match (chars.next(), chars.next()) {
        (Some(c), None) if !c.is_control() && c != ' ' => KeyCode::Char(c),
        _ => match rest.to_ascii_lowercase().as_str() {
            "enter" | "return" => KeyCode::Enter,
            "esc" | "escape" => KeyCode::Esc,
            "tab" => KeyCode::Tab,
            "backtab" => KeyCode::BackTab,
            "space" => KeyCode::Char(' '),
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "pageup" | "pgup" => KeyCode::PageUp,
            "pagedown" | "pgdn" => KeyCode::PageDown,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "delete" | "del" => KeyCode::Delete,
            "backspace" => KeyCode::Backspace,
            other => match other.strip_prefix('f').and_then(|n| n.parse::<u8>().ok()) {
                Some(n @ 1..=12) => KeyCode::F(n),
                _ => {
                    return Err(format!(
                        "cannot read the key {text:?} (write a character, Ctrl-x, Enter, Esc, Tab, Space, an arrow, PageUp, PageDown, Home, End, Delete, Backspace or F1…F12)"
                    ));
                }
            },
        },
    };
    if modifiers == KeyModifiers::CONTROL && matches!(code, KeyCode::Char('c' | 'z')) {
        return Err(format!(
            "{text} is kept for quitting and suspending; choose another key"
        ));
    }
    Ok(Key { code, modifiers })
}

/// A key as the help writes it.
fn key_name(key: &Key) -> String {
    let base = match key.code {
        KeyCode::Char(' ') => "Space".to_string(),
        KeyCode::Char(c) => c.to_string(),
        KeyCode::F(n) => format!("F{n}"),
        other => format!("{other:?}"),
    };
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        format!("Ctrl-{base}")
    } else {
        base
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn normal_mode_keys_map_to_design_bindings() {
        let n = |c| action_for(Mode::Normal, press(KeyCode::Char(c), KeyModifiers::NONE));
        assert_eq!(n('j'), Some(Action::Move(Motion::Down)));
        assert_eq!(n('k'), Some(Action::Move(Motion::Up)));
        assert_eq!(n('/'), Some(Action::StartFilter));
        assert_eq!(n('r'), Some(Action::Refresh));
        assert_eq!(n('q'), Some(Action::Quit));
        assert_eq!(n('x'), None);
        assert_eq!(
            action_for(Mode::Normal, press(KeyCode::Char('G'), KeyModifiers::SHIFT)),
            Some(Action::Move(Motion::Bottom))
        );
        assert_eq!(
            action_for(Mode::Normal, press(KeyCode::Char('S'), KeyModifiers::SHIFT)),
            Some(Action::ReverseSort)
        );
        assert_eq!(
            action_for(
                Mode::Normal,
                press(KeyCode::Char('c'), KeyModifiers::CONTROL)
            ),
            Some(Action::Quit)
        );
    }

    #[test]
    fn filter_mode_treats_letters_as_text_but_ctrl_c_quits() {
        let q = press(KeyCode::Char('q'), KeyModifiers::NONE);
        assert_eq!(action_for(Mode::Filter, q), Some(Action::FilterEdit(q)));
        assert_eq!(
            action_for(Mode::Filter, press(KeyCode::Esc, KeyModifiers::NONE)),
            Some(Action::FilterClear)
        );
        assert_eq!(
            action_for(
                Mode::Filter,
                press(KeyCode::Char('c'), KeyModifiers::CONTROL)
            ),
            Some(Action::Quit)
        );
    }

    #[test]
    fn every_binding_has_a_key_and_help() {
        for mode in [
            Mode::Normal,
            Mode::Filter,
            Mode::Help,
            Mode::Confirm,
            Mode::TextEntry,
            Mode::Secret,
            Mode::Notice,
            Mode::Wizard,
        ] {
            for b in bindings(mode) {
                assert!(!b.keys.is_empty() && !b.help.is_empty(), "{b:?}");
                // The help overlay is 70 wide: borders, a 12-wide key column.
                assert!(b.help.chars().count() <= 56, "too long for the help: {b:?}");
            }
        }
        let words: Vec<_> = hints(Mode::Normal).into_iter().map(|(_, w)| w).collect();
        assert_eq!(
            words,
            [
                "users",
                "all keys",
                "filter",
                "refresh",
                "toggle",
                "create",
                "delete",
                "rotate",
                "deactivate marked",
                "delete marked",
                "help",
                "quit"
            ]
        );
    }

    fn pairs(list: &[(&str, &[&str])]) -> Vec<(String, Vec<String>)> {
        list.iter()
            .map(|(n, keys)| (n.to_string(), keys.iter().map(|k| k.to_string()).collect()))
            .collect()
    }

    #[test]
    fn overrides_rebind_browsing_keys_and_their_labels() {
        let keymap = Keymap::with_overrides(&pairs(&[
            ("toggle", &["t"]),
            ("refresh", &["F5", "Ctrl-r"]),
        ]))
        .unwrap();
        let key = |c| press(KeyCode::Char(c), KeyModifiers::NONE);
        assert_eq!(
            keymap.action_for(Mode::Normal, key('t')),
            Some(Action::ToggleKey)
        );
        assert_eq!(keymap.action_for(Mode::Normal, key(' ')), None);
        assert_eq!(
            keymap.action_for(Mode::Normal, press(KeyCode::F(5), KeyModifiers::NONE)),
            Some(Action::Refresh)
        );
        assert_eq!(keymap.action_for(Mode::Normal, key('r')), None);
        // Dialog keys are not browsing keys: `t` is text in the filter.
        assert_eq!(
            keymap.action_for(Mode::Filter, key('t')),
            Some(Action::FilterEdit(key('t')))
        );
        let hints: Vec<_> = keymap
            .hints_where(Mode::Normal, |_| true)
            .map(|(k, w)| format!("{k} {w}"))
            .collect();
        assert!(hints.contains(&"t toggle".to_string()), "{hints:?}");
        assert!(
            hints.contains(&"F5/Ctrl-r refresh".to_string()),
            "{hints:?}"
        );
    }

    #[test]
    fn overrides_that_clash_or_do_not_parse_are_refused() {
        let err = Keymap::with_overrides(&pairs(&[("toggle", &["d"])])).unwrap_err();
        assert_eq!(err.0, 0);
        assert!(err.1.contains("delete"), "{}", err.1);
        // Moving delete away first frees d.
        assert!(Keymap::with_overrides(&pairs(&[("toggle", &["d"]), ("delete", &["x"])])).is_ok());
        let err =
            Keymap::with_overrides(&pairs(&[("sort", &["s"]), ("explode", &["e"])])).unwrap_err();
        assert_eq!(err.0, 1);
        assert!(err.1.contains("toggle"), "lists the names: {}", err.1);
        assert!(Keymap::with_overrides(&pairs(&[("quit", &["Ctrl-c"])])).is_err());
        assert!(Keymap::with_overrides(&pairs(&[("quit", &["Hyper-q"])])).is_err());
        assert_eq!(parse_key("F12").unwrap().code, KeyCode::F(12));
        assert_eq!(parse_key("Space").unwrap().code, KeyCode::Char(' '));
    }

    #[test]
    fn a_change_is_never_bound_to_a_key_that_answers_a_dialog() {
        for (name, key, means) in [
            ("toggle", "Esc", "cancels"),
            ("toggle", "Enter", "confirms"),
            ("delete", "y", "confirms"),
            ("create", "n", "cancels"),
            ("undo", "q", "closes"),
            ("rotate", "Enter", "confirms"),
            ("deactivate-marked", "Esc", "cancels"),
            ("delete-marked", "y", "confirms"),
        ] {
            // `back` moved off Esc, `open` off Enter: the clash check alone would let these by.
            let err = Keymap::with_overrides(&pairs(&[
                ("back", &["b"]),
                ("open", &["o"]),
                ("copy-id", &["Y"]),
                ("quit", &["Q"]),
                (name, &["t", key]),
            ]))
            .unwrap_err();
            assert_eq!(err.0, 4, "{name} = {key}: {}", err.1);
            assert!(
                err.1.starts_with(&format!("{name}: {key} ")) && err.1.contains(means),
                "{name} = {key}: {}",
                err.1
            );
        }
        // Browsing may use them, and changes may use other keys.
        assert!(
            Keymap::with_overrides(&pairs(&[
                ("back", &["b"]),
                ("open", &["o"]),
                ("down", &["Enter"]),
                ("toggle", &["t"])
            ]))
            .is_ok()
        );
        // The defaults obey the rule too.
        for b in NORMAL.iter().filter(|b| changes_iam(&b.action)) {
            for key in b.keys {
                assert_eq!(answer_key(key), None, "{b:?}");
            }
        }
    }
}
