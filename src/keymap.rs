//! Default key bindings: one table per mode. The keymap, the help overlay and
//! the footer hints all read these tables, so they cannot drift apart.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::action::{Action, Motion};
use crate::state::Mode;

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

static NORMAL: &[Binding] = &[
    Binding {
        keys: &[ch('j'), plain(KeyCode::Down)],
        label: "j/↓",
        help: "move down",
        hint: None,
        action: Action::Move(Motion::Down),
    },
    Binding {
        keys: &[ch('k'), plain(KeyCode::Up)],
        label: "k/↑",
        help: "move up",
        hint: None,
        action: Action::Move(Motion::Up),
    },
    Binding {
        keys: &[
            plain(KeyCode::PageDown),
            Key {
                code: KeyCode::Char('f'),
                modifiers: KeyModifiers::CONTROL,
            },
        ],
        label: "PgDn",
        help: "page down",
        hint: None,
        action: Action::Move(Motion::PageDown),
    },
    Binding {
        keys: &[
            plain(KeyCode::PageUp),
            Key {
                code: KeyCode::Char('b'),
                modifiers: KeyModifiers::CONTROL,
            },
        ],
        label: "PgUp",
        help: "page up",
        hint: None,
        action: Action::Move(Motion::PageUp),
    },
    Binding {
        keys: &[ch('g'), plain(KeyCode::Home)],
        label: "g/Home",
        help: "first row",
        hint: None,
        action: Action::Move(Motion::Top),
    },
    Binding {
        keys: &[ch('G'), plain(KeyCode::End)],
        label: "G/End",
        help: "last row",
        hint: None,
        action: Action::Move(Motion::Bottom),
    },
    Binding {
        keys: &[plain(KeyCode::Tab), plain(KeyCode::BackTab)],
        label: "Tab",
        help: "switch focus users ↔ keys",
        hint: None,
        action: Action::SwitchFocus,
    },
    Binding {
        keys: &[plain(KeyCode::Enter)],
        label: "Enter",
        help: "open the selected user's keys",
        hint: None,
        action: Action::OpenKeys,
    },
    Binding {
        keys: &[ch('/')],
        label: "/",
        help: "filter users by name, path or access key id",
        hint: Some("filter"),
        action: Action::StartFilter,
    },
    Binding {
        keys: &[ch('s')],
        label: "s",
        help: "sort by the next column",
        hint: None,
        action: Action::CycleSort,
    },
    Binding {
        keys: &[ch('S')],
        label: "S",
        help: "reverse the sort",
        hint: None,
        action: Action::ReverseSort,
    },
    Binding {
        keys: &[ch('r')],
        label: "r",
        help: "refresh from IAM",
        hint: Some("refresh"),
        action: Action::Refresh,
    },
    Binding {
        keys: &[ch(' ')],
        label: "space",
        help: "toggle the selected key Active ↔ Inactive",
        hint: Some("toggle"),
        action: Action::ToggleKey,
    },
    Binding {
        keys: &[ch('c')],
        label: "c",
        help: "create a key for the selected user",
        hint: Some("create"),
        action: Action::CreateKey,
    },
    Binding {
        keys: &[ch('d')],
        label: "d",
        help: "delete the selected key",
        hint: Some("delete"),
        action: Action::DeleteKey,
    },
    Binding {
        keys: &[ch('y')],
        label: "y",
        help: "copy the selected key id (OSC 52)",
        hint: None,
        action: Action::CopyKeyId,
    },
    Binding {
        keys: &[ch('u')],
        label: "u",
        help: "undo the last status change of this session",
        hint: None,
        action: Action::Undo,
    },
    Binding {
        keys: &[plain(KeyCode::Esc)],
        label: "Esc",
        help: "back to the users; there, clear the filter",
        hint: None,
        action: Action::Back,
    },
    Binding {
        keys: &[ch('?')],
        label: "?",
        help: "help",
        hint: Some("help"),
        action: Action::ToggleHelp,
    },
    Binding {
        keys: &[ch('q'), CTRL_C],
        label: "q/Ctrl-C",
        help: "quit",
        hint: Some("quit"),
        action: Action::Quit,
    },
    CTRL_Z_SUSPENDS,
];

static FILTER: &[Binding] = &[
    Binding {
        keys: &[plain(KeyCode::Enter)],
        label: "Enter",
        help: "keep the filter and return to the list",
        hint: Some("keep"),
        action: Action::FilterAccept,
    },
    Binding {
        keys: &[plain(KeyCode::Esc)],
        label: "Esc",
        help: "clear the filter",
        hint: Some("clear"),
        action: Action::FilterClear,
    },
    Binding {
        keys: &[plain(KeyCode::Down)],
        label: "↓",
        help: "move down",
        hint: None,
        action: Action::Move(Motion::Down),
    },
    Binding {
        keys: &[plain(KeyCode::Up)],
        label: "↑",
        help: "move up",
        hint: None,
        action: Action::Move(Motion::Up),
    },
    CTRL_C_QUITS,
    CTRL_Z_SUSPENDS,
];

static HELP: &[Binding] = &[
    Binding {
        keys: &[ch('?'), plain(KeyCode::Esc), ch('q')],
        label: "?/Esc",
        help: "close help",
        hint: Some("close"),
        action: Action::ToggleHelp,
    },
    Binding {
        keys: &[ch('j'), plain(KeyCode::Down)],
        label: "j/↓",
        help: "scroll down",
        hint: Some("scroll"),
        action: Action::Move(Motion::Down),
    },
    Binding {
        keys: &[ch('k'), plain(KeyCode::Up)],
        label: "k/↑",
        help: "scroll up",
        hint: None,
        action: Action::Move(Motion::Up),
    },
    Binding {
        keys: &[plain(KeyCode::PageDown)],
        label: "PgDn",
        help: "scroll a page down",
        hint: None,
        action: Action::Move(Motion::PageDown),
    },
    Binding {
        keys: &[plain(KeyCode::PageUp)],
        label: "PgUp",
        help: "scroll a page up",
        hint: None,
        action: Action::Move(Motion::PageUp),
    },
    CTRL_C_QUITS,
    CTRL_Z_SUSPENDS,
];

static CONFIRM: &[Binding] = &[
    Binding {
        keys: &[ch('y')],
        label: "y",
        help: "confirm",
        hint: Some("yes"),
        action: Action::DialogConfirm,
    },
    Binding {
        keys: &[ch('n'), plain(KeyCode::Esc)],
        label: "n/Esc",
        help: "cancel",
        hint: Some("no"),
        action: Action::DialogCancel,
    },
    Binding {
        keys: &[
            plain(KeyCode::Tab),
            plain(KeyCode::BackTab),
            plain(KeyCode::Left),
            plain(KeyCode::Right),
        ],
        label: "Tab/←/→",
        help: "move between the buttons",
        hint: Some("move"),
        action: Action::DialogFocusNext,
    },
    Binding {
        keys: &[plain(KeyCode::Enter)],
        label: "Enter",
        help: "press the focused button",
        hint: Some("press"),
        action: Action::DialogPress,
    },
    CTRL_C_QUITS,
    CTRL_Z_SUSPENDS,
];

static TEXT_ENTRY: &[Binding] = &[
    Binding {
        keys: &[plain(KeyCode::Enter)],
        label: "Enter",
        help: "submit",
        hint: Some("submit"),
        action: Action::DialogSubmit,
    },
    Binding {
        keys: &[plain(KeyCode::Esc)],
        label: "Esc",
        help: "cancel",
        hint: Some("cancel"),
        action: Action::DialogCancel,
    },
    CTRL_C_QUITS,
    CTRL_Z_SUSPENDS,
];

static SECRET: &[Binding] = &[
    Binding {
        keys: &[ch('c')],
        label: "c",
        help: "copy the secret (OSC 52)",
        hint: Some("copy secret"),
        action: Action::SecretCopy,
    },
    Binding {
        keys: &[ch('s')],
        label: "s",
        help: "save id and secret as a CSV file (mode 0600)",
        hint: Some("save CSV"),
        action: Action::SecretSave,
    },
    Binding {
        // Ctrl-C too: the secret is never lost to a stray key without a confirmation.
        keys: &[plain(KeyCode::Esc), CTRL_C],
        label: "Esc",
        help: "close (asks once more: the secret cannot be shown again)",
        hint: Some("close"),
        action: Action::DialogCancel,
    },
    CTRL_Z_SUSPENDS,
];

static NOTICE: &[Binding] = &[
    Binding {
        keys: &[plain(KeyCode::Enter), plain(KeyCode::Esc), ch('q')],
        label: "Enter/Esc",
        help: "close",
        hint: Some("close"),
        action: Action::DialogCancel,
    },
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
    }
}

/// What a key press means in `mode`. In the filter field, unbound keys are text.
pub fn action_for(mode: Mode, event: KeyEvent) -> Option<Action> {
    if event.kind == KeyEventKind::Release {
        return None;
    }
    let bound = bindings(mode)
        .iter()
        .find(|b| b.keys.iter().any(|k| k.matches(&event)))
        .map(|b| b.action.clone());
    match (bound, mode) {
        (Some(action), _) => Some(action),
        (None, Mode::Filter) => Some(Action::FilterEdit(event)),
        (None, Mode::TextEntry) => Some(Action::DialogEdit(event)),
        (None, _) => None,
    }
}

/// Footer hints for `mode`, as (keys, word) pairs.
pub fn hints(mode: Mode) -> impl Iterator<Item = (&'static str, &'static str)> {
    hints_where(mode, |_| true)
}

/// The footer's hints for `mode`, only of bindings whose action `works`.
pub fn hints_where(
    mode: Mode,
    works: impl Fn(&Action) -> bool,
) -> impl Iterator<Item = (&'static str, &'static str)> {
    bindings(mode)
        .iter()
        .filter(move |b| works(&b.action))
        .filter_map(|b| b.hint.map(|hint| (b.label, hint)))
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
        ] {
            for b in bindings(mode) {
                assert!(!b.keys.is_empty() && !b.help.is_empty(), "{b:?}");
            }
        }
        let words: Vec<_> = hints(Mode::Normal).map(|(_, w)| w).collect();
        assert_eq!(
            words,
            [
                "filter", "refresh", "toggle", "create", "delete", "help", "quit"
            ]
        );
    }
}
