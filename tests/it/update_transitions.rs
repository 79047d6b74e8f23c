//! `update` transitions as plain tests: action in, state and effects out.

use crate::common;

use common::fixtures::{self, now, sample_state};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use iamkeys::aws::inventory::LoadEvent;
use iamkeys::core::model::{AccessKey, KeyStatus, LastUsed, UseSource};
use iamkeys::tui::action::{Action, Effect, Motion};
use iamkeys::tui::state::{Fetch, Focus, Mode, SortColumn, State};
use iamkeys::tui::update::update;

fn names(state: &State) -> Vec<&str> {
    state
        .screen
        .view
        .iter()
        .map(|&i| state.inventory.users[i].user.name.as_str())
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
    assert!(state.inventory.users.is_empty());
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
    assert!(state.inventory.load.users_listed && state.inventory.load.in_flight);
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
        matches!(state.inventory.users[state.inventory.by_name["a"]].keys, Fetch::Ready(ref k) if k[0].last_used == Fetch::Loading)
    );
    update(
        &mut state,
        Action::Inventory {
            generation: 1,
            event: LoadEvent::LastUsed {
                user: "a".into(),
                key_id: "AKIAA".into(),
                result: Ok(LastUsed::Never),
                source: UseSource::Live { at: now() },
            },
        },
    );
    assert_eq!(
        state.inventory.users[state.inventory.by_name["a"]].key_entries()[0].last_used,
        Fetch::Ready(LastUsed::Never)
    );
    assert_eq!(
        (
            state.inventory.load.users_with_keys,
            state.inventory.load.keys_known,
            state.inventory.load.answered_keys.len()
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
    assert!(!state.inventory.load.in_flight);
    assert_eq!(state.inventory.load.finished, Some(now()));
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
    state.screen.page_rows = 2;
    update(&mut state, Action::Move(Motion::Up));
    assert_eq!(state.screen.selected, 0);
    update(&mut state, Action::Move(Motion::PageDown));
    assert_eq!(state.screen.selected, 2);
    update(&mut state, Action::Move(Motion::Bottom));
    assert_eq!(state.screen.selected, 4);
    update(&mut state, Action::Move(Motion::Down));
    assert_eq!(state.screen.selected, 4);
    update(&mut state, Action::Move(Motion::PageUp));
    assert_eq!(state.screen.selected, 2);
    update(&mut state, Action::Move(Motion::Top));
    assert_eq!(state.screen.selected, 0);
}

#[test]
fn focus_moves_to_keys_only_when_there_are_keys() {
    let mut state = sample_state();
    update(&mut state, Action::OpenKeys);
    assert_eq!(state.screen.focus, Focus::Keys);
    update(&mut state, Action::Move(Motion::Down));
    assert_eq!(state.screen.selected_key, 1);
    update(&mut state, Action::Move(Motion::Down));
    assert_eq!(state.screen.selected_key, 1);
    update(&mut state, Action::SwitchFocus);
    assert_eq!(state.screen.focus, Focus::Users);
    update(&mut state, Action::Move(Motion::Down));
    update(&mut state, Action::Move(Motion::Down));
    assert_eq!(state.selected_user().unwrap().user.name, "frank.loading");
    assert_eq!(state.screen.selected_key, 0);
    update(&mut state, Action::SwitchFocus);
    assert_eq!(state.screen.focus, Focus::Users, "no keys to focus");
}

#[test]
fn filter_matches_name_path_and_key_id_and_esc_clears_it() {
    let mut state = sample_state();
    update(&mut state, Action::StartFilter);
    assert_eq!(state.screen.mode, Mode::Filter);
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
        (state.screen.mode, state.screen.filter.value()),
        (Mode::Normal, "akiacarol00000000002")
    );
    update(&mut state, Action::StartFilter);
    update(&mut state, Action::FilterClear);
    assert_eq!(
        (
            state.screen.mode,
            state.screen.filter.value(),
            state.screen.view.len()
        ),
        (Mode::Normal, "", 5)
    );
    update(&mut state, Action::StartFilter);
    type_text(&mut state, "nobody-has-this");
    assert!(state.screen.view.is_empty() && state.selected_user().is_none());
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
    // Urgency first (carol.ops has a key past rotation), then names.
    assert_eq!(state.screen.sort.column, SortColumn::Urgency);
    update(&mut state, Action::ReverseSort);
    assert_eq!(names(&state)[0], "iamkeys-admin");
    update(&mut state, Action::CycleSort);
    assert_eq!(
        (state.screen.sort.column, state.screen.sort.reversed),
        (SortColumn::Name, false)
    );
    update(&mut state, Action::CycleSort);
    assert_eq!(state.screen.sort.column, SortColumn::Path);
    update(&mut state, Action::CycleSort);
    assert_eq!(state.screen.sort.column, SortColumn::Keys);
    assert_eq!(
        &names(&state)[..3],
        ["carol.ops", "iamkeys-admin", "erin.nokeys"],
        "most keys first, unknown last"
    );
    update(&mut state, Action::CycleSort);
    assert_eq!(state.screen.sort.column, SortColumn::KeyAge);
    assert_eq!(
        &names(&state)[..2],
        ["carol.ops", "iamkeys-admin"],
        "oldest active key first"
    );
    update(&mut state, Action::CycleSort);
    assert_eq!(state.screen.sort.column, SortColumn::LastUsed);
    assert_eq!(
        &names(&state)[..2],
        ["carol.ops", "iamkeys-admin"],
        "longest unused first"
    );
    update(&mut state, Action::CycleSort);
    assert_eq!(state.screen.sort.column, SortColumn::Created);
    assert_eq!(names(&state)[0], "erin.nokeys", "newest user first");
    update(&mut state, Action::CycleSort);
    assert_eq!(state.screen.sort.column, SortColumn::Urgency);
}

#[test]
fn help_toggles_quit_quits_and_resize_sets_the_page() {
    let mut state = sample_state();
    update(&mut state, Action::ToggleHelp);
    assert_eq!(state.screen.mode, Mode::Help);
    update(&mut state, Action::ToggleHelp);
    assert_eq!(state.screen.mode, Mode::Normal);
    update(
        &mut state,
        Action::Resize {
            width: 80,
            height: 24,
        },
    );
    assert_eq!(
        state.screen.page_rows,
        iamkeys::tui::ui::users_table_rows(24)
    );
    update(
        &mut state,
        Action::Resize {
            width: 1,
            height: 1,
        },
    );
    assert_eq!(state.screen.page_rows, 1);
    update(&mut state, Action::Quit);
    assert!(state.should_quit);
}

#[test]
fn a_failed_user_listing_is_reported() {
    let mut state = State::new(fixtures::context(), now());
    update(&mut state, Action::Refresh);
    let err = iamkeys::core::IamError::new("ListUsers", "AccessDenied", "not allowed");
    update(
        &mut state,
        Action::Inventory {
            generation: 1,
            event: LoadEvent::UsersFailed(err.clone()),
        },
    );
    assert_eq!(state.inventory.load.error, Some(err));
    let status = state.screen.status.clone().unwrap();
    assert!(
        status.is_error && status.text.contains("AccessDenied"),
        "{status:?}"
    );
}

mod tickets {
    use super::*;
    use iamkeys::core::change::{ChangeOutcome, KeyChange};

    const CAROL_ACTIVE: &str = "AKIACAROL00000000001";
    const CAROL_INACTIVE: &str = "AKIACAROL00000000002";

    fn carol_keys(state: &State) -> Vec<(String, KeyStatus)> {
        state.inventory.users[state.inventory.by_name["carol.ops"]]
            .key_entries()
            .iter()
            .map(|k| (k.key.id.clone(), k.key.status))
            .collect()
    }

    fn on_carol_inactive() -> State {
        fixtures::sample_state_on_key("carol.ops", 1)
    }

    fn listed(status_of_inactive: KeyStatus) -> Vec<AccessKey> {
        [
            (CAROL_ACTIVE, KeyStatus::Active),
            (CAROL_INACTIVE, status_of_inactive),
        ]
        .into_iter()
        .map(|(id, status)| AccessKey {
            id: id.into(),
            user: "carol.ops".into(),
            status,
            created: fixtures::days_ago(30),
            description: None,
        })
        .collect()
    }

    /// `r`, then a toggle while carol's ListAccessKeys of that load is slow:
    /// the load's old answer arrives after the change and its re-read, and
    /// changes nothing (before tickets it flipped the row back).
    #[test]
    fn a_load_reply_taken_before_a_change_does_not_undo_it_on_screen() {
        let mut state = on_carol_inactive();
        let load = update(&mut state, Action::Refresh);
        let generation = match &load[..] {
            [Effect::LoadInventory { generation }, ..] => *generation,
            other => panic!("{other:?}"),
        };
        let fx = update(&mut state, Action::ToggleKey);
        let [Effect::Change { ticket, change }] = &fx[..] else {
            panic!("{fx:?}")
        };
        let reread = update(
            &mut state,
            Action::Changed {
                ticket: *ticket,
                change: change.clone(),
                result: Ok(ChangeOutcome::StatusSet),
            },
        );
        // The answer shows at once.
        assert_eq!(carol_keys(&state)[1].1, KeyStatus::Active);
        let [
            Effect::ReadUserKeys {
                ticket: reread_ticket,
                ..
            },
        ] = &reread[..]
        else {
            panic!("{reread:?}")
        };
        update(
            &mut state,
            Action::UserKeysRead {
                ticket: *reread_ticket,
                user: "carol.ops".into(),
                result: Ok(listed(KeyStatus::Active)
                    .into_iter()
                    .map(|k| (k, Ok(LastUsed::Never)))
                    .collect()),
                unmet: None,
            },
        );
        // Now the slow answer of the load, read before the change.
        update(
            &mut state,
            Action::Inventory {
                generation,
                event: LoadEvent::Keys {
                    user: "carol.ops".into(),
                    result: Ok(listed(KeyStatus::Inactive)),
                },
            },
        );
        update(
            &mut state,
            Action::Inventory {
                generation,
                event: LoadEvent::LastUsed {
                    user: "carol.ops".into(),
                    key_id: CAROL_INACTIVE.into(),
                    result: Ok(LastUsed::Never),
                    source: UseSource::Live { at: now() },
                },
            },
        );
        assert_eq!(carol_keys(&state)[1].1, KeyStatus::Active);
        // Other users' rows from the same load still apply.
        update(
            &mut state,
            Action::Inventory {
                generation,
                event: LoadEvent::Keys {
                    user: "erin.nokeys".into(),
                    result: Ok(vec![]),
                },
            },
        );
        assert!(state.inventory.load.users_with_keys >= 2);
    }

    #[test]
    fn an_older_reread_arriving_after_a_newer_one_changes_nothing() {
        let mut state = on_carol_inactive();
        let first = iamkeys::tui::update::request(
            &mut state,
            KeyChange::SetStatus {
                user: "carol.ops".into(),
                key_id: CAROL_INACTIVE.into(),
                to: KeyStatus::Active,
                signing_confirmed: false,
            },
        );
        let [Effect::Change { ticket: old, .. }] = &first[..] else {
            panic!()
        };
        let old = *old;
        let answer = update(
            &mut state,
            Action::Changed {
                ticket: old,
                change: KeyChange::SetStatus {
                    user: "carol.ops".into(),
                    key_id: CAROL_INACTIVE.into(),
                    to: KeyStatus::Active,
                    signing_confirmed: false,
                },
                result: Ok(ChangeOutcome::StatusSet),
            },
        );
        let [Effect::ReadUserKeys { ticket: newer, .. }] = &answer[..] else {
            panic!()
        };
        assert!(newer.seq > old.seq);
        // A reply issued with the change's (older) ticket, e.g. a re-read
        // started before it, is stale now.
        update(
            &mut state,
            Action::UserKeysRead {
                ticket: old,
                user: "carol.ops".into(),
                result: Ok(vec![]),
                unmet: None,
            },
        );
        assert_eq!(carol_keys(&state).len(), 2, "stale re-read ignored");
    }

    #[test]
    fn a_second_toggle_after_the_answer_asks_for_the_opposite_status() {
        let mut state = on_carol_inactive();
        let fx = update(&mut state, Action::ToggleKey);
        let [Effect::Change { ticket, change }] = &fx[..] else {
            panic!()
        };
        assert!(matches!(
            change,
            KeyChange::SetStatus {
                to: KeyStatus::Active,
                ..
            }
        ));
        update(
            &mut state,
            Action::Changed {
                ticket: *ticket,
                change: change.clone(),
                result: Ok(ChangeOutcome::StatusSet),
            },
        );
        // Before the re-read lands, a second space deactivates (never used: no dialog).
        let fx = update(&mut state, Action::ToggleKey);
        assert!(
            matches!(
                &fx[..],
                [Effect::Change {
                    change: KeyChange::SetStatus {
                        to: KeyStatus::Inactive,
                        ..
                    },
                    ..
                }]
            ),
            "{fx:?}"
        );
    }

    #[test]
    fn deactivating_a_key_used_recently_asks_and_an_unused_one_does_not() {
        let mut state = fixtures::sample_state_on_key("carol.ops", 0);
        // carol's active key was used days ago: a dialog, nothing sent yet.
        assert!(update(&mut state, Action::ToggleKey).is_empty());
        assert!(matches!(
            state.screen.dialog,
            Some(iamkeys::tui::dialog::Dialog::DeactivateInUse { .. })
        ));
        // A `y` typed ahead, in the same instant the dialog opened, is not an answer.
        assert!(update(&mut state, Action::DialogConfirm).is_empty());
        assert!(state.screen.dialog.is_some());
        let later = state.now + jiff::SignedDuration::from_millis(300);
        update(&mut state, Action::Tick(later));
        let fx = update(&mut state, Action::DialogConfirm);
        assert!(matches!(&fx[..], [Effect::Change { .. }]), "{fx:?}");
    }

    /// Starts a key creation for erin; returns the answer IAM would give it.
    fn create_for_erin(state: &mut State) -> Action {
        let fx = iamkeys::tui::update::request(
            state,
            KeyChange::Create {
                user: "erin.nokeys".into(),
                description: None,
            },
        );
        let [Effect::Change { ticket, change }] = &fx[..] else {
            panic!("{fx:?}")
        };
        let key = iamkeys::core::model::NewKey {
            key: AccessKey {
                id: "AKIANEW".into(),
                user: "erin.nokeys".into(),
                status: KeyStatus::Active,
                created: now(),
                description: None,
            },
            secret: iamkeys::core::model::Secret::new("s".into()),
        };
        Action::Changed {
            ticket: *ticket,
            change: change.clone(),
            result: Ok(ChangeOutcome::Created {
                key,
                description_error: None,
            }),
        }
    }

    #[test]
    fn a_quit_while_a_key_is_created_waits_for_the_answer_then_shows_the_secret() {
        let mut state = sample_state();
        let created = create_for_erin(&mut state);
        update(&mut state, Action::Terminate(15));
        assert!(!state.should_quit);
        update(&mut state, created);
        assert!(!state.should_quit);
        assert!(matches!(
            state.screen.dialog,
            Some(iamkeys::tui::dialog::Dialog::Secret(_))
        ));

        // Without an answer for 10 s, it asks; a second quit quits at once.
        let mut state = sample_state();
        create_for_erin(&mut state);
        update(&mut state, Action::Quit);
        let later = state.now + jiff::SignedDuration::from_secs(11);
        update(&mut state, Action::Tick(later));
        assert!(matches!(
            state.screen.dialog,
            Some(iamkeys::tui::dialog::Dialog::QuitWhileCreating { .. })
        ));
        update(&mut state, Action::Terminate(2));
        assert!(state.should_quit);
        assert_eq!(state.exit_signal, Some(2));
    }

    #[test]
    fn after_a_hang_up_a_created_key_ends_the_wait_without_a_dialog_nobody_sees() {
        let mut state = sample_state();
        let created = create_for_erin(&mut state);
        update(&mut state, Action::Terminate(libc_sighup()));
        assert!(!state.should_quit);
        update(&mut state, created);
        assert!(state.should_quit);
        assert_eq!(state.exit_signal, Some(libc_sighup()));
        assert!(state.screen.dialog.is_none());
    }

    /// SIGHUP's number on Linux.
    fn libc_sighup() -> i32 {
        1
    }

    #[test]
    fn a_paste_outside_a_text_field_is_ignored_and_said_so() {
        let mut state = on_carol_inactive();
        let fx = update(&mut state, Action::Paste("Monday dy ".into()));
        assert!(fx.is_empty());
        assert!(state.screen.dialog.is_none() && state.jobs.pending_keys.is_empty());
        assert!(
            state
                .screen
                .status
                .as_ref()
                .unwrap()
                .text
                .contains("ignored pasted text")
        );
        update(&mut state, Action::StartFilter);
        update(&mut state, Action::Paste("carol\n".into()));
        assert_eq!(state.screen.filter.value(), "carol");
    }
}

#[test]
fn filter_terms_select_by_finding_and_a_bad_term_says_why() {
    let mut state = sample_state();
    update(&mut state, Action::StartFilter);
    for c in "is:rotation-due".chars() {
        update(
            &mut state,
            Action::FilterEdit(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)),
        );
    }
    let shown: Vec<&str> = state
        .screen
        .view
        .iter()
        .map(|&i| state.inventory.users[i].user.name.as_str())
        .collect();
    assert_eq!(
        shown,
        ["carol.ops"],
        "only the user with a key past rotation"
    );
    assert_eq!(state.screen.filter_error, None);
    update(&mut state, Action::FilterClear);
    update(&mut state, Action::StartFilter);
    for c in "is:stale".chars() {
        update(
            &mut state,
            Action::FilterEdit(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)),
        );
    }
    assert!(
        state
            .screen
            .filter_error
            .as_deref()
            .unwrap()
            .contains("'is:stale'")
    );
    assert_eq!(
        state.screen.view.len(),
        state.inventory.users.len(),
        "a bad filter hides nobody"
    );
}

#[test]
fn esc_goes_back_to_the_users_then_clears_the_filter() {
    let mut state = sample_state();
    update(&mut state, Action::StartFilter);
    for c in "carol".chars() {
        update(
            &mut state,
            Action::FilterEdit(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)),
        );
    }
    update(&mut state, Action::FilterAccept);
    update(&mut state, Action::OpenKeys);
    assert_eq!(state.screen.focus, Focus::Keys);
    update(&mut state, Action::Back);
    assert_eq!(state.screen.focus, Focus::Users);
    assert_eq!(state.screen.view.len(), 1, "the filter stays");
    update(&mut state, Action::Back);
    assert_eq!(state.screen.filter.value(), "");
    assert_eq!(state.screen.view.len(), state.inventory.users.len());
    // `/` edits the filter there is.
    update(&mut state, Action::StartFilter);
    assert_eq!(state.screen.mode, Mode::Filter);
}

#[test]
fn messages_expire_and_errors_stay_until_a_key() {
    let mut state = sample_state();
    let start = now();
    update(&mut state, Action::Tick(start));
    update(&mut state, Action::Refresh);
    assert!(state.screen.status.is_some());
    update(
        &mut state,
        Action::Tick(start + jiff::SignedDuration::from_secs(11)),
    );
    assert_eq!(
        state.screen.status, None,
        "a message goes after ten seconds"
    );
    update(&mut state, Action::Mark);
    assert!(
        state.screen.status.as_ref().unwrap().is_error,
        "no key selected"
    );
    update(
        &mut state,
        Action::Tick(start + jiff::SignedDuration::from_secs(60)),
    );
    assert!(state.screen.status.is_some(), "an error stays");
    update(&mut state, Action::Move(Motion::Down));
    assert_eq!(state.screen.status, None, "until the next key");
}

#[test]
fn the_keys_view_lists_every_key_and_key_actions_work_there() {
    use iamkeys::tui::dialog::Dialog;
    use iamkeys::tui::state::Board;
    let mut state = sample_state();
    update(&mut state, Action::ShowBoard(Board::Keys));
    assert_eq!(state.screen.board, Board::Keys);
    let total: usize = state
        .inventory
        .users
        .iter()
        .map(|u| u.key_entries().len())
        .sum();
    assert_eq!(state.screen.key_rows.len(), total);
    // The most urgent key first: carol's rotation-due key.
    assert_eq!(
        state.selected_key_entry().unwrap().key.id,
        "AKIACAROL00000000001"
    );
    // Moving walks the keys of every user.
    update(&mut state, Action::Move(Motion::Bottom));
    let last = state.selected_key_entry().unwrap().key.id.clone();
    assert_eq!(last, "AKIACAROL00000000002");
    // Key actions act on the selected row, with no Tab first: delete of an
    // inactive key asks to delete that key.
    update(&mut state, Action::DeleteKey);
    match &state.screen.dialog {
        Some(Dialog::Delete { target, .. }) => assert_eq!(target.key_id, last),
        other => panic!("{other:?}"),
    }
    update(&mut state, Action::DialogCancel);
    update(&mut state, Action::OpenKeys);
    assert!(matches!(state.screen.dialog, Some(Dialog::Details { .. })));
    update(&mut state, Action::DialogCancel);
    // The filter narrows the keys themselves, not the users.
    update(&mut state, Action::StartFilter);
    type_text(&mut state, "is:inactive");
    update(&mut state, Action::FilterAccept);
    assert_eq!(state.screen.key_rows.len(), 1);
    assert_eq!(state.selected_key_entry().unwrap().key.id, last);
    // Esc clears the filter, then goes back to the users view.
    update(&mut state, Action::Back);
    assert_eq!(state.screen.key_rows.len(), total);
    assert_eq!(state.screen.board, Board::Keys);
    update(&mut state, Action::Back);
    assert_eq!(state.screen.board, Board::Users);
    update(&mut state, Action::ShowBoard(Board::Keys));
    assert_eq!(
        state.selected_key_entry().unwrap().key.id,
        last,
        "the selection is kept by key"
    );
}

#[test]
fn marked_keys_go_through_a_plan_that_needs_the_count_typed() {
    use iamkeys::core::change::ChangeOutcome;
    use iamkeys::io::bulk::BulkKind;
    use iamkeys::tui::dialog::Dialog;
    use iamkeys::tui::state::Board;
    let mut state = sample_state();
    update(&mut state, Action::ShowBoard(Board::Keys));
    // D with nothing marked says how to mark.
    update(&mut state, Action::BulkStart(BulkKind::Deactivate));
    assert!(
        state
            .screen
            .status
            .as_ref()
            .unwrap()
            .text
            .contains("mark keys first")
    );
    // M marks every key shown; the session's key and inactive ones are left out of D.
    update(&mut state, Action::MarkAll);
    assert_eq!(state.jobs.marked.len(), 3);
    update(&mut state, Action::BulkStart(BulkKind::Deactivate));
    let Some(Dialog::BulkPlan(plan)) = &state.screen.dialog else {
        panic!("{:?}", state.screen.dialog);
    };
    assert_eq!(plan.lines.len(), 1, "{plan:?}");
    assert_eq!(plan.lines[0].key_id, "AKIACAROL00000000001");
    assert!(plan.lines[0].recent, "used three days ago: called out");
    let why: Vec<&str> = plan.left_out.iter().map(|(_, _, w)| w.as_str()).collect();
    assert!(why.iter().any(|w| w.contains("this session")), "{why:?}");
    assert!(
        why.iter().any(|w| w.contains("inactive already")),
        "{why:?}"
    );
    assert_eq!(state.input_mode(), Mode::TextEntry);
    // A wrong count changes nothing.
    update(
        &mut state,
        Action::Tick(now() + jiff::SignedDuration::from_secs(1)),
    );
    update(
        &mut state,
        Action::DialogEdit(KeyEvent::new(KeyCode::Char('3'), KeyModifiers::NONE)),
    );
    assert!(update(&mut state, Action::DialogSubmit).is_empty());
    let Some(Dialog::BulkPlan(plan)) = &mut state.screen.dialog else {
        panic!()
    };
    assert!(plan.error.as_ref().unwrap().contains("type 1"));
    plan.typed = tui_input::Input::new("1".into());
    let effects = update(&mut state, Action::DialogSubmit);
    let [Effect::RunPlan { items }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(items.len(), 1);
    let (ticket, planned) = &items[0];
    assert_eq!(planned.change.key_id(), Some("AKIACAROL00000000001"));
    assert_eq!(planned.operation.source, "dashboard");
    assert!(state.jobs.pending_keys.contains_key("AKIACAROL00000000001"));
    // Results come back one by one and show on the plan's lines.
    update(
        &mut state,
        Action::Changed {
            ticket: *ticket,
            change: planned.change.clone(),
            result: Ok(ChangeOutcome::StatusSet),
        },
    );
    update(&mut state, Action::PlanFinished);
    let Some(Dialog::BulkPlan(plan)) = &state.screen.dialog else {
        panic!()
    };
    assert!(plan.finished && plan.lines[0].result == Some(Ok(())));
    assert!(
        !state
            .jobs
            .marked
            .contains(&("carol.ops".to_string(), "AKIACAROL00000000001".to_string())),
        "a key done is no longer marked"
    );
    assert!(matches!(
        state
            .key("carol.ops", "AKIACAROL00000000001")
            .unwrap()
            .key
            .status,
        KeyStatus::Inactive
    ));
    // Read-only mode refuses the plan, with the reason.
    let mut state = sample_state();
    state.context.read_only = true;
    update(&mut state, Action::ShowBoard(Board::Keys));
    update(&mut state, Action::MarkAll);
    update(&mut state, Action::BulkStart(BulkKind::Delete));
    assert!(state.screen.dialog.is_none());
    assert!(
        state
            .screen
            .status
            .as_ref()
            .unwrap()
            .text
            .contains("read-only mode")
    );
}

#[test]
fn u_plans_the_undo_from_the_journal_and_asks() {
    use iamkeys::io::journal::{Entry, JournalAction, Outcome, UndoScope, plan_undo};
    use iamkeys::tui::dialog::Dialog;
    let mut state = sample_state();
    assert_eq!(update(&mut state, Action::Undo), vec![Effect::PlanUndo]);
    let entry = Entry {
        time: "2026-11-30T11:00:00Z".into(),
        operation: "op1".into(),
        source: "deactivate".into(),
        account: "123456789012".into(),
        caller_arn: "arn".into(),
        user: "carol.ops".into(),
        key_id: Some("AKIACAROL00000000002".into()),
        action: JournalAction::Deactivate,
        status_before: Some("Active".into()),
        status_after: Some("Inactive".into()),
        request_id: None,
        result: Outcome::Ok,
        error: None,
        undoes: None,
        id: Some("e1".into()),
        undoes_entry: None,
        attempts: Some(1),
    };
    let scope = UndoScope {
        include_foreign: true,
        include_old: true,
        ..UndoScope::last("arn", now(), 7)
    };
    update(
        &mut state,
        Action::UndoPlanned(Ok(plan_undo(&[entry], &scope))),
    );
    assert!(matches!(state.screen.dialog, Some(Dialog::UndoPlan { .. })));
    update(
        &mut state,
        Action::Tick(now() + jiff::SignedDuration::from_secs(1)),
    );
    let effects = update(&mut state, Action::DialogConfirm);
    let [Effect::RunPlan { items }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(items[0].1.operation.source, "undo");
    assert_eq!(items[0].1.operation.undoes.as_deref(), Some("op1"));
    assert_eq!(items[0].1.operation.undoes_entry.as_deref(), Some("e1"));
    // Nothing to undo says so.
    update(&mut state, Action::UndoPlanned(Ok(plan_undo(&[], &scope))));
    assert!(
        state
            .screen
            .status
            .as_ref()
            .unwrap()
            .text
            .contains("nothing to undo")
    );
}

#[test]
fn the_rotation_wizard_makes_room_first_and_never_retires_before_the_proof() {
    use iamkeys::core::change::{ChangeOutcome, KeyChange};
    use iamkeys::core::model::{AccessKey, NewKey, Secret};
    use iamkeys::tui::wizard::{Proof, WizardStep};
    let mut state = sample_state();
    // carol.ops: one active key and an inactive one.
    let at = state
        .screen
        .view
        .iter()
        .position(|&i| state.inventory.users[i].user.name == "carol.ops")
        .unwrap();
    state.screen.selected = at;
    let effects = update(&mut state, Action::Rotate);
    assert!(
        matches!(effects.as_slice(), [Effect::OpenRotation { user, .. }] if user == "carol.ops")
    );
    update(
        &mut state,
        Action::RotationOpened {
            user: "carol.ops".into(),
            saved: Ok(None),
        },
    );
    let wizard = state.jobs.rotation.as_ref().unwrap();
    assert_eq!(wizard.old_key, "AKIACAROL00000000001");
    assert_eq!(
        wizard.step,
        WizardStep::MakeRoom {
            inactive: "AKIACAROL00000000002".into()
        }
    );
    // Enter right as it opens is ignored; then it deletes the inactive key.
    update(&mut state, Action::DialogPress);
    assert!(state.jobs.pending_keys.is_empty());
    update(
        &mut state,
        Action::Tick(now() + jiff::SignedDuration::from_secs(1)),
    );
    let effects = update(&mut state, Action::DialogPress);
    let [Effect::RunPlan { items }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    let (ticket, change) = (&items[0].0, &items[0].1.change);
    // Journaled as a rotation's step.
    assert_eq!(items[0].1.operation.source, "rotate");
    assert_eq!(change.key_id(), Some("AKIACAROL00000000002"));
    update(
        &mut state,
        Action::Changed {
            ticket: *ticket,
            change: change.clone(),
            result: Ok(ChangeOutcome::Deleted { untag_error: None }),
        },
    );
    assert_eq!(
        state.jobs.rotation.as_ref().unwrap().step,
        WizardStep::Create
    );
    update(
        &mut state,
        Action::Tick(now() + jiff::SignedDuration::from_secs(2)),
    );
    let effects = update(&mut state, Action::DialogPress);
    let create = effects
        .iter()
        .find_map(|e| match e {
            Effect::RunPlan { items } => Some((items[0].0, items[0].1.change.clone())),
            _ => None,
        })
        .unwrap();
    assert!(matches!(create.1, KeyChange::Create { .. }));
    assert!(effects.iter().any(|e| matches!(e, Effect::SaveRotation(_))));
    let new_key = NewKey {
        key: AccessKey {
            id: "AKIANEW0000000000001".into(),
            user: "carol.ops".into(),
            status: KeyStatus::Active,
            created: now(),
            description: None,
        },
        secret: Secret::new("s3cret".into()),
    };
    let effects = update(
        &mut state,
        Action::Changed {
            ticket: create.0,
            change: create.1,
            result: Ok(ChangeOutcome::Created {
                key: new_key,
                description_error: None,
            }),
        },
    );
    assert!(
        effects.iter().any(
            |e| matches!(e, Effect::ProveKey { key_id, .. } if key_id == "AKIANEW0000000000001")
        )
    );
    // The secret dialog is over the wizard; while the proof fails, Enter
    // only tries the proof again: the old key cannot be retired.
    update(&mut state, Action::DialogCancel);
    update(
        &mut state,
        Action::Tick(now() + jiff::SignedDuration::from_secs(3)),
    );
    update(&mut state, Action::DialogConfirm);
    assert!(matches!(
        state.screen.dialog,
        Some(iamkeys::tui::dialog::Dialog::Rotation { .. })
    ));
    update(
        &mut state,
        Action::Proved {
            key_id: "AKIANEW0000000000001".into(),
            result: Err("it did not sign within 60 s".into()),
        },
    );
    update(
        &mut state,
        Action::Tick(now() + jiff::SignedDuration::from_secs(4)),
    );
    let effects = update(&mut state, Action::DialogPress);
    assert!(
        matches!(effects.as_slice(), [Effect::ProveKey { .. }]),
        "{effects:?}"
    );
    let effects = update(
        &mut state,
        Action::Proved {
            key_id: "AKIANEW0000000000001".into(),
            result: Ok("arn:aws:iam::123456789012:user/ops/carol.ops".into()),
        },
    );
    let wizard = state.jobs.rotation.as_ref().unwrap();
    assert_eq!(wizard.step, WizardStep::Watch);
    assert!(matches!(wizard.proof, Proof::Verified { .. }));
    assert!(
        effects.iter().any(
            |e| matches!(e, Effect::ReadLastUse { key_id } if key_id == "AKIACAROL00000000001")
        )
    );

    // The session's own key is not rotated here: --self keeps the session signing.
    let mut state = sample_state();
    let at = state
        .screen
        .view
        .iter()
        .position(|&i| state.inventory.users[i].user.name == "iamkeys-admin")
        .unwrap();
    state.screen.selected = at;
    update(
        &mut state,
        Action::RotationOpened {
            user: "iamkeys-admin".into(),
            saved: Ok(None),
        },
    );
    assert!(
        matches!(&state.jobs.rotation.as_ref().unwrap().step, WizardStep::Stuck(why) if why.contains("--self"))
    );
    // Read-only refuses.
    state.jobs.rotation = None;
    state.screen.dialog = None;
    state.context.read_only = true;
    assert!(update(&mut state, Action::Rotate).is_empty());
    assert!(
        state
            .screen
            .status
            .as_ref()
            .unwrap()
            .text
            .contains("read-only")
    );
}

#[test]
fn a_plan_reads_live_the_last_uses_an_old_report_gave_before_the_count_is_taken() {
    use iamkeys::io::bulk::BulkKind;
    use iamkeys::tui::dialog::Dialog;
    use iamkeys::tui::state::Board;
    let mut state = sample_state();
    // carol's active key: used 40 days ago, as a 4-hour-old report says.
    {
        let entry = state.user_mut("carol.ops").unwrap();
        let Fetch::Ready(keys) = &mut entry.keys else {
            panic!()
        };
        keys[0].last_used = Fetch::Ready(LastUsed::Used {
            at: fixtures::days_ago(40),
            service: Some("s3".into()),
            region: None,
        });
        keys[0].use_source = Some(UseSource::Report {
            generated: now() - jiff::SignedDuration::from_hours(4),
            provisional: false,
        });
    }
    update(&mut state, Action::ShowBoard(Board::Keys));
    update(&mut state, Action::MarkAll);
    let fx = update(&mut state, Action::BulkStart(BulkKind::Deactivate));
    assert_eq!(
        fx,
        vec![Effect::ReadLastUse {
            key_id: "AKIACAROL00000000001".into()
        }]
    );
    let Some(Dialog::BulkPlan(plan)) = &mut state.screen.dialog else {
        panic!("{:?}", state.screen.dialog);
    };
    assert!(
        plan.lines[0].confirming && !plan.lines[0].recent,
        "{plan:?}"
    );
    // The count cannot be taken while the plan waits for it.
    plan.typed = "1".into();
    update(
        &mut state,
        Action::Tick(now() + jiff::SignedDuration::from_secs(1)),
    );
    let fx = update(&mut state, Action::DialogSubmit);
    assert!(fx.is_empty(), "{fx:?}");
    let Some(Dialog::BulkPlan(plan)) = &state.screen.dialog else {
        panic!()
    };
    assert!(
        plan.error.as_deref().unwrap_or("").contains("read live"),
        "{plan:?}"
    );
    // Live: used an hour ago. Called out.
    update(
        &mut state,
        Action::LastUseRead {
            key_id: "AKIACAROL00000000001".into(),
            result: Ok(LastUsed::Used {
                at: now() - jiff::SignedDuration::from_hours(1),
                service: Some("s3".into()),
                region: Some("eu-west-1".into()),
            }),
        },
    );
    let Some(Dialog::BulkPlan(plan)) = &state.screen.dialog else {
        panic!()
    };
    assert!(
        !plan.lines[0].confirming && plan.lines[0].recent,
        "{plan:?}"
    );
    assert!(plan.lines[0].last_use.contains("read live"), "{plan:?}");
}
