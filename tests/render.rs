//! The view as text: insta snapshots of the whole screen at several sizes.

mod common;

use common::fixtures::sample_state;
use iamkeys::action::Action;
use iamkeys::state::State;
use iamkeys::ui::{self, ViewState};
use iamkeys::update::update;
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
    state.load.generation = 1;
    state.load.started =
        Some(common::fixtures::days_ago(0) - jiff::SignedDuration::from_millis(2300));
    state.load.finished = Some(common::fixtures::now());
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
    update(&mut state, Action::Move(iamkeys::action::Motion::Bottom));
    update(&mut state, Action::Move(iamkeys::action::Motion::Up));
    insta::assert_snapshot!(render(&state, 100, 24).backend());
}

#[test]
fn filtering_and_loading() {
    let mut state = loaded_state();
    state.load.in_flight = true;
    state.load.finished = None;
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
    let text = terminal.backend().to_string();
    for binding in iamkeys::keymap::bindings(iamkeys::state::Mode::Normal) {
        assert!(text.contains(binding.help), "help lacks {:?}", binding.help);
    }
    insta::assert_snapshot!(terminal.backend());
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
