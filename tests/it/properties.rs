//! Property tests: random keys, pastes and resizes (down to 1×1) through
//! keymap → update → draw never panic and keep the state's invariants.

use crate::common;

use std::cmp::Ordering;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use iamkeys::core::model::KeyStatus;
use iamkeys::tui::action::Action;
use iamkeys::tui::keymap;
use iamkeys::tui::state::{Fetch, State};
use iamkeys::tui::ui::{self, ViewState};
use iamkeys::tui::update::update;
use proptest::prelude::*;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

#[derive(Clone, Debug)]
enum Step {
    Key(KeyEvent),
    Paste(String),
    Resize(u16, u16),
}

fn key_event() -> impl Strategy<Value = KeyEvent> {
    let codes = prop_oneof![
        prop::sample::select(vec![
            'j', 'k', 'g', 'G', '/', 's', 'S', 'r', '?', ' ', 'c', 'd', 'y', 'n', 'a', '1', 'A',
            'K', 'I'
        ])
        .prop_map(KeyCode::Char),
        prop::sample::select(vec![
            KeyCode::Up,
            KeyCode::Down,
            KeyCode::PageUp,
            KeyCode::PageDown,
            KeyCode::Home,
            KeyCode::End,
            KeyCode::Tab,
            KeyCode::BackTab,
            KeyCode::Enter,
            KeyCode::Esc,
            KeyCode::Backspace,
            KeyCode::Left,
            KeyCode::Right,
            KeyCode::Delete,
        ]),
    ];
    // No Ctrl-C: quitting ends the sequence early; it is tested end to end.
    (codes, prop::bool::weighted(0.1)).prop_map(|(code, shift)| {
        KeyEvent::new(
            code,
            if shift {
                KeyModifiers::SHIFT
            } else {
                KeyModifiers::NONE
            },
        )
    })
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        8 => key_event().prop_map(Step::Key),
        1 => "[a-zA-Z0-9 ./\\-_\n]{0,12}".prop_map(Step::Paste),
        1 => (1u16..200, 1u16..60).prop_map(|(w, h)| Step::Resize(w, h)),
    ]
}

/// Forty users with every shape of keys, for a view worth scrolling.
fn state() -> State {
    let mut state = common::fixtures::sample_state();
    let mut users: Vec<_> = state.inventory.users.clone();
    for i in 0..35 {
        let name = format!("user{i:02}");
        let keys = (0..(i % 3))
            .map(|k| {
                common::fixtures::key(
                    &name,
                    &format!("AKIAUSER{i:02}{k:010}"),
                    if k == 0 {
                        KeyStatus::Active
                    } else {
                        KeyStatus::Inactive
                    },
                    i * 30,
                    (i % 4 != 0).then_some((i, "s3", "eu-west-1")),
                )
            })
            .collect();
        users.push(common::fixtures::entry(
            common::fixtures::user(&name, if i % 2 == 0 { "/a/" } else { "/b/" }, 100 + i),
            Fetch::Ready(keys),
        ));
    }
    state.set_users(users);
    state
}

fn check_invariants(state: &State) -> Result<(), TestCaseError> {
    if state.screen.view.is_empty() {
        prop_assert_eq!(state.screen.selected, 0);
    } else {
        prop_assert!(
            state.screen.selected < state.screen.view.len(),
            "selection {} of {}",
            state.screen.selected,
            state.screen.view.len()
        );
    }
    let keys = state.selected_user().map_or(0, |u| u.key_entries().len());
    prop_assert!(state.screen.selected_key < keys.max(1));
    let mut seen = std::collections::HashSet::new();
    for &i in &state.screen.view {
        prop_assert!(i < state.inventory.users.len());
        prop_assert!(seen.insert(i), "user {} twice in the view", i);
    }
    if !state.screen.view_stale {
        // A bad term filters nothing (the pane says why).
        let filter =
            iamkeys::core::filter::Filter::parse(state.screen.filter.value()).unwrap_or_default();
        let matching = state
            .inventory
            .users
            .iter()
            .filter(|u| state.user_matches(&filter, u))
            .count();
        prop_assert_eq!(
            matching,
            state.screen.view.len(),
            "the view is exactly the users the filter matches"
        );
        for pair in state.screen.view.windows(2) {
            let order = state.compare_users(
                &state.inventory.users[pair[0]],
                &state.inventory.users[pair[1]],
            );
            let order = if state.screen.sort.reversed {
                order.reverse()
            } else {
                order
            };
            prop_assert!(order != Ordering::Greater, "the view is sorted");
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn random_input_never_panics_and_keeps_the_invariants(steps in prop::collection::vec(step(), 1..80)) {
        let mut state = state();
        let (mut width, mut height) = (100u16, 30u16);
        update(&mut state, Action::Resize { width, height });
        let mut view = ViewState::default();
        for step in steps {
            match step {
                Step::Key(key) => {
                    if let Some(action) = keymap::action_for(state.input_mode(), key) {
                        update(&mut state, action);
                    }
                }
                Step::Paste(text) => {
                    update(&mut state, Action::Paste(text));
                }
                Step::Resize(w, h) => {
                    (width, height) = (w, h);
                    update(&mut state, Action::Resize { width, height });
                }
            }
            prop_assert!(!state.should_quit);
            let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
            terminal.draw(|f| ui::draw(f, &state, &mut view)).unwrap();
            check_invariants(&state)?;
        }
    }
}
