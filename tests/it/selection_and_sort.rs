//! Issue 20 items 1 and 6: the selection starts at the top (and goes back
//! there after a sort) until the administrator chooses, and `s`/`S` sort the
//! table on screen.

use crate::common;

use common::fixtures::{self, now, sample_state};
use iamkeys::aws::inventory::LoadEvent;
use iamkeys::core::key_sort::KeySortColumn;
use iamkeys::core::model::{AccessKey, KeyStatus, LastUsed, UseSource};
use iamkeys::tui::action::{Action, Motion};
use iamkeys::tui::state::{Board, SortColumn, State};
use iamkeys::tui::update::update;

fn selected_name(state: &State) -> String {
    state.selected_user().unwrap().user.name.clone()
}

fn load(state: &mut State, event: LoadEvent) {
    update(
        state,
        Action::Inventory {
            generation: 1,
            event,
        },
    );
}

/// The user `name` arrives with one never-used key (or none) and its last use.
fn arrives(state: &mut State, name: &str, with_key: bool) {
    load(
        state,
        LoadEvent::UsersPage {
            users: vec![fixtures::user(name, "/", 400)],
            last_page: false,
        },
    );
    let id = format!("AKIA{:0>16}", name.len() * 7 + name.as_bytes()[0] as usize);
    let keys = if with_key {
        vec![AccessKey {
            id: id.clone(),
            user: name.into(),
            status: KeyStatus::Active,
            created: fixtures::days_ago(300),
            description: None,
        }]
    } else {
        Vec::new()
    };
    load(
        state,
        LoadEvent::Keys {
            user: name.into(),
            result: Ok(keys),
        },
    );
    if with_key {
        load(
            state,
            LoadEvent::LastUsed {
                user: name.into(),
                key_id: id,
                result: Ok(LastUsed::Never),
                source: UseSource::Live { at: now() },
            },
        );
    }
    update(state, Action::Tick(now()));
}

#[test]
fn the_selection_stays_on_the_first_row_as_urgent_users_arrive_until_one_is_chosen() {
    let mut state = State::new(fixtures::context(), now());
    update(&mut state, Action::Refresh);
    // The first user loaded needs nothing; the never-used ones sort above it.
    arrives(&mut state, "alice.fernandez-oliveira-00035", false);
    assert_eq!(selected_name(&state), "alice.fernandez-oliveira-00035");
    arrives(&mut state, "bob.never-used-00001", true);
    arrives(&mut state, "carl.never-used-00002", true);
    assert_eq!(state.screen.selected, 0);
    assert_eq!(selected_name(&state), "bob.never-used-00001");
    // Once the administrator moves, their choice is kept as rows re-sort.
    update(&mut state, Action::Move(Motion::Down));
    assert_eq!(selected_name(&state), "carl.never-used-00002");
    arrives(&mut state, "aaron.never-used-00003", true);
    assert_eq!(selected_name(&state), "carl.never-used-00002");
    assert_eq!(state.screen.selected, 2);
    // A sort starts at the top again, and so does its reverse.
    update(&mut state, Action::CycleSort);
    assert_eq!(state.screen.sort.column, SortColumn::Name);
    assert_eq!(state.screen.selected, 0);
    assert_eq!(selected_name(&state), "aaron.never-used-00003");
    arrives(&mut state, "aa.first-by-name", false);
    assert_eq!(selected_name(&state), "aa.first-by-name", "not chosen yet");
    update(&mut state, Action::Move(Motion::Bottom));
    update(&mut state, Action::ReverseSort);
    assert_eq!(state.screen.selected, 0);
    assert_eq!(selected_name(&state), "carl.never-used-00002");
}

#[test]
fn opening_a_users_keys_is_a_choice_the_rebuilds_keep() {
    let mut state = State::new(fixtures::context(), now());
    update(&mut state, Action::Refresh);
    arrives(&mut state, "bob.never-used-00001", true);
    update(&mut state, Action::OpenKeys);
    arrives(&mut state, "aaron.never-used-00003", true);
    assert_eq!(selected_name(&state), "bob.never-used-00001");
}

fn key_owners(state: &State) -> Vec<String> {
    state
        .screen
        .key_rows
        .iter()
        .map(|&(u, _)| state.inventory.users[u].user.name.clone())
        .collect()
}

#[test]
fn s_in_the_keys_view_sorts_the_keys_view_and_leaves_the_users_sort() {
    let mut state = sample_state();
    update(&mut state, Action::ShowBoard(Board::Keys));
    let urgent_first = key_owners(&state);
    assert_eq!(urgent_first[0], "carol.ops");
    update(&mut state, Action::Move(Motion::Bottom));
    update(&mut state, Action::CycleSort);
    assert_eq!(state.screen.key_sort.column, KeySortColumn::Owner);
    assert_eq!(
        state.screen.sort.column,
        SortColumn::Urgency,
        "users sort untouched"
    );
    assert_eq!(state.screen.selected_row, 0, "a sort starts at the top");
    let by_owner = key_owners(&state);
    let mut sorted = by_owner.clone();
    sorted.sort_by_key(|n| n.to_lowercase());
    assert_eq!(by_owner, sorted);
    update(&mut state, Action::ReverseSort);
    assert!(state.screen.key_sort.reversed);
    assert_eq!(key_owners(&state)[0], "iamkeys-admin");
    // Oldest key first.
    update(&mut state, Action::CycleSort);
    update(&mut state, Action::CycleSort);
    assert_eq!(state.screen.key_sort.column, KeySortColumn::KeyAge);
    let created: Vec<_> = state
        .screen
        .key_rows
        .iter()
        .map(|&(u, k)| state.inventory.users[u].key_entries()[k].key.created)
        .collect();
    assert!(created.windows(2).all(|w| w[0] <= w[1]), "{created:?}");
    // The title says the sort.
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 30)).unwrap();
    let mut view = iamkeys::tui::ui::ViewState::default();
    terminal
        .draw(|f| iamkeys::tui::ui::draw(f, &state, &mut view))
        .unwrap();
    let text = terminal.backend().to_string();
    assert!(text.contains("sort: key age"), "{text}");
    // Back in the users view, s sorts the users.
    update(&mut state, Action::ShowBoard(Board::Users));
    update(&mut state, Action::CycleSort);
    assert_eq!(state.screen.sort.column, SortColumn::Name);
    assert_eq!(state.screen.key_sort.column, KeySortColumn::KeyAge);
}
