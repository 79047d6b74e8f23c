//! Issue 20 item 9, issue 18: every sentence that names a browsing key is
//! derived from the keymap. With EVERY browsing action rebound in `[keys]`,
//! a walk over the main screens, dialogs and status messages never names a
//! default key, and names the new ones.

use crate::common::fixtures;

use crossterm::event::KeyEvent;
use iamkeys::core::change::ChangeOutcome;
use iamkeys::tui::action::{Action, Effect};
use iamkeys::tui::keymap::{Keymap, parse_key};
use iamkeys::tui::state::{Board, State};
use iamkeys::tui::update::update;

/// Every browsing action and the key it is moved to: none keeps a default.
const REBOUND: &[(&str, &str)] = &[
    ("down", "Ctrl-n"),
    ("up", "Ctrl-p"),
    ("page-down", "Ctrl-d"),
    ("page-up", "Ctrl-u"),
    ("top", "Ctrl-a"),
    ("bottom", "Ctrl-e"),
    ("switch-focus", "Ctrl-t"),
    ("open", "Ctrl-o"),
    ("users-view", "Ctrl-1"),
    ("keys-view", "Ctrl-2"),
    ("filter", "F11"),
    ("sort", "F12"),
    ("reverse-sort", "Ctrl-s"),
    ("refresh", "F10"),
    ("toggle", "F1"),
    ("create", "F2"),
    ("delete", "F3"),
    ("copy-id", "Ctrl-y"),
    ("undo", "F4"),
    ("rotate", "F5"),
    ("mark", "F6"),
    ("mark-all", "F7"),
    ("deactivate-marked", "F8"),
    ("delete-marked", "F9"),
    ("back", "Ctrl-g"),
    ("help", "Ctrl-k"),
    ("quit", "Ctrl-x"),
];

/// The default labels a sentence could name. Digits (`1`, `2`) and Enter,
/// Esc and Tab are fixed dialog keys or data too, and are checked by the
/// footer's words instead; `/` is the root path too, and is checked in the
/// ways sentences name it ([`OLD_FILTER`]).
const OLD: &[&str] = &[
    "j/↓", "k/↑", "g/Home", "G/End", "s", "S", "r", "space", "c", "d", "y", "u", "R", "m", "M",
    "D", "X", "?", "q", "q/Ctrl-C",
];

/// How sentences named the filter key.
const OLD_FILTER: &[&str] = &["press /", "/ filter", "/ again"];

/// Keys a dialog answers with, fixed whatever `[keys]` says.
const DIALOG_KEYS: &[&str] = &["y", "n", "c", "s"];

fn rebound_state() -> State {
    let pairs: Vec<(String, Vec<String>)> = REBOUND
        .iter()
        .map(|(name, key)| (name.to_string(), vec![key.to_string()]))
        .collect();
    let keymap = Keymap::with_overrides(&pairs).expect("every action rebound");
    let names: Vec<_> = iamkeys::tui::keymap::action_names().collect();
    assert_eq!(names.len(), REBOUND.len(), "rebind every action: {names:?}");
    let mut context = fixtures::context();
    context.keymap = keymap;
    let mut state = State::new(context, fixtures::now());
    state.set_users(fixtures::sample_state().inventory.users.clone());
    state
}

/// Presses the key now bound to `name` (so the new keys are seen to work).
fn press(state: &mut State, name: &str) -> Vec<Effect> {
    let spelled = REBOUND.iter().find(|(n, _)| *n == name).unwrap().1;
    let key = parse_key(spelled).unwrap();
    let event = KeyEvent::new(key.code, key.modifiers);
    let action = state
        .context
        .keymap
        .action_for(state.input_mode(), event)
        .unwrap_or_else(|| panic!("{spelled} does nothing"));
    update(state, action)
}

fn screen(state: &State, width: u16, height: u16) -> String {
    let backend = ratatui::backend::TestBackend::new(width, height);
    let mut terminal = ratatui::Terminal::new(backend).unwrap();
    let mut view = iamkeys::tui::ui::ViewState::default();
    terminal
        .draw(|f| iamkeys::tui::ui::draw(f, state, &mut view))
        .unwrap();
    let buffer = terminal.backend().buffer();
    let mut text = String::new();
    for y in 0..buffer.area.height {
        for x in 0..buffer.area.width {
            text.push_str(buffer[(x, y)].symbol());
        }
        text.push('\n');
    }
    text
}

/// Whether `text` names the key `label` as a word: `u undoes`, `(press /)`.
fn names(text: &str, label: &str) -> bool {
    let before = |c: Option<char>| c.is_none_or(|c| c.is_whitespace() || c == '(');
    let after = |c: Option<char>| c.is_none_or(|c| c.is_whitespace() || c == ')' || c == ':');
    text.match_indices(label).any(|(at, _)| {
        before(text[..at].chars().next_back()) && after(text[at + label.len()..].chars().next())
    })
}

/// No default key named in `text` (dialog keys allowed where a dialog is open).
fn assert_no_old_key(state: &State, what: &str, text: &str) {
    for label in OLD {
        if state.screen.dialog.is_some() && DIALOG_KEYS.contains(label) {
            continue;
        }
        assert!(
            !names(text, label),
            "{what} names the old key {label:?}:\n{text}"
        );
    }
    for old in OLD_FILTER {
        assert!(
            !text.contains(old),
            "{what} names the old filter key:\n{text}"
        );
    }
}

fn status(state: &State) -> String {
    state
        .screen
        .status
        .as_ref()
        .map(|s| s.text.clone())
        .unwrap_or_default()
}

/// Checks the status line and the whole screen, and returns the status line.
fn check(state: &State, what: &str) -> String {
    let said = status(state);
    assert_no_old_key(state, what, &said);
    assert_no_old_key(state, what, &screen(state, 160, 40));
    said
}

fn tick(state: &mut State, secs: i64) {
    update(
        state,
        Action::Tick(fixtures::now() + jiff::SignedDuration::from_secs(secs)),
    );
}

fn select_user(state: &mut State, name: &str) {
    state.screen.selected = state
        .screen
        .view
        .iter()
        .position(|&i| state.inventory.users[i].user.name == name)
        .unwrap();
}

#[test]
fn with_every_key_rebound_no_sentence_names_an_old_key() {
    let mut state = rebound_state();
    // The users view: the title's filter hint, the footer.
    let text = screen(&state, 160, 40);
    assert!(text.contains("(press F11)"), "{text}");
    assert!(text.contains("Ctrl-2 all keys"), "{text}");
    assert!(
        !text.contains("Ctrl-1 users"),
        "the view on screen is not offered: {text}"
    );
    check(&state, "the users view");

    // Key actions without a key selected say how to select one.
    select_user(&mut state, "carol.ops");
    press(&mut state, "toggle");
    let said = check(&state, "toggle on a user");
    assert!(said.contains("Ctrl-t or Ctrl-o moves"), "{said}");
    press(&mut state, "mark");
    let said = check(&state, "mark on a user");
    assert!(
        said.contains("F6 marks") && said.contains("Ctrl-t or Ctrl-o"),
        "{said}"
    );
    press(&mut state, "deactivate-marked");
    let said = check(&state, "a bulk key without marks");
    assert!(
        said.contains("F6 marks") && said.contains("F7 every key"),
        "{said}"
    );
    select_user(&mut state, "erin.nokeys");
    press(&mut state, "toggle");
    let said = check(&state, "toggle on a user without keys");
    assert!(said.contains("F2 creates one"), "{said}");

    // Marks: only what the bulk keys would do to the keys marked.
    select_user(&mut state, "carol.ops");
    press(&mut state, "open");
    press(&mut state, "down");
    press(&mut state, "mark");
    let said = check(&state, "an inactive key marked");
    assert!(said.contains("F9 deletes"), "{said}");
    assert!(
        !said.contains("deactivates"),
        "every marked key is inactive: {said}"
    );
    press(&mut state, "up");
    press(&mut state, "mark");
    let said = check(&state, "an active and an inactive key marked");
    assert!(
        said.contains("F8 deactivates") && said.contains("F9 deletes"),
        "{said}"
    );
    // The delete plan leaves the active key out, naming the deactivation key in force.
    press(&mut state, "delete-marked");
    let Some(iamkeys::tui::dialog::Dialog::BulkPlan(plan)) = &state.screen.dialog else {
        panic!("the delete plan opens")
    };
    assert!(
        plan.left_out
            .iter()
            .any(|(_, _, why)| why == "active: deactivate it first (F8)"),
        "{:?}",
        plan.left_out
    );
    check(&state, "the delete plan");
    update(&mut state, Action::DialogCancel);

    // The in-use dialog and the status after the change say how to undo.
    let effects = press(&mut state, "toggle");
    assert!(effects.is_empty(), "{effects:?}");
    let text = screen(&state, 160, 40);
    assert!(text.contains("(F4 undoes)"), "{text}");
    check(&state, "the in-use dialog");
    tick(&mut state, 2);
    let effects = update(&mut state, Action::DialogConfirm);
    let Some(Effect::Change { ticket, change }) = effects.first().cloned() else {
        panic!("{effects:?}")
    };
    update(
        &mut state,
        Action::Changed {
            ticket,
            change,
            result: Ok(ChangeOutcome::StatusSet),
        },
    );
    let said = check(&state, "a deactivation's answer");
    assert!(said.contains("(F4 undoes)"), "{said}");
    update(&mut state, Action::JournalFailed("disk full".into()));
    let said = check(&state, "a journal failure");
    assert!(said.contains("F4 cannot undo"), "{said}");

    // The keys view offers the users view, not itself.
    press(&mut state, "keys-view");
    assert_eq!(state.screen.board, Board::Keys);
    let text = screen(&state, 160, 40);
    assert!(text.contains("Ctrl-1 users"), "{text}");
    assert!(
        !text.contains("all keys  "),
        "the view on screen is offered: {text}"
    );
    check(&state, "the keys view");
    press(&mut state, "users-view");

    // The help lists the new keys; too small a terminal names the quit key.
    press(&mut state, "help");
    let text = screen(&state, 160, 60);
    assert!(text.contains("F1") && text.contains("Ctrl-x"), "{text}");
    assert!(text.contains("Help — Ctrl-k/Esc closes"), "{text}");
    let text = screen(&state, 160, 30);
    assert!(text.contains("↓ Ctrl-n scrolls"), "{text}");
    // The key that opened the help closes it.
    press(&mut state, "help");
    assert_eq!(state.screen.mode, iamkeys::tui::state::Mode::Normal);
    let text = screen(&state, 30, 8);
    assert!(text.contains("Ctrl-x"), "{text}");
    assert!(!names(&text, "q"), "{text}");
}

/// The secret-save prompt says what its footer says (issue 20 item 9).
#[test]
fn the_secret_save_prompt_and_its_footer_name_the_same_keys() {
    let mut state = fixtures::sample_state_on_key("carol.ops", 0);
    state.screen.dialog = Some(iamkeys::tui::dialog::Dialog::Secret(
        iamkeys::tui::dialog::SecretDialog {
            user: "carol.ops".into(),
            key_id: "AKIACAROL00000000003".into(),
            secret: iamkeys::core::model::Secret::new("s3cret".into()),
            stage: iamkeys::tui::dialog::SecretStage::Showing,
            saved_to: None,
            note: None,
        },
    ));
    update(&mut state, Action::SecretSave);
    let text = screen(&state, 120, 40);
    let footer = text.lines().rev().find(|l| !l.trim().is_empty()).unwrap();
    assert!(footer.contains("Esc cancel"), "{footer}");
    let prompt: Vec<&str> = text.lines().filter(|l| l.contains("Esc")).collect();
    assert!(
        prompt.iter().all(|l| !l.contains("Esc back")),
        "the prompt says Esc back while the footer says cancel:\n{text}"
    );
    assert!(prompt.len() >= 2, "the prompt names Esc too:\n{text}");
}
