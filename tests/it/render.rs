//! The view as text: insta snapshots of the whole screen at several sizes.

use crate::common;

use common::fixtures::sample_state;
use iamkeys::tui::action::Action;
use iamkeys::tui::state::State;
use iamkeys::tui::ui::{self, ViewState};
use iamkeys::tui::update::update;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn render(state: &State, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    let mut view = ViewState::default();
    terminal.draw(|f| ui::draw(f, state, &mut view)).unwrap();
    terminal
}

fn loaded_state() -> State {
    let mut state = sample_state();
    state.inventory.load.generation = 1;
    state.inventory.load.started =
        Some(common::fixtures::days_ago(0) - jiff::SignedDuration::from_millis(2300));
    state.inventory.load.finished = Some(common::fixtures::now());
    state
}

#[test]
fn dashboard_120x40() {
    insta::assert_snapshot!(render(&loaded_state(), 120, 40).backend());
}

#[test]
fn dashboard_80x24_keeps_key_ids_whole() {
    let mut state = loaded_state();
    update(&mut state, Action::OpenKeys);
    let terminal = render(&state, 80, 24);
    let text = terminal.backend().to_string();
    assert!(
        text.contains("AKIACAROL00000000001") && text.contains("AKIACAROL00000000002"),
        "{text}"
    );
    insta::assert_snapshot!(terminal.backend());
}

#[test]
fn keys_that_cannot_be_read_say_why() {
    let mut state = loaded_state();
    update(
        &mut state,
        Action::Move(iamkeys::tui::action::Motion::Bottom),
    );
    update(&mut state, Action::Move(iamkeys::tui::action::Motion::Up));
    insta::assert_snapshot!(render(&state, 100, 24).backend());
}

#[test]
fn filtering_and_loading() {
    let mut state = loaded_state();
    state.inventory.load.in_flight = true;
    state.inventory.load.finished = None;
    update(&mut state, Action::StartFilter);
    for c in "ops".chars() {
        update(
            &mut state,
            Action::FilterEdit(crossterm::event::KeyEvent::new(
                crossterm::event::KeyCode::Char(c),
                crossterm::event::KeyModifiers::NONE,
            )),
        );
    }
    insta::assert_snapshot!(render(&state, 100, 20).backend());
}

#[test]
fn help_overlay_lists_the_keymap() {
    let mut state = loaded_state();
    update(&mut state, Action::ToggleHelp);
    let terminal = render(&state, 100, 30);
    insta::assert_snapshot!(terminal.backend());
    // Every binding is in it, scrolled to.
    let mut text = terminal.backend().to_string();
    for _ in 0..6 {
        update(
            &mut state,
            Action::Move(iamkeys::tui::action::Motion::PageDown),
        );
        text.push_str(&render(&state, 100, 30).backend().to_string());
    }
    for binding in iamkeys::tui::keymap::bindings(iamkeys::tui::state::Mode::Normal) {
        assert!(text.contains(binding.help), "help lacks {:?}", binding.help);
    }
}

#[test]
fn tiny_terminals_get_a_notice_not_garbage() {
    insta::assert_snapshot!(render(&loaded_state(), 30, 8).backend());
    for (w, h) in [(1, 1), (2, 1), (59, 40), (200, 14), (0, 0)] {
        render(&loaded_state(), w, h);
    }
}

#[test]
fn empty_account() {
    let state = State::new(common::fixtures::context(), common::fixtures::now());
    insta::assert_snapshot!(render(&state, 80, 24).backend());
}

fn press(state: &mut State, actions: &[Action]) {
    for action in actions {
        update(state, action.clone());
    }
}

fn select_user(state: &mut State, name: &str) {
    let at = state
        .screen
        .view
        .iter()
        .position(|&i| state.inventory.users[i].user.name == name)
        .unwrap();
    state.screen.selected = at;
    // As a move or a click would: the administrator chose this user.
    state.screen.selection_chosen = true;
    state.screen.selected_key = 0;
}

#[test]
fn create_dialog_names_the_user_and_its_keys() {
    let mut state = loaded_state();
    select_user(&mut state, "iamkeys-admin");
    press(&mut state, &[Action::CreateKey]);
    insta::assert_snapshot!(render(&state, 80, 24).backend());
}

#[test]
fn the_two_key_limit_is_explained() {
    let mut state = loaded_state();
    press(&mut state, &[Action::CreateKey]);
    insta::assert_snapshot!(render(&state, 100, 24).backend());
}

#[test]
fn delete_of_an_active_key_asks_to_deactivate_first_with_cancel_focused() {
    let mut state = loaded_state();
    press(&mut state, &[Action::OpenKeys, Action::DeleteKey]);
    insta::assert_snapshot!(render(&state, 100, 30).backend());
}

#[test]
fn the_signing_key_needs_its_id_typed() {
    let mut state = loaded_state();
    select_user(&mut state, "iamkeys-admin");
    press(&mut state, &[Action::OpenKeys, Action::ToggleKey]);
    insta::assert_snapshot!(render(&state, 100, 30).backend());
}

#[test]
fn the_secret_dialog_shows_id_and_secret_once() {
    use iamkeys::core::model::{AccessKey, KeyStatus, NewKey, Secret};
    let mut state = loaded_state();
    select_user(&mut state, "iamkeys-admin");
    let new_key = NewKey {
        key: AccessKey {
            id: "AKIANEWKEY0000000001".into(),
            user: "iamkeys-admin".into(),
            status: KeyStatus::Active,
            created: common::fixtures::now(),
            description: None,
        },
        secret: Secret::new("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into()),
    };
    update(
        &mut state,
        Action::Changed {
            ticket: iamkeys::core::change::Ticket::default(),
            change: iamkeys::core::change::KeyChange::Create {
                user: "iamkeys-admin".into(),
                description: None,
            },
            result: Ok(iamkeys::core::change::ChangeOutcome::Created {
                key: new_key,
                description_error: None,
            }),
        },
    );
    insta::assert_snapshot!("secret_showing", render(&state, 100, 30).backend());
    update(&mut state, Action::SecretSave);
    insta::assert_snapshot!("secret_save_path", render(&state, 100, 30).backend());
}

#[test]
fn read_only_and_pending_marks() {
    let mut state = loaded_state();
    state.context.read_only = true;
    state.jobs.pending_keys.insert(
        "AKIACAROL00000000001".into(),
        iamkeys::tui::state::PendingOp::Deactivating,
    );
    press(&mut state, &[Action::OpenKeys, Action::ToggleKey]);
    let terminal = render(&state, 120, 24);
    let text = terminal.backend().to_string();
    assert!(
        text.contains("READ-ONLY") && text.contains("deactivating…"),
        "{text}"
    );
    assert!(text.contains("read-only mode (--read-only)"), "{text}");
}

#[test]
fn enter_on_a_key_shows_its_details_and_findings_with_their_rules() {
    let mut state = loaded_state();
    press(&mut state, &[Action::OpenKeys, Action::OpenKeys]);
    let terminal = render(&state, 100, 30);
    let text = terminal.backend().to_string();
    assert!(
        text.contains("arn:aws:iam::123456789012:user/ops/carol.ops"),
        "{text}"
    );
    assert!(
        text.contains("rotation-due") && text.contains("older than 90 days (rotate_after_days)"),
        "{text}"
    );
    insta::assert_snapshot!(terminal.backend());
}

#[test]
fn the_help_scrolls_to_the_dialog_keys_and_the_findings_legend() {
    let mut state = loaded_state();
    update(&mut state, Action::ToggleHelp);
    let first = render(&state, 100, 30).backend().to_string();
    assert!(first.contains("j/↓ scrolls"), "{first}");
    assert!(!first.contains("Findings (short form)"));
    let mut seen = String::new();
    for _ in 0..200 {
        update(&mut state, Action::Move(iamkeys::tui::action::Motion::Down));
        seen.push_str(&render(&state, 100, 30).backend().to_string());
    }
    let last = render(&state, 100, 30).backend().to_string();
    assert!(last.contains("Findings (short form)"), "{last}");
    // The short form in a column of its own, not in brackets.
    let rotation = last
        .lines()
        .find(|l| l.contains("rotation-due"))
        .unwrap_or_default();
    assert!(rotation.contains("rotation-due    old    active"), "{last}");
    // On the way down: the dialogs' keys and the filter terms.
    assert!(seen.contains("In the secret dialog"), "{seen}");
    assert!(seen.contains("is:unused,never-used"), "{seen}");
    // Closing and opening again starts at the top.
    update(&mut state, Action::ToggleHelp);
    update(&mut state, Action::ToggleHelp);
    assert_eq!(state.screen.help_scroll, 0);
}

/// The screen as a terminal with `NO_COLOR` shows it: colours dropped (what
/// crossterm does when NO_COLOR is set), each row followed by the text
/// attributes that remain (`R` reversed, `B` bold) so the snapshot shows what
/// still marks the selection and the focused pane.
fn without_colour(terminal: &Terminal<TestBackend>) -> String {
    use ratatui::style::Modifier;
    let buffer = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..buffer.area.height {
        let mut line = String::new();
        let (mut reversed, mut bold) = (false, false);
        for x in 0..buffer.area.width {
            let cell = &buffer[(x, y)];
            line.push_str(cell.symbol());
            reversed |= cell.modifier.contains(Modifier::REVERSED);
            bold |= cell.modifier.contains(Modifier::BOLD);
        }
        let marks = format!(
            "{}{}",
            if reversed { "R" } else { "" },
            if bold { "B" } else { "" }
        );
        out.push_str(&format!("{line}|{marks}\n"));
    }
    out
}

/// Rows whose cells are reversed: the selected row of the focused table.
fn reversed_rows(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| l.rsplit('|').next().is_some_and(|m| m.contains('R')))
        .collect()
}

fn assert_ids_whole(text: &str, state: &State) {
    let ids: Vec<&str> = state
        .inventory
        .users
        .iter()
        .flat_map(|u| u.key_entries().iter().map(|e| e.key.id.as_str()))
        .collect();
    // Every key id on screen is whole: each "AKIA" starts one of the ids.
    for (at, _) in text.match_indices("AKIA") {
        let shown = &text[at..(at + 20).min(text.len())];
        assert!(ids.contains(&shown), "a cut key id: {shown:?}");
    }
}

#[test]
fn users_view_at_every_size_with_and_without_colour() {
    for (w, h) in [(60, 20), (80, 24), (120, 40)] {
        let mut state = loaded_state();
        update(&mut state, Action::OpenKeys);
        let terminal = render(&state, w, h);
        let text = terminal.backend().to_string();
        assert!(text.contains("AKIACAROL00000000001"), "{w}x{h}: {text}");
        assert_ids_whole(&text, &state);
        assert!(text.contains('▶'), "the selection is marked at {w}x{h}");
        insta::assert_snapshot!(format!("users_view_{w}x{h}"), terminal.backend());
        let plain = without_colour(&terminal);
        // One selected row, in the focused (thick-bordered) keys pane.
        let selected = reversed_rows(&plain);
        assert_eq!(selected.len(), 1, "{plain}");
        assert!(
            selected[0].contains('▶') && selected[0].contains("AKIACAROL00000000001"),
            "{plain}"
        );
        assert!(plain.contains("┏ Keys of carol.ops"), "{plain}");
        insta::assert_snapshot!(format!("users_view_{w}x{h}_no_color"), plain);
    }
}

#[test]
fn keys_view_lists_every_key_most_urgent_first_at_every_size() {
    for (w, h) in [(60, 20), (80, 24), (120, 40)] {
        let mut state = loaded_state();
        update(
            &mut state,
            Action::ShowBoard(iamkeys::tui::state::Board::Keys),
        );
        let terminal = render(&state, w, h);
        let text = terminal.backend().to_string();
        assert!(text.contains("All keys"), "{text}");
        assert_ids_whole(&text, &state);
        insta::assert_snapshot!(format!("keys_view_{w}x{h}"), terminal.backend());
        let plain = without_colour(&terminal);
        let selected = reversed_rows(&plain);
        assert_eq!(selected.len(), 1, "{plain}");
        assert!(selected[0].contains('▶'), "{plain}");
        insta::assert_snapshot!(format!("keys_view_{w}x{h}_no_color"), plain);
    }
    // Every key of the account is a row; urgent ones first.
    let mut state = loaded_state();
    update(
        &mut state,
        Action::ShowBoard(iamkeys::tui::state::Board::Keys),
    );
    let total: usize = state
        .inventory
        .users
        .iter()
        .map(|u| u.key_entries().len())
        .sum();
    assert_eq!(state.screen.key_rows.len(), total);
    let ranks: Vec<usize> = state
        .screen
        .key_rows
        .iter()
        .map(|&(u, k)| {
            state.key_urgency_rank(
                &state.inventory.users[u],
                &state.inventory.users[u].key_entries()[k],
            )
        })
        .collect();
    assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "{ranks:?}");
}

#[test]
fn a_click_selects_the_row_under_it_and_the_wheel_moves_the_selection() {
    use iamkeys::tui::action::Pane;
    let mut state = loaded_state();
    let mut terminal = Terminal::new(TestBackend::new(100, 30)).unwrap();
    let mut view = ViewState::default();
    terminal.draw(|f| ui::draw(f, &state, &mut view)).unwrap();
    let text = terminal.backend().to_string();
    // Find the screen row of a user and click it.
    let y = text
        .lines()
        .position(|l| l.contains("iamkeys-admin") && !l.contains("arn:"))
        .unwrap() as u16;
    let (pane, row) = view.hit(10, y).unwrap();
    assert_eq!(pane, Pane::Users);
    update(
        &mut state,
        Action::Click {
            pane,
            row: row.unwrap(),
        },
    );
    assert_eq!(state.selected_user().unwrap().user.name, "iamkeys-admin");
    // The column header and the border are not rows.
    let header_y = text.lines().position(|l| l.contains("Needs")).unwrap() as u16;
    assert_eq!(view.hit(10, header_y), Some((Pane::Users, None)));
    // The wheel over the keys pane focuses it and moves its selection.
    terminal.draw(|f| ui::draw(f, &state, &mut view)).unwrap();
    let keys_y = terminal
        .backend()
        .to_string()
        .lines()
        .position(|l| l.contains("AKIAADMIN00000000001"))
        .unwrap() as u16;
    let (pane, row) = view.hit(10, keys_y).unwrap();
    assert_eq!((pane, row), (Pane::Keys, Some(0)));
    update(&mut state, Action::Wheel { pane, down: true });
    assert_eq!(state.screen.focus, iamkeys::tui::state::Focus::Keys);
    // Under a dialog, the mouse points at nothing.
    update(&mut state, Action::OpenKeys);
    terminal.draw(|f| ui::draw(f, &state, &mut view)).unwrap();
    assert_eq!(view.hit(10, keys_y), None);
}
