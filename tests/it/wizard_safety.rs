//! The rotation wizard never loses a key or a secret: it retires the old key
//! only once somebody holds the new secret, asks what `space` and `d` ask,
//! decides on the old key's live last use, proves a resumed rotation again
//! on what IAM holds now, and survives a kill between create and retire.
//! `update` transitions first, then the real binary in a pseudo-terminal
//! against the emulator.

use crate::common;

use common::fixtures::{self, now};
use iamkeys::action::{Action, Effect};
use iamkeys::change::{ChangeOutcome, KeyChange, Ticket};
use iamkeys::dialog::{Button, Dialog};
use iamkeys::iam::model::{AccessKey, KeyStatus, LastUsed, NewKey, Secret};
use iamkeys::rotation::{Saved, SecretOut, Step};
use iamkeys::state::{Fetch, State};
use iamkeys::update::update;
use iamkeys::wizard::{Proof, WizardStep};

const USER: &str = "olga.ops";
const OLD: &str = "AKIAOLGA000000000001";
const NEW: &str = "AKIAOLGANEW000000001";
const ARN: &str = "arn:aws:iam::123456789012:user/ops/olga.ops";

// ---------------------------------------------------------------------------
// update transitions
// ---------------------------------------------------------------------------

/// One user with one active key, last listed as used `used_days_ago`, selected.
fn one_key_state(used_days_ago: i64) -> State {
    let mut state = State::new(fixtures::context(), now());
    state.set_users(vec![fixtures::entry(
        fixtures::user(USER, "/ops/", 900),
        Fetch::Ready(vec![fixtures::key(
            USER,
            OLD,
            KeyStatus::Active,
            400,
            Some((used_days_ago, "s3", "eu-west-1")),
        )]),
    )]);
    state.selected = 0;
    state
}

/// A clock that moves on a second at a time, past each dialog's arming.
struct Clock(i64);

impl Clock {
    fn tick(&mut self, state: &mut State) {
        self.0 += 1;
        update(
            state,
            Action::Tick(now() + jiff::SignedDuration::from_secs(self.0)),
        );
    }

    /// Waits out the arming, then presses `action`.
    fn press(&mut self, state: &mut State, action: Action) -> Vec<Effect> {
        self.tick(state);
        update(state, action)
    }
}

/// The changes a set of effects sends, with the journal source of each.
fn changes(effects: &[Effect]) -> Vec<(Ticket, KeyChange, &'static str)> {
    effects
        .iter()
        .flat_map(|e| match e {
            Effect::RunPlan { items } => items
                .iter()
                .map(|(t, p)| (*t, p.change.clone(), p.operation.source))
                .collect(),
            Effect::Change { ticket, change } => vec![(*ticket, change.clone(), "dashboard")],
            _ => Vec::new(),
        })
        .collect()
}

fn new_key() -> NewKey {
    NewKey {
        key: AccessKey {
            id: NEW.into(),
            user: USER.into(),
            status: KeyStatus::Active,
            created: now(),
            description: None,
        },
        secret: Secret::new("n3w-s3cret".into()),
    }
}

/// What happened to the new secret in its dialog.
#[derive(Clone, Copy, PartialEq)]
enum Kept {
    Saved,
    Copied,
    Neither,
}

/// Opens the wizard on [`USER`], creates the new key, closes its secret
/// dialog after `kept`, and proves the key: the wizard watches the old key.
fn to_watch(state: &mut State, clock: &mut Clock, kept: Kept) {
    let effects = update(state, Action::Rotate);
    assert!(matches!(effects.as_slice(), [Effect::OpenRotation { .. }]));
    update(
        state,
        Action::RotationOpened {
            user: USER.into(),
            saved: Ok(None),
        },
    );
    assert_eq!(state.rotation.as_ref().unwrap().step, WizardStep::Create);
    let effects = clock.press(state, Action::DialogPress);
    let sent = changes(&effects);
    let [(ticket, create, "rotate")] = &sent[..] else {
        panic!("{effects:?}")
    };
    update(
        state,
        Action::Changed {
            ticket: *ticket,
            change: create.clone(),
            result: Ok(ChangeOutcome::Created {
                key: new_key(),
                description_error: None,
            }),
        },
    );
    assert!(matches!(state.dialog, Some(Dialog::Secret(_))));
    match kept {
        Kept::Saved => {
            update(
                state,
                Action::SecretSaved {
                    key_id: NEW.into(),
                    path: "olga_accessKeys.csv".into(),
                    result: Ok("/tmp/olga_accessKeys.csv".into()),
                },
            );
        }
        Kept::Copied => {
            let effects = update(state, Action::SecretCopy);
            assert!(matches!(effects.as_slice(), [Effect::CopyToClipboard(_)]));
        }
        Kept::Neither => {}
    }
    // Esc, then "Close" ("It was not saved" when it was not).
    update(state, Action::DialogCancel);
    clock.press(state, Action::DialogConfirm);
    assert!(matches!(state.dialog, Some(Dialog::Rotation { .. })));
    update(
        state,
        Action::Proved {
            key_id: NEW.into(),
            result: Ok(ARN.into()),
        },
    );
    assert_eq!(state.rotation.as_ref().unwrap().step, WizardStep::Watch);
}

/// The wizard's screen as text (120×40).
fn screen(state: &State) -> String {
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
    let mut view = iamkeys::ui::ViewState::default();
    terminal
        .draw(|f| iamkeys::ui::draw(f, state, &mut view))
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

/// The old key's live last use, as the wizard's watch reads it.
fn live_use(state: &mut State, used: LastUsed) {
    update(
        state,
        Action::LastUseRead {
            key_id: OLD.into(),
            result: Ok(used),
        },
    );
}

#[test]
fn an_unsaved_uncopied_secret_is_never_followed_by_retiring_the_old_key() {
    let mut state = one_key_state(100);
    let mut clock = Clock(0);
    to_watch(&mut state, &mut clock, Kept::Neither);
    live_use(&mut state, LastUsed::Never);
    let text = screen(&state);
    assert!(
        text.contains("neither saved nor copied") && text.contains(&format!("Enter deletes {NEW}")),
        "{text}"
    );
    assert!(
        !text.contains(&format!("Enter deactivates {OLD}")),
        "{text}"
    );
    // Enter (twice, as in the issue) never touches the old key: it deletes the new one.
    let effects = clock.press(&mut state, Action::DialogPress);
    let sent = changes(&effects);
    let [(ticket, delete, "rotate")] = &sent[..] else {
        panic!("{effects:?}")
    };
    assert!(
        matches!(delete, KeyChange::Delete { key_id, allow_active: true, .. } if key_id == NEW),
        "{delete:?}"
    );
    let effects = clock.press(&mut state, Action::DialogPress);
    assert!(changes(&effects).is_empty(), "{effects:?}");
    let effects = update(
        &mut state,
        Action::Changed {
            ticket: *ticket,
            change: delete.clone(),
            result: Ok(ChangeOutcome::Deleted { untag_error: None }),
        },
    );
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::ForgetRotation(s) if s.user == USER)),
        "{effects:?}"
    );
    let step = &state.rotation.as_ref().unwrap().step;
    assert!(
        matches!(step, WizardStep::Stuck(why) if why.contains(&format!("{NEW} is deleted")) && why.contains(OLD)),
        "{step:?}"
    );
    assert!(!state.rotations_saved.contains(USER));
    // The old key was never asked to change.
    assert_eq!(state.key(USER, OLD).unwrap().key.status, KeyStatus::Active);
}

#[test]
fn a_saved_or_copied_secret_lets_the_wizard_retire_the_old_key() {
    for kept in [Kept::Saved, Kept::Copied] {
        let mut state = one_key_state(100);
        let mut clock = Clock(0);
        to_watch(&mut state, &mut clock, kept);
        // Live: not used for 100 days, as listed; no question, as `space`.
        live_use(
            &mut state,
            LastUsed::Used {
                at: fixtures::days_ago(100),
                service: Some("s3".into()),
                region: Some("eu-west-1".into()),
            },
        );
        let text = screen(&state);
        assert!(text.contains(&format!("Enter deactivates {OLD}")), "{text}");
        let effects = clock.press(&mut state, Action::DialogPress);
        let sent = changes(&effects);
        assert!(
            matches!(&sent[..], [(_, KeyChange::SetStatus { key_id, to: KeyStatus::Inactive, .. }, "rotate")] if key_id == OLD),
            "{effects:?}"
        );
    }
}

#[test]
fn the_wizard_asks_what_space_asks_on_the_live_last_use_and_what_d_asks() {
    // Listed as used 100 days ago (no question from that), but the watch
    // reads it live: used 5 minutes ago.
    let mut state = one_key_state(100);
    let mut clock = Clock(0);
    to_watch(&mut state, &mut clock, Kept::Saved);
    live_use(
        &mut state,
        LastUsed::Used {
            at: now() - jiff::SignedDuration::from_mins(5),
            service: Some("s3".into()),
            region: Some("eu-west-1".into()),
        },
    );
    let effects = clock.press(&mut state, Action::DialogPress);
    assert!(changes(&effects).is_empty(), "{effects:?}");
    let Some(Dialog::DeactivateInUse { target, focus }) = &state.dialog else {
        panic!("{:?}", state.dialog)
    };
    assert_eq!((target.key_id.as_str(), *focus), (OLD, Button::Cancel));
    assert!(
        matches!(target.last_used, Some(LastUsed::Used { at, .. }) if at > fixtures::days_ago(1))
    );
    let text = screen(&state);
    assert!(text.contains("used in the last 30 days"), "{text}");
    // Enter presses Cancel: back to the wizard, nothing sent.
    let effects = clock.press(&mut state, Action::DialogPress);
    assert!(changes(&effects).is_empty(), "{effects:?}");
    assert!(matches!(state.dialog, Some(Dialog::Rotation { .. })));
    assert_eq!(state.rotation.as_ref().unwrap().step, WizardStep::Watch);
    // Asked again and confirmed: a step of the rotation.
    clock.press(&mut state, Action::DialogPress);
    assert!(matches!(state.dialog, Some(Dialog::DeactivateInUse { .. })));
    let effects = clock.press(&mut state, Action::DialogConfirm);
    let sent = changes(&effects);
    let [(ticket, deactivate, "rotate")] = &sent[..] else {
        panic!("{effects:?}")
    };
    update(
        &mut state,
        Action::Changed {
            ticket: *ticket,
            change: deactivate.clone(),
            result: Ok(ChangeOutcome::StatusSet),
        },
    );
    assert_eq!(state.rotation.as_ref().unwrap().step, WizardStep::Retire);
    let text = screen(&state);
    assert!(
        text.contains(&format!("Enter deletes {OLD} (a dialog asks first)")),
        "{text}"
    );
    // Retire: the dialog `d` opens, Cancel focused; Enter on it cancels.
    let effects = clock.press(&mut state, Action::DialogPress);
    assert!(changes(&effects).is_empty(), "{effects:?}");
    let Some(Dialog::Delete { target, focus }) = &state.dialog else {
        panic!("{:?}", state.dialog)
    };
    assert_eq!((target.key_id.as_str(), *focus), (OLD, Button::Cancel));
    let effects = clock.press(&mut state, Action::DialogPress);
    assert!(changes(&effects).is_empty(), "{effects:?}");
    assert_eq!(state.rotation.as_ref().unwrap().step, WizardStep::Retire);
    clock.press(&mut state, Action::DialogPress);
    let effects = clock.press(&mut state, Action::DialogConfirm);
    let sent = changes(&effects);
    assert!(
        matches!(&sent[..], [(_, KeyChange::Delete { key_id, allow_active: false, .. }, "rotate")] if key_id == OLD),
        "{effects:?}"
    );
}

#[test]
fn an_old_key_whose_live_use_is_not_read_yet_is_asked_about() {
    let mut state = one_key_state(100);
    let mut clock = Clock(0);
    to_watch(&mut state, &mut clock, Kept::Saved);
    // No live read has answered: the listing's "100 days ago" does not decide.
    let effects = clock.press(&mut state, Action::DialogPress);
    assert!(changes(&effects).is_empty(), "{effects:?}");
    assert!(
        matches!(&state.dialog, Some(Dialog::DeactivateInUse { target, focus: Button::Cancel }) if target.last_used.is_none()),
        "{:?}",
        state.dialog
    );
}

fn saved_rotation(step: Step) -> Saved {
    Saved {
        account: "123456789012".into(),
        user: USER.into(),
        old_key: OLD.into(),
        new_key: Some(NEW.into()),
        secret_out: Some(SecretOut::Csv("/tmp/olga_accessKeys.csv".into())),
        step,
        started: "2026-11-30T11:00:00Z".into(),
        keys_before: vec![OLD.into()],
    }
}

/// Resumes `saved` on [`USER`]: the wizard re-reads the keys first, and they
/// come back as `listed`.
fn resume(state: &mut State, saved: Saved, listed: Vec<AccessKey>) -> Vec<Effect> {
    let effects = update(
        state,
        Action::RotationOpened {
            user: USER.into(),
            saved: Ok(Some(saved)),
        },
    );
    let wizard = state.rotation.as_ref().unwrap();
    assert_eq!(wizard.step, WizardStep::Checking);
    assert!(!matches!(wizard.proof, Proof::Verified { .. }));
    let [Effect::ReadUserKeys { ticket, user, .. }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(user, USER);
    update(
        state,
        Action::UserKeysRead {
            ticket: *ticket,
            user: USER.into(),
            result: Ok(listed
                .into_iter()
                .map(|k| (k, Ok(LastUsed::Never)))
                .collect()),
            unmet: None,
        },
    )
}

fn listed(id: &str, status: KeyStatus) -> AccessKey {
    AccessKey {
        id: id.into(),
        user: USER.into(),
        status,
        created: now(),
        description: None,
    }
}

#[test]
fn a_rotation_resumed_at_verified_reads_iam_again_and_proves_before_any_retire_step() {
    let mut clock = Clock(0);
    // The new key is inactive on IAM now: said, with what IAM holds; nothing retired.
    let mut state = one_key_state(100);
    let effects = resume(
        &mut state,
        saved_rotation(Step::Verified),
        vec![
            listed(OLD, KeyStatus::Active),
            listed(NEW, KeyStatus::Inactive),
        ],
    );
    assert!(
        !effects.iter().any(|e| matches!(e, Effect::ProveKey { .. })),
        "{effects:?}"
    );
    let step = state.rotation.as_ref().unwrap().step.clone();
    assert!(
        matches!(&step, WizardStep::Stuck(why) if why.contains(&format!("{NEW}, which IAM now lists as Inactive"))
            && why.contains(&format!("IAM holds: {OLD} (Active), {NEW} (Inactive)"))),
        "{step:?}"
    );
    let text = screen(&state);
    assert!(!text.contains("verified"), "{text}");
    let effects = clock.press(&mut state, Action::DialogPress);
    assert!(changes(&effects).is_empty(), "{effects:?}");
    assert!(state.rotation.is_none());

    // Active on IAM: proven again (from the CSV) before the watch.
    let mut state = one_key_state(100);
    let effects = resume(
        &mut state,
        saved_rotation(Step::Verified),
        vec![
            listed(OLD, KeyStatus::Active),
            listed(NEW, KeyStatus::Active),
        ],
    );
    assert!(
        effects.iter().any(|e| matches!(e, Effect::ProveKey { key_id, secret: None, secret_file: Some(_), .. } if key_id == NEW)),
        "{effects:?}"
    );
    assert_eq!(state.rotation.as_ref().unwrap().step, WizardStep::Proving);
    let effects = clock.press(&mut state, Action::DialogPress);
    assert!(
        changes(&effects).is_empty(),
        "Enter retires nothing before the proof: {effects:?}"
    );
    update(
        &mut state,
        Action::Proved {
            key_id: NEW.into(),
            result: Ok(ARN.into()),
        },
    );
    assert_eq!(state.rotation.as_ref().unwrap().step, WizardStep::Watch);

    // Saved at "old deactivated" but the old key was reactivated elsewhere:
    // after the proof, the wizard watches it again (it does not delete an active key).
    let mut state = one_key_state(100);
    resume(
        &mut state,
        saved_rotation(Step::OldDeactivated),
        vec![
            listed(OLD, KeyStatus::Active),
            listed(NEW, KeyStatus::Active),
        ],
    );
    update(
        &mut state,
        Action::Proved {
            key_id: NEW.into(),
            result: Ok(ARN.into()),
        },
    );
    assert_eq!(state.rotation.as_ref().unwrap().step, WizardStep::Watch);

    // The new key is gone: said with what IAM holds, and a fresh rotation offered.
    let mut state = one_key_state(100);
    let effects = resume(
        &mut state,
        saved_rotation(Step::Verified),
        vec![listed(OLD, KeyStatus::Active)],
    );
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::ForgetRotation(s) if s.new_key.as_deref() == Some(NEW))),
        "{effects:?}"
    );
    assert_eq!(state.rotation.as_ref().unwrap().step, WizardStep::Create);
    let status = &state.status.as_ref().unwrap().text;
    assert!(
        status.contains("no longer lists")
            && status.contains(&format!("IAM holds: {OLD} (Active)")),
        "{status}"
    );
}

#[test]
fn a_resumed_rotation_whose_keys_cannot_be_read_changes_nothing() {
    let mut state = one_key_state(100);
    let effects = update(
        &mut state,
        Action::RotationOpened {
            user: USER.into(),
            saved: Ok(Some(saved_rotation(Step::Verified))),
        },
    );
    let [Effect::ReadUserKeys { ticket, .. }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    let effects = update(
        &mut state,
        Action::UserKeysRead {
            ticket: *ticket,
            user: USER.into(),
            result: Err(iamkeys::iam::IamError::new(
                "ListAccessKeys",
                "AccessDenied",
                "not allowed",
            )),
            unmet: None,
        },
    );
    assert!(effects.is_empty(), "{effects:?}");
    let step = &state.rotation.as_ref().unwrap().step;
    assert!(
        matches!(step, WizardStep::Stuck(why) if why.contains("AccessDenied") && why.contains("nothing was changed")),
        "{step:?}"
    );
}

#[test]
fn a_pending_rotation_shows_on_its_users_row() {
    let mut state = one_key_state(100);
    let text = screen(&state);
    assert!(!text.contains("↻ rotating"), "{text}");
    update(&mut state, Action::RotationsListed(Ok(vec![USER.into()])));
    let text = screen(&state);
    let row = text
        .lines()
        .find(|l| l.contains(USER))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(row.contains(&format!("{USER} ↻ rotating")), "{row}");
    // A rotation this session saves marks its user too; forgetting it unmarks.
    let mut state = one_key_state(100);
    let mut clock = Clock(0);
    to_watch(&mut state, &mut clock, Kept::Neither);
    assert!(state.rotations_saved.contains(USER));
    // A load that finishes lists the rotations on disk again.
    state.load.generation = 1;
    let effects = update(
        &mut state,
        Action::Inventory {
            generation: 1,
            event: iamkeys::iam::inventory::LoadEvent::Finished,
        },
    );
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::ListRotations { account } if account == "123456789012")),
        "{effects:?}"
    );
}
