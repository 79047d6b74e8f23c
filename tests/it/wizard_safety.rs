//! The rotation wizard never loses a key or a secret: it retires the old key
//! only once somebody holds the new secret, asks what `space` and `d` ask,
//! decides on the old key's live last use, proves a resumed rotation again
//! on what IAM holds now, and survives a kill between create and retire.
//! `update` transitions first, then the real binary in a pseudo-terminal
//! against the emulator.

use crate::common;

use std::time::Duration;

use common::PtySession;
use common::fixtures::{self, now};
use iamkeys::aws::IamClient;
use iamkeys::aws::emulator::{Emulator, Seed, SeedKey, SeedUser};
use iamkeys::core::change::{ChangeOutcome, KeyChange, Ticket};
use iamkeys::core::model::{AccessKey, KeyStatus, LastUsed, NewKey, Secret};
use iamkeys::io::rotation::{Saved, SecretOut, Step};
use iamkeys::tui::action::{Action, Effect};
use iamkeys::tui::dialog::{Button, Dialog};
use iamkeys::tui::state::{Fetch, State};
use iamkeys::tui::update::update;
use iamkeys::tui::wizard::{Proof, WizardStep};

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
    state.screen.selected = 0;
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
    assert_eq!(
        state.jobs.rotation.as_ref().unwrap().step,
        WizardStep::Create
    );
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
    assert!(matches!(state.screen.dialog, Some(Dialog::Secret(_))));
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
    assert!(matches!(state.screen.dialog, Some(Dialog::Rotation { .. })));
    update(
        state,
        Action::Proved {
            key_id: NEW.into(),
            result: Ok(ARN.into()),
        },
    );
    let wizard = state.jobs.rotation.as_ref().unwrap();
    assert_eq!(wizard.step, WizardStep::Watch);
    assert!(wizard.secret.is_none(), "proven: the secret is not kept");
}

/// The wizard's screen as text (120×40).
fn screen(state: &State) -> String {
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
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
    let step = &state.jobs.rotation.as_ref().unwrap().step;
    assert!(
        matches!(step, WizardStep::Stuck(why) if why.contains(&format!("{NEW} is deleted")) && why.contains(OLD)),
        "{step:?}"
    );
    assert!(!state.jobs.rotations_saved.contains(USER));
    // The old key was never asked to change.
    assert_eq!(state.key(USER, OLD).unwrap().key.status, KeyStatus::Active);
}

/// Issue 18: replies are routed by their ticket alone. A plain toggle of the
/// old key, sent before the wizard opened, answers while the wizard waits for
/// its create: the wizard must not take it as its own (it skipped to
/// "retire", past the new key's proof), and its own answer still moves it on.
#[test]
fn a_plain_toggles_answer_for_the_old_key_never_advances_the_waiting_wizard() {
    let mut state = one_key_state(100);
    let mut clock = Clock(0);
    state.screen.focus = iamkeys::tui::state::Focus::Keys;
    let mut effects = clock.press(&mut state, Action::ToggleKey);
    if matches!(effects.as_slice(), [Effect::ReadLastUse { .. }]) {
        effects = update(
            &mut state,
            Action::LastUseRead {
                key_id: OLD.into(),
                result: Ok(LastUsed::Never),
            },
        );
    }
    let sent = changes(&effects);
    let [(toggle_ticket, toggle, "dashboard")] = &sent[..] else {
        panic!("{effects:?}")
    };
    assert!(
        matches!(toggle, KeyChange::SetStatus { key_id, to: KeyStatus::Inactive, .. } if key_id == OLD)
    );

    update(&mut state, Action::Rotate);
    update(
        &mut state,
        Action::RotationOpened {
            user: USER.into(),
            saved: Ok(None),
        },
    );
    let effects = clock.press(&mut state, Action::DialogPress);
    let sent = changes(&effects);
    let [(create_ticket, create, "rotate")] = &sent[..] else {
        panic!("{effects:?}")
    };
    assert_eq!(
        state.jobs.rotation.as_ref().unwrap().step,
        WizardStep::Waiting
    );

    update(
        &mut state,
        Action::Changed {
            ticket: *toggle_ticket,
            change: toggle.clone(),
            result: Ok(ChangeOutcome::StatusSet),
        },
    );
    assert_eq!(
        state.jobs.rotation.as_ref().unwrap().step,
        WizardStep::Waiting,
        "the toggle's answer is not the wizard's"
    );
    assert!(
        !state.jobs.pending_keys.contains_key(OLD),
        "the toggle's answer still ends its wait"
    );

    update(
        &mut state,
        Action::Changed {
            ticket: *create_ticket,
            change: create.clone(),
            result: Ok(ChangeOutcome::Created {
                key: new_key(),
                description_error: None,
            }),
        },
    );
    let wizard = state.jobs.rotation.as_ref().unwrap();
    assert_eq!(wizard.step, WizardStep::Proving);
    assert_eq!(wizard.new_key.as_deref(), Some(NEW));
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
    let Some(Dialog::DeactivateInUse { target, focus }) = &state.screen.dialog else {
        panic!("{:?}", state.screen.dialog)
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
    assert!(matches!(state.screen.dialog, Some(Dialog::Rotation { .. })));
    assert_eq!(
        state.jobs.rotation.as_ref().unwrap().step,
        WizardStep::Watch
    );
    // Asked again and confirmed: a step of the rotation.
    clock.press(&mut state, Action::DialogPress);
    assert!(matches!(
        state.screen.dialog,
        Some(Dialog::DeactivateInUse { .. })
    ));
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
    assert_eq!(
        state.jobs.rotation.as_ref().unwrap().step,
        WizardStep::Retire
    );
    let text = screen(&state);
    assert!(
        text.contains(&format!("Enter deletes {OLD} (a dialog asks first)")),
        "{text}"
    );
    // Retire: the dialog `d` opens, Cancel focused; Enter on it cancels.
    let effects = clock.press(&mut state, Action::DialogPress);
    assert!(changes(&effects).is_empty(), "{effects:?}");
    let Some(Dialog::Delete { target, focus }) = &state.screen.dialog else {
        panic!("{:?}", state.screen.dialog)
    };
    assert_eq!((target.key_id.as_str(), *focus), (OLD, Button::Cancel));
    let effects = clock.press(&mut state, Action::DialogPress);
    assert!(changes(&effects).is_empty(), "{effects:?}");
    assert_eq!(
        state.jobs.rotation.as_ref().unwrap().step,
        WizardStep::Retire
    );
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
        matches!(&state.screen.dialog, Some(Dialog::DeactivateInUse { target, focus: Button::Cancel }) if target.last_used.is_none()),
        "{:?}",
        state.screen.dialog
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
    let wizard = state.jobs.rotation.as_ref().unwrap();
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
    let step = state.jobs.rotation.as_ref().unwrap().step.clone();
    assert!(
        matches!(&step, WizardStep::Stuck(why) if why.contains(&format!("{NEW}, which IAM now lists as Inactive"))
            && why.contains(&format!("IAM holds: {OLD} (Active), {NEW} (Inactive)"))),
        "{step:?}"
    );
    let text = screen(&state);
    assert!(!text.contains("verified"), "{text}");
    let effects = clock.press(&mut state, Action::DialogPress);
    assert!(changes(&effects).is_empty(), "{effects:?}");
    assert!(state.jobs.rotation.is_none());

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
    assert_eq!(
        state.jobs.rotation.as_ref().unwrap().step,
        WizardStep::Proving
    );
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
    assert_eq!(
        state.jobs.rotation.as_ref().unwrap().step,
        WizardStep::Watch
    );

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
    assert_eq!(
        state.jobs.rotation.as_ref().unwrap().step,
        WizardStep::Watch
    );

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
    assert_eq!(
        state.jobs.rotation.as_ref().unwrap().step,
        WizardStep::Create
    );
    let status = &state.screen.status.as_ref().unwrap().text;
    assert!(
        status.contains("no longer lists")
            && status.contains(&format!("IAM holds: {OLD} (Active)")),
        "{status}"
    );
}

#[test]
fn a_saved_rotation_is_a_local_file_whose_text_is_made_safe_before_the_screen() {
    let mut state = one_key_state(100);
    let mut saved = saved_rotation(Step::Verified);
    saved.started = "2026-11-30\x1b]0;owned\x07".into();
    update(
        &mut state,
        Action::RotationOpened {
            user: USER.into(),
            saved: Ok(Some(saved)),
        },
    );
    let wizard = state.jobs.rotation.as_ref().unwrap();
    assert_eq!(wizard.started, "2026-11-30\\x1b]0;owned\\x07");
    let text = screen(&state);
    assert!(
        !text.contains('\x1b') && text.contains("\\x1b]0;owned"),
        "{text}"
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
            result: Err(iamkeys::core::IamError::new(
                "ListAccessKeys",
                "AccessDenied",
                "not allowed",
            )),
            unmet: None,
        },
    );
    assert!(effects.is_empty(), "{effects:?}");
    let step = &state.jobs.rotation.as_ref().unwrap().step;
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
    assert!(state.jobs.rotations_saved.contains(USER));
    // A load that finishes lists the rotations on disk again.
    state.inventory.load.generation = 1;
    let effects = update(
        &mut state,
        Action::Inventory {
            generation: 1,
            event: iamkeys::aws::inventory::LoadEvent::Finished,
        },
    );
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::ListRotations { account } if account == "123456789012")),
        "{effects:?}"
    );
}

// ---------------------------------------------------------------------------
// the real binary in a pseudo-terminal, against the emulator
// ---------------------------------------------------------------------------

const WAIT: Duration = Duration::from_secs(30);

/// `hank.rot`: one active key, never used. `ivy.live`: no key in the seed;
/// the test makes one whose secret it knows, to sign with it.
fn pty_seed() -> Seed {
    let key = |status: &str| SeedKey {
        status: status.into(),
        created_days_ago: 40.0,
        last_used: None,
        description: None,
    };
    let user = |name: &str, keys: Vec<SeedKey>| SeedUser {
        name: name.into(),
        path: "/wiz/".into(),
        created_days_ago: 100.0,
        keys,
    };
    Seed {
        signing_user: Some("ops-admin".into()),
        users: vec![
            user("ops-admin", vec![key("Active")]),
            user("hank.rot", vec![key("Active")]),
            user("ivy.live", vec![]),
        ],
        ..Seed::default()
    }
}

struct Harness {
    emulator: Emulator,
    runtime: tokio::runtime::Runtime,
    client: IamClient,
    /// The working directory and state home (journal, rotations) of the dashboard.
    cwd: tempfile::TempDir,
}

impl Harness {
    fn new() -> Self {
        let emulator = common::start_emulator(&pty_seed());
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let (client, _) = runtime.block_on(common::connect(&emulator, common::OUTSIDER_KEY));
        Self {
            emulator,
            runtime,
            client,
            cwd: tempfile::tempdir().unwrap(),
        }
    }

    fn spawn(&self) -> PtySession {
        let signing = self.emulator.report.signing.clone().unwrap();
        let tui = PtySession::spawn(
            &[
                "--endpoint-url",
                &self.emulator.endpoint,
                "--region",
                "us-east-1",
            ],
            &[
                ("AWS_ACCESS_KEY_ID", &signing.access_key_id),
                ("AWS_SECRET_ACCESS_KEY", &signing.secret_access_key),
                ("XDG_STATE_HOME", &self.cwd.path().to_string_lossy()),
            ],
            self.cwd.path(),
            36,
            130,
        );
        tui.wait_for("loaded 3 users", WAIT);
        tui
    }

    /// What IAM holds for `user` right now, asked outside iamkeys.
    fn keys(&self, user: &str) -> Vec<(String, KeyStatus)> {
        self.runtime
            .block_on(self.client.list_keys_described(user))
            .unwrap()
            .into_iter()
            .map(|k| (k.id, k.status))
            .collect()
    }

    fn seeded_id(&self, user: &str) -> String {
        let u = self
            .emulator
            .report
            .users
            .iter()
            .find(|u| u.name == user)
            .unwrap();
        u.keys[0].id.clone()
    }

    /// An access key made outside iamkeys, with its secret.
    fn make_key(&self, user: &str) -> (String, String) {
        self.runtime.block_on(async {
            let iam = common::raw_iam(&self.emulator.endpoint).await;
            let made = iam
                .create_access_key()
                .user_name(user)
                .send()
                .await
                .unwrap();
            let key = made.access_key.unwrap();
            (key.access_key_id, key.secret_access_key)
        })
    }

    /// Another administrator deactivates `key_id` (the console, another tool).
    fn deactivate_elsewhere(&self, user: &str, key_id: &str) {
        self.runtime.block_on(async {
            let iam = common::raw_iam(&self.emulator.endpoint).await;
            iam.update_access_key()
                .user_name(user)
                .access_key_id(key_id)
                .status(aws_sdk_iam::types::StatusType::Inactive)
                .send()
                .await
                .unwrap();
        });
    }

    /// Something still signs with the old key (IAM records its use).
    fn use_key(&self, key: &(String, String)) {
        self.runtime.block_on(common::connect_to(
            &self.emulator.endpoint,
            (&key.0, &key.1),
        ));
    }

    fn saved_rotations(&self) -> String {
        let dir = self.cwd.path().join("iamkeys/rotations");
        std::fs::read_dir(&dir)
            .map(|entries| {
                entries
                    .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
                    .collect()
            })
            .unwrap_or_default()
    }

    fn journal(&self) -> String {
        std::fs::read_to_string(self.cwd.path().join("iamkeys/journal.jsonl")).unwrap_or_default()
    }
}

fn open_user(tui: &mut PtySession, name: &str) {
    tui.send("/");
    tui.send(name);
    tui.send("\r");
    tui.wait_for("Users 1/3", WAIT);
}

fn wait_iam(mut check: impl FnMut() -> bool, what: &str) {
    let deadline = std::time::Instant::now() + WAIT;
    while !check() {
        assert!(
            std::time::Instant::now() < deadline,
            "IAM never got to: {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `R` on `user`, Enter creates, and the secret dialog is up.
fn create_new_key(tui: &mut PtySession, user: &str, old: &str) {
    open_user(tui, user);
    tui.send("R");
    tui.wait_for(&format!("Rotate {old} of {user}"), WAIT);
    tui.wait_for("Enter creates", WAIT);
    tui.answer("\r");
    tui.wait_for("shown once", WAIT);
}

/// Saves the secret as the default CSV, then closes its dialog.
fn save_and_close(tui: &mut PtySession, user: &str) {
    tui.send("s");
    tui.wait_for(&format!("{user}_accessKeys.csv"), WAIT);
    tui.answer("\r");
    tui.wait_for("saved to", WAIT);
    tui.send("\x1b");
    tui.answer("y");
}

#[test]
fn pty_closing_the_secret_unsaved_never_retires_the_old_key_and_offers_to_delete_the_new() {
    let h = Harness::new();
    let old = h.seeded_id("hank.rot");
    let mut tui = h.spawn();
    create_new_key(&mut tui, "hank.rot", &old);
    // Close without saving or copying: "It was not saved", then y.
    tui.send("\x1b");
    tui.wait_for("It was not saved", WAIT);
    tui.answer("y");
    tui.wait_for("verified:", WAIT);
    let screen = tui.wait_for("neither saved nor copied", WAIT);
    assert!(
        !screen.contains(&format!("Enter deactivates {old}")),
        "{screen}"
    );
    let new = h
        .keys("hank.rot")
        .into_iter()
        .find(|(id, _)| *id != old)
        .unwrap()
        .0;
    assert!(screen.contains(&format!("Enter deletes {new}")), "{screen}");
    // Enter twice, as in the issue: the new key goes, the old one stays active.
    tui.answer("\r");
    tui.wait_for(&format!("{new} is deleted"), WAIT);
    tui.answer("\r");
    wait_iam(
        || h.keys("hank.rot") == [(old.clone(), KeyStatus::Active)],
        "only the old key, active",
    );
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(h.keys("hank.rot"), [(old.clone(), KeyStatus::Active)]);
    assert_eq!(h.saved_rotations(), "", "nothing left to resume");
    tui.send("q");
    assert!(tui.wait_exit(WAIT));
}

#[test]
fn pty_a_resumed_rotation_says_the_new_key_is_inactive_and_retires_nothing() {
    let h = Harness::new();
    let old = h.seeded_id("hank.rot");
    let mut tui = h.spawn();
    create_new_key(&mut tui, "hank.rot", &old);
    save_and_close(&mut tui, "hank.rot");
    tui.wait_for("verified:", WAIT);
    tui.send("\x1b");
    tui.wait_for("resumes it", WAIT);
    assert!(h.saved_rotations().contains("\"step\": \"verified\""));
    let new = h
        .keys("hank.rot")
        .into_iter()
        .find(|(id, _)| *id != old)
        .unwrap()
        .0;
    // Someone deactivates the new key elsewhere; the dashboard still lists it active.
    h.deactivate_elsewhere("hank.rot", &new);
    tui.send("R");
    let screen = tui.wait_for("which IAM now lists as Inactive", WAIT);
    assert!(!screen.contains("verified"), "{screen}");
    assert!(
        !screen.contains(&format!("Enter deactivates {old}")),
        "{screen}"
    );
    assert!(
        screen.contains("IAM holds:") && screen.contains(&format!("{new} (Inactive)")),
        "{screen}"
    );
    tui.answer("\r");
    std::thread::sleep(Duration::from_millis(1000));
    let keys = h.keys("hank.rot");
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert!(
        keys.contains(&(old.clone(), KeyStatus::Active))
            && keys.contains(&(new.clone(), KeyStatus::Inactive)),
        "the old key is left active: {keys:?}"
    );
    tui.send("q");
    assert!(tui.wait_exit(WAIT));
}

#[test]
fn pty_the_wizard_asks_about_an_old_key_used_since_and_deletes_through_the_d_dialog() {
    let h = Harness::new();
    let old_key = h.make_key("ivy.live");
    let old = old_key.0.clone();
    let mut tui = h.spawn();
    create_new_key(&mut tui, "ivy.live", &old);
    save_and_close(&mut tui, "ivy.live");
    tui.wait_for("verified:", WAIT);
    tui.wait_for(&format!("{old} last used: never"), WAIT);
    // Something signs with the old key now; the watch reads it within 5 s.
    h.use_key(&old_key);
    tui.wait_for(" by sts", WAIT);
    tui.answer("\r");
    let screen = tui.wait_for(&format!("Deactivate {old} of ivy.live?"), WAIT);
    assert!(screen.contains("used in the last 30 days"), "{screen}");
    // Cancel is focused: Enter goes back to the wizard, nothing changed.
    tui.answer("\r");
    tui.wait_for(&format!("Enter deactivates {old}"), WAIT);
    assert!(
        h.keys("ivy.live")
            .iter()
            .all(|(_, s)| *s == KeyStatus::Active)
    );
    tui.answer("\r");
    tui.wait_for(&format!("Deactivate {old} of ivy.live?"), WAIT);
    tui.answer("y");
    tui.wait_for(&format!("Enter deletes {old}"), WAIT);
    wait_iam(
        || {
            h.keys("ivy.live")
                .contains(&(old.clone(), KeyStatus::Inactive))
        },
        "the old key inactive",
    );
    // The delete dialog `d` opens, Cancel focused: Enter cancels it.
    tui.answer("\r");
    tui.wait_for(&format!("Delete {old} of ivy.live?"), WAIT);
    tui.answer("\r");
    tui.wait_for(&format!("Enter deletes {old}"), WAIT);
    assert_eq!(h.keys("ivy.live").len(), 2);
    tui.answer("\r");
    tui.wait_for(&format!("Delete {old} of ivy.live?"), WAIT);
    tui.answer("y");
    tui.wait_for("Done:", WAIT);
    wait_iam(|| h.keys("ivy.live").len() == 1, "only the new key left");
    let journal = h.journal();
    let steps = journal
        .lines()
        .filter(|l| l.contains("\"source\":\"rotate\""))
        // The journal is written ahead: count outcomes, not intents.
        .filter(|l| !l.contains("\"result\":\"intent\""))
        .count();
    assert_eq!(steps, 3, "create, deactivate, delete: {journal}");
    tui.answer("\r");
    tui.send("q");
    assert!(tui.wait_exit(WAIT));
}

#[test]
fn pty_a_dashboard_killed_between_create_and_retire_resumes_safely_in_the_next_run() {
    let h = Harness::new();
    let old = h.seeded_id("hank.rot");
    let mut tui = h.spawn();
    create_new_key(&mut tui, "hank.rot", &old);
    save_and_close(&mut tui, "hank.rot");
    tui.wait_for("verified:", WAIT);
    tui.signal("KILL");
    tui.wait_exit_any(WAIT);
    drop(tui);
    // What the kill leaves: both keys active in IAM, the rotation on disk
    // (its new key and where the secret went, never the secret), the create journaled.
    let keys = h.keys("hank.rot");
    assert_eq!(keys.len(), 2);
    assert!(
        keys.iter().all(|(_, s)| *s == KeyStatus::Active),
        "{keys:?}"
    );
    let new = keys.iter().find(|(id, _)| *id != old).unwrap().0.clone();
    let saved = h.saved_rotations();
    let csv = h.cwd.path().join("hank.rot_accessKeys.csv");
    assert!(
        saved.contains(&new)
            && saved.contains(&old)
            && saved.contains(&csv.display().to_string())
            && saved.contains("\"step\": \"verified\""),
        "{saved}"
    );
    let secret = std::fs::read_to_string(&csv).unwrap();
    let secret = secret.lines().nth(1).unwrap().split_once(',').unwrap().1;
    assert!(
        !saved.contains(secret),
        "the secret is never in the saved state"
    );
    let journal = h.journal();
    assert!(
        journal.lines().any(|l| l.contains("\"action\":\"create\"")
            && l.contains(&new)
            && l.contains("\"source\":\"rotate\"")),
        "{journal}"
    );

    // The next run marks the user, and R explains, proves again and resumes.
    let mut tui = h.spawn();
    tui.wait_for("hank.rot ↻ rotating", WAIT);
    open_user(&mut tui, "hank.rot");
    tui.send("R");
    tui.wait_for("verified:", WAIT);
    tui.wait_for(&format!("Enter deactivates {old}"), WAIT);
    tui.answer("\r");
    tui.wait_for(&format!("Enter deletes {old}"), WAIT);
    wait_iam(
        || {
            h.keys("hank.rot")
                .contains(&(old.clone(), KeyStatus::Inactive))
        },
        "the old key inactive",
    );
    tui.answer("\r");
    tui.wait_for(&format!("Delete {old} of hank.rot?"), WAIT);
    tui.answer("y");
    tui.wait_for("Done:", WAIT);
    wait_iam(
        || h.keys("hank.rot") == [(new.clone(), KeyStatus::Active)],
        "only the new key, active",
    );
    assert_eq!(h.saved_rotations(), "", "nothing left to resume");
    tui.answer("\r");
    let screen = tui.wait_until(|s| !s.contains("↻ rotating"), WAIT);
    assert!(screen.is_ok(), "the mark goes with the rotation");
    tui.send("q");
    assert!(tui.wait_exit(WAIT));
}

#[test]
fn pty_a_dashboard_killed_before_the_secret_was_saved_never_retires_the_old_key_next_run() {
    let h = Harness::new();
    let old = h.seeded_id("hank.rot");
    let mut tui = h.spawn();
    create_new_key(&mut tui, "hank.rot", &old);
    tui.signal("KILL");
    tui.wait_exit_any(WAIT);
    drop(tui);
    let keys = h.keys("hank.rot");
    assert_eq!(keys.len(), 2);
    let new = keys.iter().find(|(id, _)| *id != old).unwrap().0.clone();
    let saved = h.saved_rotations();
    // Created (and maybe proven already, with the secret in memory), but
    // the secret went nowhere.
    assert!(
        saved.contains(&new) && saved.contains("\"secret_out\": null"),
        "{saved}"
    );

    let mut tui = h.spawn();
    tui.wait_for("hank.rot ↻ rotating", WAIT);
    open_user(&mut tui, "hank.rot");
    tui.send("R");
    // Proven again from where the secret went: nowhere, so it cannot be.
    let screen = tui.wait_for("was not saved to a file", WAIT);
    assert!(!screen.contains("verified"), "{screen}");
    assert!(
        !screen.contains(&format!("Enter deactivates {old}")),
        "{screen}"
    );
    tui.answer("\r");
    std::thread::sleep(Duration::from_millis(1000));
    assert!(
        h.keys("hank.rot")
            .iter()
            .all(|(_, s)| *s == KeyStatus::Active),
        "nothing retired"
    );
    tui.send("\x1b");
    tui.send("q");
    assert!(tui.wait_exit(WAIT));
}
