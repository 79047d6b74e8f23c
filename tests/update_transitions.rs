#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `update` transitions as plain tests: action in, state and effects out.

mod common;

use common::fixtures::{self, now, sample_state};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use iamkeys::action::{Action, Effect, Motion};
use iamkeys::iam::inventory::LoadEvent;
use iamkeys::iam::model::{AccessKey, KeyStatus, LastUsed};
use iamkeys::state::{Fetch, Focus, Mode, SortColumn, State};
use iamkeys::update::update;

fn names(state: &State) -> Vec<&str> {
    state
        .view
        .iter()
        .map(|&i| state.users[i].user.name.as_str())
        .collect()
}

fn type_text(state: &mut State, text: &str) {
    for c in text.chars() {
        update(
            state,
            Action::FilterEdit(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)),
        );
    }
}

#[test]
fn refresh_starts_a_new_generation_and_stale_replies_change_nothing() {
    let mut state = State::new(fixtures::context(), now());
    assert_eq!(
        update(&mut state, Action::Refresh),
        vec![Effect::LoadInventory { generation: 1 }]
    );
    assert_eq!(
        update(&mut state, Action::Refresh),
        vec![Effect::LoadInventory { generation: 2 }]
    );
    let stale = LoadEvent::UsersPage {
        users: vec![fixtures::user("old", "/", 1)],
        last_page: true,
    };
    update(
        &mut state,
        Action::Inventory {
            generation: 1,
            event: stale,
        },
    );
    assert!(state.users.is_empty());
    let fresh = LoadEvent::UsersPage {
        users: vec![fixtures::user("new", "/", 1)],
        last_page: true,
    };
    update(
        &mut state,
        Action::Inventory {
            generation: 2,
            event: fresh,
        },
    );
    assert_eq!(names(&state), ["new"]);
    assert!(state.load.users_listed && state.load.in_flight);
}

#[test]
fn rows_arrive_as_data_streams_in() {
    let mut state = State::new(fixtures::context(), now());
    update(&mut state, Action::Refresh);
    let page = |names: &[&str], last_page| Action::Inventory {
        generation: 1,
        event: LoadEvent::UsersPage {
            users: names.iter().map(|n| fixtures::user(n, "/", 5)).collect(),
            last_page,
        },
    };
    update(&mut state, page(&["b", "a"], false));
    update(&mut state, Action::Tick(now()));
    assert_eq!(
        names(&state),
        ["a", "b"],
        "first page shows before the last"
    );
    update(&mut state, page(&["c"], true));
    assert_eq!(names(&state), ["a", "b", "c"]);

    let key = AccessKey {
        id: "AKIAA".into(),
        user: "a".into(),
        status: KeyStatus::Active,
        created: fixtures::days_ago(10),
        description: None,
    };
    update(
        &mut state,
        Action::Inventory {
            generation: 1,
            event: LoadEvent::Keys {
                user: "a".into(),
                result: Ok(vec![key]),
            },
        },
    );
    assert!(
        matches!(state.users[state.by_name["a"]].keys, Fetch::Ready(ref k) if k[0].last_used == Fetch::Loading)
    );
    update(
        &mut state,
        Action::Inventory {
            generation: 1,
            event: LoadEvent::LastUsed {
                user: "a".into(),
                key_id: "AKIAA".into(),
                result: Ok(LastUsed::Never),
            },
        },
    );
    assert_eq!(
        state.users[state.by_name["a"]].key_entries()[0].last_used,
        Fetch::Ready(LastUsed::Never)
    );
    assert_eq!(
        (
            state.load.users_with_keys,
            state.load.keys_known,
            state.load.answered_keys.len()
        ),
        (1, 1, 1)
    );
    update(
        &mut state,
        Action::Inventory {
            generation: 1,
            event: LoadEvent::Finished,
        },
    );
    assert!(!state.load.in_flight);
    assert_eq!(state.load.finished, Some(now()));
}

#[test]
fn a_refresh_drops_users_deleted_since_and_keeps_the_selection() {
    let mut state = sample_state();
    update(&mut state, Action::Move(Motion::Down));
    assert_eq!(state.selected_user().unwrap().user.name, "erin.nokeys");
    update(&mut state, Action::Refresh);
    let listed = ["iamkeys-admin", "erin.nokeys"]
        .map(|n| fixtures::user(n, "/", 1))
        .to_vec();
    update(
        &mut state,
        Action::Inventory {
            generation: 1,
            event: LoadEvent::UsersPage {
                users: listed,
                last_page: true,
            },
        },
    );
    assert_eq!(names(&state), ["erin.nokeys", "iamkeys-admin"]);
    assert_eq!(state.selected_user().unwrap().user.name, "erin.nokeys");
}

#[test]
fn moving_stays_within_the_rows() {
    let mut state = sample_state();
    state.page_rows = 2;
    update(&mut state, Action::Move(Motion::Up));
    assert_eq!(state.selected, 0);
    update(&mut state, Action::Move(Motion::PageDown));
    assert_eq!(state.selected, 2);
    update(&mut state, Action::Move(Motion::Bottom));
    assert_eq!(state.selected, 4);
    update(&mut state, Action::Move(Motion::Down));
    assert_eq!(state.selected, 4);
    update(&mut state, Action::Move(Motion::PageUp));
    assert_eq!(state.selected, 2);
    update(&mut state, Action::Move(Motion::Top));
    assert_eq!(state.selected, 0);
}

#[test]
fn focus_moves_to_keys_only_when_there_are_keys() {
    let mut state = sample_state();
    update(&mut state, Action::OpenKeys);
    assert_eq!(state.focus, Focus::Keys);
    update(&mut state, Action::Move(Motion::Down));
    assert_eq!(state.selected_key, 1);
    update(&mut state, Action::Move(Motion::Down));
    assert_eq!(state.selected_key, 1);
    update(&mut state, Action::SwitchFocus);
    assert_eq!(state.focus, Focus::Users);
    update(&mut state, Action::Move(Motion::Down));
    update(&mut state, Action::Move(Motion::Down));
    assert_eq!(state.selected_user().unwrap().user.name, "frank.loading");
    assert_eq!(state.selected_key, 0);
    update(&mut state, Action::SwitchFocus);
    assert_eq!(state.focus, Focus::Users, "no keys to focus");
}

#[test]
fn filter_matches_name_path_and_key_id_and_esc_clears_it() {
    let mut state = sample_state();
    update(&mut state, Action::StartFilter);
    assert_eq!(state.mode, Mode::Filter);
    type_text(&mut state, "OPS");
    assert_eq!(
        names(&state),
        ["carol.ops", "iamkeys-admin"],
        "case-insensitive, by path"
    );
    for _ in 0..3 {
        update(
            &mut state,
            Action::FilterEdit(KeyEvent::new(KeyCode::Backspace, KeyModifiers::NONE)),
        );
    }
    type_text(&mut state, "akiacarol00000000002");
    assert_eq!(names(&state), ["carol.ops"], "a key id finds its owner");
    update(&mut state, Action::FilterAccept);
    assert_eq!(
        (state.mode, state.filter.value()),
        (Mode::Normal, "akiacarol00000000002")
    );
    update(&mut state, Action::StartFilter);
    update(&mut state, Action::FilterClear);
    assert_eq!(
        (state.mode, state.filter.value(), state.view.len()),
        (Mode::Normal, "", 5)
    );
    update(&mut state, Action::StartFilter);
    type_text(&mut state, "nobody-has-this");
    assert!(state.view.is_empty() && state.selected_user().is_none());
    update(&mut state, Action::Move(Motion::Down));
}

#[test]
fn sort_cycles_columns_and_reverses() {
    let mut state = sample_state();
    assert_eq!(
        names(&state),
        [
            "carol.ops",
            "erin.nokeys",
            "frank.loading",
            "gina.denied",
            "iamkeys-admin"
        ]
    );
    update(&mut state, Action::ReverseSort);
    assert_eq!(names(&state)[0], "iamkeys-admin");
    update(&mut state, Action::CycleSort);
    assert_eq!(
        (state.sort.column, state.sort.reversed),
        (SortColumn::Path, false)
    );
    update(&mut state, Action::CycleSort);
    assert_eq!(state.sort.column, SortColumn::Keys);
    assert_eq!(
        &names(&state)[..3],
        ["carol.ops", "iamkeys-admin", "erin.nokeys"],
        "most keys first, unknown last"
    );
    update(&mut state, Action::CycleSort);
    assert_eq!(state.sort.column, SortColumn::KeyAge);
    assert_eq!(
        &names(&state)[..2],
        ["carol.ops", "iamkeys-admin"],
        "oldest active key first"
    );
    update(&mut state, Action::CycleSort);
    assert_eq!(state.sort.column, SortColumn::LastUsed);
    assert_eq!(
        &names(&state)[..2],
        ["carol.ops", "iamkeys-admin"],
        "longest unused first"
    );
    update(&mut state, Action::CycleSort);
    assert_eq!(state.sort.column, SortColumn::Created);
    assert_eq!(names(&state)[0], "erin.nokeys", "newest user first");
    update(&mut state, Action::CycleSort);
    assert_eq!(state.sort.column, SortColumn::Name);
}

#[test]
fn help_toggles_quit_quits_and_resize_sets_the_page() {
    let mut state = sample_state();
    update(&mut state, Action::ToggleHelp);
    assert_eq!(state.mode, Mode::Help);
    update(&mut state, Action::ToggleHelp);
    assert_eq!(state.mode, Mode::Normal);
    update(
        &mut state,
        Action::Resize {
            width: 80,
            height: 24,
        },
    );
    assert_eq!(state.page_rows, iamkeys::ui::users_table_rows(24));
    update(
        &mut state,
        Action::Resize {
            width: 1,
            height: 1,
        },
    );
    assert_eq!(state.page_rows, 1);
    update(&mut state, Action::Quit);
    assert!(state.should_quit);
}

#[test]
fn a_failed_user_listing_is_reported() {
    let mut state = State::new(fixtures::context(), now());
    update(&mut state, Action::Refresh);
    let err = iamkeys::iam::IamError::new("ListUsers", "AccessDenied", "not allowed");
    update(
        &mut state,
        Action::Inventory {
            generation: 1,
            event: LoadEvent::UsersFailed(err.clone()),
        },
    );
    assert_eq!(state.load.error, Some(err));
    let status = state.status.clone().unwrap();
    assert!(
        status.is_error && status.text.contains("AccessDenied"),
        "{status:?}"
    );
}
