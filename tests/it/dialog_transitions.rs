//! Key actions and their dialogs through `update`: open, edit, confirm, cancel,
//! pending, error, read-only. No I/O: the effects are what we check.

use crate::common;

use common::fixtures::now;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use iamkeys::core::IamError;
use iamkeys::core::change::{ChangeOutcome, KeyChange, Ticket};
use iamkeys::core::model::{AccessKey, KeyStatus, NewKey, Secret};
use iamkeys::tui::action::{Action, Effect, SaveError};
use iamkeys::tui::dialog::{Button, Dialog, KeyOp, SecretStage};
use iamkeys::tui::state::{Focus, Mode, PendingOp, State};
use iamkeys::tui::update::update;

const CAROL_ACTIVE: &str = "AKIACAROL00000000001";
const CAROL_INACTIVE: &str = "AKIACAROL00000000002";
const ADMIN_KEY: &str = "AKIAADMIN00000000001";

fn on_user(name: &str) -> State {
    common::fixtures::sample_state_on_user(name)
}

fn on_key(user: &str, index: usize) -> State {
    common::fixtures::sample_state_on_key(user, index)
}

fn type_text(state: &mut State, text: &str) {
    for c in text.chars() {
        act(
            state,
            Action::DialogEdit(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)),
        );
    }
}

/// Every action comes a little later than the one before, as keys do: a
/// dialog that changes IAM ignores confirming keys for 250 ms after it opens.
fn act(state: &mut State, action: Action) -> Vec<Effect> {
    let later = state.now + jiff::SignedDuration::from_millis(300);
    update(state, Action::Tick(later));
    update(state, action)
}

/// The one change among `fx`, with its ticket.
fn the_change(fx: &[Effect]) -> (Ticket, KeyChange) {
    match fx {
        [Effect::Change { ticket, change }] => (*ticket, change.clone()),
        other => panic!("expected one change, got {other:?}"),
    }
}

/// Answers the change in `fx` with `result`; returns the effects of the answer.
fn answer(
    state: &mut State,
    fx: &[Effect],
    result: Result<ChangeOutcome, IamError>,
) -> Vec<Effect> {
    let (ticket, change) = the_change(fx);
    act(
        state,
        Action::Changed {
            ticket,
            change,
            result,
        },
    )
}

fn is_reread_of(fx: &[Effect], user: &str) -> bool {
    matches!(fx, [Effect::ReadUserKeys { user: u, .. }] if u == user)
}

fn error(code: &str) -> IamError {
    IamError::new("Test", code, "the server said no")
}

fn status_text(state: &State) -> String {
    state
        .screen
        .status
        .as_ref()
        .map(|s| s.text.clone())
        .unwrap_or_default()
}

#[test]
fn space_toggles_with_a_pending_mark_and_rereads_the_user_after() {
    let mut state = on_key("carol.ops", 1);
    let fx = act(&mut state, Action::ToggleKey);
    assert_eq!(
        the_change(&fx).1,
        KeyChange::SetStatus {
            user: "carol.ops".into(),
            key_id: CAROL_INACTIVE.into(),
            to: KeyStatus::Active,
            signing_confirmed: false,
        }
    );
    assert_eq!(
        state.jobs.pending_keys.get(CAROL_INACTIVE),
        Some(&PendingOp::Activating)
    );

    // A second action on the same key while the first is pending is refused.
    assert!(act(&mut state, Action::ToggleKey).is_empty());
    assert!(act(&mut state, Action::DeleteKey).is_empty());
    assert!(state.screen.dialog.is_none());
    assert!(
        status_text(&state).contains("still activating"),
        "{}",
        status_text(&state)
    );

    let reread = answer(&mut state, &fx, Ok(ChangeOutcome::StatusSet));
    assert!(is_reread_of(&reread, "carol.ops"));
    assert!(state.jobs.pending_keys.is_empty());
    assert!(status_text(&state).contains("activated"));
    // The answer shows at once: a second space asks for the opposite status.
    assert_eq!(
        state.selected_key_entry().unwrap().key.status,
        KeyStatus::Active
    );
    let fx = act(&mut state, Action::ToggleKey);
    assert!(
        matches!(state.screen.dialog, Some(Dialog::DeactivateInUse { .. }))
            || matches!(
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
fn a_failed_toggle_names_user_key_and_code_and_rereads_the_server_state() {
    for (code, says) in [
        ("AccessDenied", "not allowed to deactivate"),
        ("NoSuchEntity", "no longer exists"),
        ("Throttling", "throttling"),
        ("ServiceFailure", "ServiceFailure"),
    ] {
        let mut state = on_key("carol.ops", 0);
        act(&mut state, Action::ToggleKey);
        let fx = act(&mut state, Action::DialogConfirm);
        let reread = answer(&mut state, &fx, Err(error(code)));
        assert!(is_reread_of(&reread, "carol.ops"));
        let status = state.screen.status.clone().unwrap();
        assert!(status.is_error, "{code}");
        assert!(
            status.text.contains(says) && status.text.contains(CAROL_ACTIVE),
            "{code}: {}",
            status.text
        );
        assert!(
            status.text.contains("carol.ops") || code == "NoSuchEntity",
            "{}",
            status.text
        );
        assert_eq!(
            state.inventory.users.len(),
            5,
            "nothing else on screen is lost"
        );
    }
}

#[test]
fn key_bindings_act_on_the_keys_pane_only() {
    let mut state = on_user("carol.ops");
    assert!(act(&mut state, Action::ToggleKey).is_empty());
    assert!(status_text(&state).contains("Tab or Enter"));
    assert!(state.jobs.pending_keys.is_empty());
}

#[test]
fn create_opens_a_dialog_takes_a_description_and_shows_the_secret_once() {
    let mut state = on_user("iamkeys-admin");
    act(&mut state, Action::CreateKey);
    assert_eq!(state.input_mode(), Mode::TextEntry);
    let Some(Dialog::Create { existing, .. }) = &state.screen.dialog else {
        panic!("create dialog")
    };
    assert_eq!(existing, &[(ADMIN_KEY.to_string(), KeyStatus::Active)]);

    type_text(&mut state, "bad;char");
    assert!(act(&mut state, Action::DialogSubmit).is_empty());
    let Some(Dialog::Create {
        error: Some(why),
        description,
        ..
    }) = &state.screen.dialog
    else {
        panic!("still open")
    };
    assert!(why.contains("';'"), "{why}");
    assert_eq!(description.value(), "bad;char");
    for _ in 0.."bad;char".len() {
        act(
            &mut state,
            Action::DialogEdit(KeyEvent::new(KeyCode::Backspace, KeyModifiers::NONE)),
        );
    }
    type_text(&mut state, "CI deploy");
    let fx = act(&mut state, Action::DialogSubmit);
    assert_eq!(
        the_change(&fx).1,
        KeyChange::Create {
            user: "iamkeys-admin".into(),
            description: Some("CI deploy".into())
        }
    );
    assert!(state.screen.dialog.is_none() && state.jobs.creating_for.contains("iamkeys-admin"));
    // No second create for the same user while the first is in flight.
    act(&mut state, Action::CreateKey);
    assert!(state.screen.dialog.is_none());

    let new_key = NewKey {
        key: AccessKey {
            id: "AKIANEW".into(),
            user: "iamkeys-admin".into(),
            status: KeyStatus::Active,
            created: now(),
            description: None,
        },
        secret: Secret::new("sekrit".into()),
    };
    let reread = answer(
        &mut state,
        &fx,
        Ok(ChangeOutcome::Created {
            key: new_key,
            description_error: None,
        }),
    );
    assert!(is_reread_of(&reread, "iamkeys-admin"));
    // The new key is in the pane at once, before the re-read.
    assert!(
        state.inventory.users[state.inventory.by_name["iamkeys-admin"]]
            .key_entries()
            .iter()
            .any(|k| k.key.id == "AKIANEW")
    );
    assert_eq!(state.input_mode(), Mode::Secret);

    // Copy, then save: default path, an existing file asks before overwriting.
    let fx = act(&mut state, Action::SecretCopy);
    assert_eq!(
        fx,
        vec![Effect::CopyToClipboard(Secret::new("sekrit".into()))]
    );
    act(&mut state, Action::SecretSave);
    let fx = act(&mut state, Action::DialogSubmit);
    assert_eq!(
        fx,
        vec![Effect::SaveSecret {
            path: "iamkeys-admin_accessKeys.csv".into(),
            key_id: "AKIANEW".into(),
            secret: Secret::new("sekrit".into()),
            overwrite: false
        }]
    );
    act(
        &mut state,
        Action::SecretSaved {
            key_id: "AKIANEW".into(),
            path: "iamkeys-admin_accessKeys.csv".into(),
            result: Err(SaveError::Exists),
        },
    );
    assert_eq!(state.input_mode(), Mode::Confirm);
    assert!(
        act(&mut state, Action::DialogPress).is_empty(),
        "Cancel is focused"
    );
    act(&mut state, Action::SecretSave);
    act(&mut state, Action::DialogSubmit);
    act(
        &mut state,
        Action::SecretSaved {
            key_id: "AKIANEW".into(),
            path: "iamkeys-admin_accessKeys.csv".into(),
            result: Err(SaveError::Exists),
        },
    );
    let fx = act(&mut state, Action::DialogConfirm);
    assert!(matches!(
        &fx[..],
        [Effect::SaveSecret {
            overwrite: true,
            ..
        }]
    ));
    act(
        &mut state,
        Action::SecretSaved {
            key_id: "AKIANEW".into(),
            path: "iamkeys-admin_accessKeys.csv".into(),
            result: Ok("/home/admin/iamkeys-admin_accessKeys.csv".into()),
        },
    );

    // Esc asks once more; n keeps the secret on screen; y closes and drops it.
    act(&mut state, Action::DialogCancel);
    let Some(Dialog::Secret(secret)) = &state.screen.dialog else {
        panic!("secret stays")
    };
    assert!(matches!(
        secret.stage,
        SecretStage::ConfirmClose {
            focus: Button::Cancel
        }
    ));
    act(&mut state, Action::DialogCancel);
    assert_eq!(state.input_mode(), Mode::Secret);
    act(&mut state, Action::DialogCancel);
    act(&mut state, Action::DialogConfirm);
    assert!(state.screen.dialog.is_none());
    assert_eq!(state.input_mode(), Mode::Normal);
}

#[test]
fn a_key_kept_without_its_description_still_shows_the_secret() {
    let mut state = on_user("erin.nokeys");
    act(&mut state, Action::CreateKey);
    let fx = act(&mut state, Action::DialogSubmit);
    let new_key = NewKey {
        key: AccessKey {
            id: "AKIANEW".into(),
            user: "erin.nokeys".into(),
            status: KeyStatus::Active,
            created: now(),
            description: None,
        },
        secret: Secret::new("sekrit".into()),
    };
    answer(
        &mut state,
        &fx,
        Ok(ChangeOutcome::Created {
            key: new_key,
            description_error: Some(error("AccessDenied")),
        }),
    );
    let Some(Dialog::Secret(secret)) = &state.screen.dialog else {
        panic!("the secret is shown")
    };
    assert!(
        secret
            .note
            .as_deref()
            .unwrap()
            .contains("description was not stored")
    );
}

#[test]
fn two_keys_get_an_explanation_and_limit_exceeded_too() {
    let mut state = on_user("carol.ops");
    assert!(act(&mut state, Action::CreateKey).is_empty());
    assert!(matches!(state.screen.dialog, Some(Dialog::KeyLimit { .. })));
    assert_eq!(state.input_mode(), Mode::Notice);
    act(&mut state, Action::DialogCancel);
    assert!(state.screen.dialog.is_none());

    // Another tool made the second key in the meantime: IAM's LimitExceeded is explained.
    let mut state = on_user("iamkeys-admin");
    act(&mut state, Action::CreateKey);
    let fx = act(&mut state, Action::DialogSubmit);
    answer(&mut state, &fx, Err(error("LimitExceeded")));
    assert!(
        status_text(&state).contains("already has 2 access keys"),
        "{}",
        status_text(&state)
    );
    assert!(state.jobs.creating_for.is_empty());
}

#[test]
fn delete_of_an_active_key_offers_to_deactivate_it_first() {
    let mut state = on_key("carol.ops", 0);
    act(&mut state, Action::DeleteKey);
    let Some(Dialog::DeactivateFirst { focus, .. }) = &state.screen.dialog else {
        panic!("deactivate first")
    };
    assert_eq!(*focus, Button::Cancel);
    assert!(
        act(&mut state, Action::DialogPress).is_empty(),
        "Enter on Cancel does nothing"
    );
    assert!(state.screen.dialog.is_none());

    act(&mut state, Action::DeleteKey);
    act(&mut state, Action::DialogFocusNext);
    let fx = act(&mut state, Action::DialogPress);
    assert!(matches!(
        the_change(&fx).1,
        KeyChange::SetStatus {
            to: KeyStatus::Inactive,
            ..
        }
    ));
}

#[test]
fn delete_of_an_inactive_key_confirms_then_deletes() {
    let mut state = on_key("carol.ops", 1);
    act(&mut state, Action::DeleteKey);
    assert!(matches!(
        state.screen.dialog,
        Some(Dialog::Delete {
            focus: Button::Cancel,
            ..
        })
    ));
    act(&mut state, Action::DialogCancel);
    assert!(state.screen.dialog.is_none());
    act(&mut state, Action::DeleteKey);
    let fx = act(&mut state, Action::DialogConfirm);
    assert_eq!(
        the_change(&fx).1,
        KeyChange::Delete {
            user: "carol.ops".into(),
            key_id: CAROL_INACTIVE.into(),
            had_description: false,
            allow_active: false,
            signing_confirmed: false,
        }
    );
    assert_eq!(
        state.jobs.pending_keys.get(CAROL_INACTIVE),
        Some(&PendingOp::Deleting)
    );
    let reread = answer(
        &mut state,
        &fx,
        Ok(ChangeOutcome::Deleted { untag_error: None }),
    );
    assert!(is_reread_of(&reread, "carol.ops"));
    // Gone from the pane at once.
    assert!(
        !state.inventory.users[state.inventory.by_name["carol.ops"]]
            .key_entries()
            .iter()
            .any(|k| k.key.id == CAROL_INACTIVE)
    );
    assert!(state.jobs.pending_keys.is_empty());
}

#[test]
fn the_signing_key_needs_its_id_typed_to_deactivate_or_delete() {
    let mut state = on_key("iamkeys-admin", 0);
    assert!(act(&mut state, Action::ToggleKey).is_empty());
    assert!(matches!(
        state.screen.dialog,
        Some(Dialog::TypedConfirm {
            op: KeyOp::Deactivate,
            ..
        })
    ));
    type_text(&mut state, "AKIAADMIN");
    assert!(act(&mut state, Action::DialogSubmit).is_empty());
    let Some(Dialog::TypedConfirm { error: Some(_), .. }) = &state.screen.dialog else {
        panic!("refused")
    };
    type_text(&mut state, "00000000001");
    let fx = act(&mut state, Action::DialogSubmit);
    assert!(
        matches!(the_change(&fx).1, KeyChange::SetStatus { to: KeyStatus::Inactive, ref key_id, signing_confirmed: true, .. } if key_id == ADMIN_KEY)
    );

    // Deleting it once inactive asks again.
    let mut state = on_key("iamkeys-admin", 0);
    state.inventory.users[state.inventory.by_name["iamkeys-admin"]].keys =
        iamkeys::tui::state::Fetch::Ready(vec![common::fixtures::key(
            "iamkeys-admin",
            ADMIN_KEY,
            KeyStatus::Inactive,
            30,
            None,
        )]);
    act(&mut state, Action::DeleteKey);
    assert!(matches!(
        state.screen.dialog,
        Some(Dialog::TypedConfirm {
            op: KeyOp::Delete,
            ..
        })
    ));
    act(&mut state, Action::DialogCancel);
    assert!(state.screen.dialog.is_none());
}

#[test]
fn read_only_blocks_every_mutation_and_says_why() {
    let mut state = on_key("carol.ops", 1);
    state.context.read_only = true;
    for action in [Action::ToggleKey, Action::DeleteKey, Action::CreateKey] {
        assert!(act(&mut state, action.clone()).is_empty(), "{action:?}");
        assert!(state.screen.dialog.is_none(), "{action:?}");
        assert!(status_text(&state).contains("read-only"), "{action:?}");
    }
    assert!(state.jobs.pending_keys.is_empty());
    // Even a dialog opened before (not possible from the keys, but by any path) cannot fire.
    state.context.read_only = false;
    act(&mut state, Action::DeleteKey);
    state.context.read_only = true;
    assert!(act(&mut state, Action::DialogConfirm).is_empty());
    assert!(state.jobs.pending_keys.is_empty());
}

#[test]
fn the_keys_of_a_user_reread_after_a_change_replace_the_old_ones() {
    let mut state = on_key("carol.ops", 1);
    let key = AccessKey {
        id: CAROL_ACTIVE.into(),
        user: "carol.ops".into(),
        status: KeyStatus::Inactive,
        created: now(),
        description: Some("laptop".into()),
    };
    act(
        &mut state,
        Action::UserKeysRead {
            ticket: Ticket {
                generation: 0,
                seq: 99,
            },
            user: "carol.ops".into(),
            result: Ok(vec![(
                key.clone(),
                Ok(iamkeys::core::model::LastUsed::Never),
            )]),
            unmet: None,
        },
    );
    let keys = state.inventory.users[state.inventory.by_name["carol.ops"]].key_entries();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].key, key);
    assert_eq!(
        state.screen.selected_key, 0,
        "selection clamped to the keys left"
    );
    assert_eq!(state.screen.focus, Focus::Keys);
}

/// The selected key's last use, as an old credential report gave it.
fn from_an_old_report(state: &mut State, user: &str, key_id: &str, used_days_ago: i64) {
    use iamkeys::core::model::{LastUsed, UseSource};
    let entry = state.user_mut(user).unwrap();
    let iamkeys::tui::state::Fetch::Ready(keys) = &mut entry.keys else {
        panic!("keys ready")
    };
    let key = keys.iter_mut().find(|k| k.key.id == key_id).unwrap();
    key.last_used = iamkeys::tui::state::Fetch::Ready(LastUsed::Used {
        at: common::fixtures::days_ago(used_days_ago),
        service: Some("s3".into()),
        region: None,
    });
    key.use_source = Some(UseSource::Report {
        generated: now() - jiff::SignedDuration::from_hours(4),
        provisional: false,
    });
}

#[test]
fn space_reads_an_old_reports_last_use_live_and_decides_on_the_live_value() {
    use iamkeys::core::model::LastUsed;
    // The report (4 h old) says 35 days ago: no question today. Live says 5 minutes ago.
    let mut state = on_key("carol.ops", 0);
    from_an_old_report(&mut state, "carol.ops", CAROL_ACTIVE, 35);
    let fx = act(&mut state, Action::ToggleKey);
    assert_eq!(
        fx,
        vec![Effect::ReadLastUse {
            key_id: CAROL_ACTIVE.into()
        }]
    );
    assert!(state.screen.dialog.is_none());
    let fx = act(
        &mut state,
        Action::LastUseRead {
            key_id: CAROL_ACTIVE.into(),
            result: Ok(LastUsed::Used {
                at: now() - jiff::SignedDuration::from_mins(5),
                service: Some("s3".into()),
                region: Some("eu-west-1".into()),
            }),
        },
    );
    assert!(fx.is_empty(), "{fx:?}");
    assert!(
        matches!(&state.screen.dialog, Some(Dialog::DeactivateInUse { target, focus: Button::Cancel })
            if target.key_id == CAROL_ACTIVE),
        "{:?}",
        state.screen.dialog
    );

    // Live agrees it is old: deactivated without a question.
    let mut state = on_key("carol.ops", 0);
    from_an_old_report(&mut state, "carol.ops", CAROL_ACTIVE, 35);
    act(&mut state, Action::ToggleKey);
    let fx = act(
        &mut state,
        Action::LastUseRead {
            key_id: CAROL_ACTIVE.into(),
            result: Ok(LastUsed::Used {
                at: common::fixtures::days_ago(35),
                service: Some("s3".into()),
                region: None,
            }),
        },
    );
    assert_eq!(the_change(&fx).1.key_id(), Some(CAROL_ACTIVE));

    // The live read fails: not known, so it asks.
    let mut state = on_key("carol.ops", 0);
    from_an_old_report(&mut state, "carol.ops", CAROL_ACTIVE, 35);
    act(&mut state, Action::ToggleKey);
    act(
        &mut state,
        Action::LastUseRead {
            key_id: CAROL_ACTIVE.into(),
            result: Err("AccessDenied".into()),
        },
    );
    assert!(matches!(
        state.screen.dialog,
        Some(Dialog::DeactivateInUse { .. })
    ));
}
