//! The rotation wizard (`R`): one screen per step, Enter goes on, Esc leaves
//! (the rotation is kept on disk, never its secret, and `R` resumes it). Its
//! changes go through the one choke point like any other; the new key is
//! proven before the old one can be retired.

use super::mutations::{blocked_by_read_only, in_use, request_as, reread};
use super::{complain, say};
use crate::core::IamError;
use crate::core::change::{ChangeOutcome, KeyChange, Ticket};
use crate::core::model::{AccessKey, KeyStatus, LastUsed};
use crate::io::rotation::{NoOldKey, Resume, Saved, SecretOut, Step};
use crate::tui::action::{Action, Effect};
use crate::tui::dialog::{Button, Dialog, KeyTarget};
use crate::tui::state::{Fetch, State};
use crate::tui::tickets::Owner;
use crate::tui::wizard::{Proof, RotationWizard, WATCH_EVERY_SECS, WizardStep, key_label};

/// `R`: asks for the saved rotation of the selected user (an effect); the
/// wizard opens when it is read.
pub fn open(state: &mut State) -> Vec<Effect> {
    if blocked_by_read_only(state, "rotating keys") {
        return Vec::new();
    }
    let Some(user) = state.selected_user() else {
        complain(state, "select a user first");
        return Vec::new();
    };
    let name = user.user.name.clone();
    if !matches!(user.keys, Fetch::Ready(_)) {
        complain(state, format!("the keys of {name} are not read yet"));
        return Vec::new();
    }
    if state.jobs.rotation.as_ref().is_some_and(|w| w.user == name) {
        return Vec::new();
    }
    vec![Effect::OpenRotation {
        account: state.context.identity.account.clone(),
        user: name,
    }]
}

/// The saved rotation of `user` was read. Without one, the wizard opens at
/// its first step; with one, it first reads the user's keys again from IAM
/// (what was saved may have changed elsewhere since) and goes on only from
/// what IAM holds then (see [`keys_reread`]).
pub fn opened(
    state: &mut State,
    user: String,
    saved: Result<Option<Saved>, String>,
) -> Vec<Effect> {
    let saved = match saved {
        Ok(saved) => saved,
        Err(why) => {
            complain(
                state,
                format!("cannot read the saved rotation of {user}: {why}"),
            );
            return Vec::new();
        }
    };
    let Some(mut wizard) = blank(state, &user) else {
        return Vec::new();
    };
    let Some(saved) = saved.map(made_safe) else {
        return afresh(state, wizard, Vec::new());
    };
    let effect = reread(state, user, None, Owner::WizardResume);
    let Effect::ReadUserKeys { ticket, .. } = &effect else {
        // `reread` always makes a ReadUserKeys.
        return Vec::new();
    };
    wizard.old_key = saved.old_key.clone();
    wizard.new_key = saved.new_key.clone();
    wizard.started = saved.started.clone();
    wizard.resumed = true;
    wizard.step = WizardStep::Checking;
    wizard.resuming = Some((saved, *ticket));
    state.jobs.rotation = Some(wizard);
    show(state);
    vec![effect]
}

/// A saved rotation is a local file: what of it reaches the screen (ids,
/// times, the secret's path) passes through `sanitize` first. Real key ids
/// and times have nothing to escape, so they still match what IAM lists.
fn made_safe(saved: Saved) -> Saved {
    use crate::core::sanitize::owned;
    Saved {
        old_key: owned(&saved.old_key),
        new_key: saved.new_key.as_deref().map(owned),
        started: owned(&saved.started),
        keys_before: saved.keys_before.iter().map(|k| owned(k)).collect(),
        secret_out: saved.secret_out.map(|out| match out {
            SecretOut::Csv(path) => SecretOut::Csv(owned(&path.to_string_lossy()).into()),
            other => other,
        }),
        ..saved
    }
}

/// A wizard for `user` at no step yet, or none if the user is not listed.
fn blank(state: &State, user: &str) -> Option<RotationWizard> {
    let entry = state.user(user)?;
    Some(RotationWizard {
        account: state.context.identity.account.clone(),
        user: user.to_string(),
        user_arn: entry.user.arn.clone(),
        old_key: String::new(),
        description: None,
        step: WizardStep::Create,
        new_key: None,
        secret: None,
        saved_to: None,
        proof: Proof::NotYet,
        old_use: None,
        old_use_read_at: None,
        reading_old_use: false,
        resumed: false,
        started: jiff::Timestamp::now().to_string(),
        keys_before: entry
            .key_entries()
            .iter()
            .map(|k| k.key.id.clone())
            .collect(),
        copied: false,
        resuming: None,
    })
}

/// The keys of `user` as the state lists them.
fn keys_of(state: &State, user: &str) -> Vec<AccessKey> {
    state
        .user(user)
        .map(|u| u.key_entries().iter().map(|k| k.key.clone()).collect())
        .unwrap_or_default()
}

/// What IAM lists for a user, for sentences: `AKIA… (Active), AKIA… (Inactive)`.
fn holds(keys: &[AccessKey]) -> String {
    if keys.is_empty() {
        return "no keys".to_string();
    }
    keys.iter()
        .map(|k| format!("{} ({})", k.id, k.status.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A user's keys were read again on the ticket a resuming wizard waits for
/// (routed here by that ticket alone): it goes on from what IAM holds:
/// the new key is proven again before any retire step, whatever was saved.
pub fn keys_reread(state: &mut State, ticket: Ticket, user: &str) -> Vec<Effect> {
    let Some(w) = &state.jobs.rotation else {
        return Vec::new();
    };
    let Some((_, waited)) = &w.resuming else {
        return Vec::new();
    };
    if *waited != ticket || w.step != WizardStep::Checking {
        return Vec::new();
    }
    if !state.jobs.tickets.is_current(user, ticket.seq) {
        // A newer read of the user is in flight: the wizard goes on from
        // what IAM lists then, so it reads again and waits for that.
        let effect = reread(state, user.to_string(), None, Owner::WizardResume);
        if let (Effect::ReadUserKeys { ticket, .. }, Some(w)) = (&effect, &mut state.jobs.rotation)
            && let Some((_, waited)) = &mut w.resuming
        {
            *waited = *ticket;
        }
        return vec![effect];
    }
    let Some(mut wizard) = state.jobs.rotation.take() else {
        return Vec::new();
    };
    let Some((saved, _)) = wizard.resuming.take() else {
        return Vec::new();
    };
    if let Some(Fetch::Failed(err)) = state.user(user).map(|u| &u.keys) {
        wizard.step = WizardStep::Stuck(format!(
            "the keys of {user} could not be read again from IAM ({}: {}), so the rotation begun {} does not go on; nothing was changed. {} tries again.",
            err.code,
            err.message,
            saved.started,
            key_label(&state.context.keymap, &Action::Rotate)
        ));
        state.jobs.rotation = Some(wizard);
        show(state);
        return Vec::new();
    }
    let keys = keys_of(state, user);
    resume_on(state, wizard, saved, &keys)
}

/// Resumes `saved` on the keys IAM lists now.
fn resume_on(
    state: &mut State,
    mut wizard: RotationWizard,
    saved: Saved,
    keys: &[AccessKey],
) -> Vec<Effect> {
    let listed = holds(keys);
    match crate::io::rotation::resume(saved, keys) {
        Resume::GoOn(saved) => {
            let new_key = saved.new_key.clone().unwrap_or_default();
            wizard.description = keys
                .iter()
                .find(|k| k.id == saved.old_key)
                .and_then(|k| k.description.clone());
            wizard.saved_to = match &saved.secret_out {
                Some(SecretOut::Csv(path)) => Some(path.clone()),
                _ => None,
            };
            wizard.keys_before = saved.keys_before.clone();
            let status = keys
                .iter()
                .find(|k| k.id == new_key)
                .map_or(KeyStatus::Unknown, |k| k.status);
            let mut effects = Vec::new();
            if status == KeyStatus::Active {
                // Never "verified" from disk: the new key signs now, or nothing is retired.
                wizard.step = WizardStep::Proving;
                effects.push(prove(&wizard));
            } else {
                wizard.step = WizardStep::Stuck(format!(
                    "the rotation begun {} made {new_key}, which IAM now lists as {} (changed elsewhere?), so {} is not retired. IAM holds: {listed}. Activate {new_key} ({}) and press {} again, or delete it and rotate afresh.",
                    saved.started,
                    status.as_str(),
                    saved.old_key,
                    key_label(&state.context.keymap, &Action::ToggleKey),
                    key_label(&state.context.keymap, &Action::Rotate),
                ));
            }
            state.jobs.rotation = Some(wizard);
            show(state);
            effects
        }
        Resume::Orphan { saved, key } => {
            wizard.old_key = saved.old_key.clone();
            wizard.new_key = None;
            wizard.step = WizardStep::Stuck(format!(
                "an interrupted rotation made {} at {} and its secret was never saved; {} is untouched. IAM holds: {listed}. Delete {} ({}) and press {} again.",
                key.id,
                key.created,
                saved.old_key,
                key.id,
                key_label(&state.context.keymap, &Action::DeleteKey),
                key_label(&state.context.keymap, &Action::Rotate),
            ));
            state.jobs.rotation = Some(wizard);
            show(state);
            Vec::new()
        }
        Resume::Afresh { stale, why } => {
            if let Some(why) = why {
                say(state, format!("{why} (IAM holds: {listed})"));
            }
            let Some(fresh) = blank(state, &wizard.user) else {
                return vec![Effect::ForgetRotation(stale)];
            };
            afresh(state, fresh, vec![Effect::ForgetRotation(stale)])
        }
    }
}

/// A new rotation of `wizard`'s user: the key to rotate and the first step.
fn afresh(state: &mut State, mut wizard: RotationWizard, effects: Vec<Effect>) -> Vec<Effect> {
    let user = wizard.user.clone();
    let keys = keys_of(state, &user);
    wizard.keys_before = keys.iter().map(|k| k.id.clone()).collect();
    // The selected key, if it is an active key of the user; else its one active key.
    let selected = state
        .selected_key_entry()
        .filter(|e| state.key_focused() && e.key.user == user && e.key.status == KeyStatus::Active)
        .map(|e| e.key.id.clone());
    wizard.step = match crate::io::rotation::old_key(&keys, selected.as_deref()) {
        Ok((old, other)) => {
            wizard.old_key = old.id.clone();
            wizard.description = old.description.clone();
            match other {
                Some(other) => WizardStep::MakeRoom {
                    inactive: other.id.clone(),
                },
                None => WizardStep::Create,
            }
        }
        Err(NoOldKey::TwoActive) => WizardStep::TwoActive,
        Err(_) => WizardStep::Stuck(format!("{user} has no active key to rotate")),
    };
    if state.context.session.link(&user, &wizard.old_key).is_some()
        && !matches!(wizard.step, WizardStep::Stuck(_) | WizardStep::TwoActive)
    {
        wizard.step = WizardStep::Stuck(format!(
            "{} is a key this session depends on: rotate it with `iamkeys rotate --self`, which keeps the session signing with the new key",
            wizard.old_key
        ));
    }
    state.jobs.rotation = Some(wizard);
    show(state);
    effects
}

/// Puts the wizard on screen (its step is the dialog's identity, so each
/// step opens armed against keys typed ahead).
pub fn show(state: &mut State) {
    let Some(wizard) = &state.jobs.rotation else {
        return;
    };
    if matches!(state.screen.dialog, None | Some(Dialog::Rotation { .. })) {
        state.screen.dialog = Some(Dialog::Rotation {
            stage: stage(&wizard.step),
        });
    }
}

fn stage(step: &WizardStep) -> u8 {
    match step {
        WizardStep::TwoActive => 0,
        WizardStep::MakeRoom { .. } => 1,
        WizardStep::Create => 2,
        WizardStep::Waiting => 3,
        WizardStep::Proving => 4,
        WizardStep::Watch => 5,
        WizardStep::Retire => 6,
        WizardStep::Done => 7,
        WizardStep::Stuck(_) => 8,
        WizardStep::Checking => 9,
    }
}

/// Esc: the wizard goes; a rotation under way stays saved for `R`.
pub fn leave(state: &mut State) {
    if let Some(wizard) = state.jobs.rotation.take()
        && wizard.new_key.is_some()
        && !matches!(wizard.step, WizardStep::Done | WizardStep::Stuck(_))
    {
        let rotate = key_label(&state.context.keymap, &Action::Rotate);
        say(
            state,
            format!(
                "the rotation of {} is kept: {rotate} on the user resumes it",
                wizard.user
            ),
        );
    }
}

/// Enter: the step's action.
pub fn go_on(state: &mut State) -> Vec<Effect> {
    let Some(wizard) = state.jobs.rotation.clone() else {
        return Vec::new();
    };
    let user = wizard.user.clone();
    let had_description = |state: &State, id: &str| {
        state
            .key(&user, id)
            .is_some_and(|k| k.key.description.is_some())
    };
    match &wizard.step {
        WizardStep::MakeRoom { inactive } => {
            let change = KeyChange::Delete {
                user: user.clone(),
                key_id: inactive.clone(),
                had_description: had_description(state, inactive),
                allow_active: false,
                signing_confirmed: false,
            };
            set_step(state, WizardStep::Waiting);
            step(state, change)
        }
        WizardStep::Create => {
            let saved = saved_of(&wizard, Step::Creating);
            set_step(state, WizardStep::Waiting);
            let mut effects = vec![Effect::SaveRotation(saved)];
            effects.extend(step(
                state,
                KeyChange::Create {
                    user,
                    description: wizard.description.clone(),
                },
            ));
            effects
        }
        WizardStep::Watch if !wizard.secret_held() => delete_new_key(state, &wizard),
        WizardStep::Watch => ask_deactivate(state, &wizard),
        WizardStep::Retire => {
            ask_delete(state, &wizard);
            Vec::new()
        }
        WizardStep::Proving => {
            if matches!(wizard.proof, Proof::Failed(_)) {
                // Try the proof again.
                if let Some(w) = &mut state.jobs.rotation {
                    w.proof = Proof::NotYet;
                }
                return vec![prove(&wizard)];
            }
            Vec::new()
        }
        WizardStep::TwoActive | WizardStep::Done | WizardStep::Stuck(_) => {
            state.jobs.rotation = None;
            state.screen.dialog = None;
            Vec::new()
        }
        WizardStep::Waiting | WizardStep::Checking => Vec::new(),
    }
}

/// Nobody holds the new key's secret: the new key goes (nothing can be using
/// it), and the old key stays as it is.
fn delete_new_key(state: &mut State, wizard: &RotationWizard) -> Vec<Effect> {
    let Some(new_key) = wizard.new_key.clone() else {
        return Vec::new();
    };
    let change = KeyChange::Delete {
        user: wizard.user.clone(),
        had_description: state
            .key(&wizard.user, &new_key)
            .is_some_and(|k| k.key.description.is_some()),
        key_id: new_key,
        // Its secret was never handed out: no deactivation first (as for a lost secret).
        allow_active: true,
        signing_confirmed: false,
    };
    set_step(state, WizardStep::Waiting);
    step(state, change)
}

/// The old key as a dialog shows it, with its last use as the wizard read it
/// live (unknown until read): the in-use question decides on that value.
fn old_key_target(state: &State, wizard: &RotationWizard) -> Option<KeyTarget> {
    let entry = state.key(&wizard.user, &wizard.old_key)?;
    let mut target = KeyTarget::of(entry);
    target.last_used = match &wizard.old_use {
        Some(Ok(used)) => Some(used.clone()),
        _ => None,
    };
    Some(target)
}

/// Enter on "watch": deactivates the old key with the question `space`
/// asks of a key used within `recent_use_days` (or of unknown last use).
fn ask_deactivate(state: &mut State, wizard: &RotationWizard) -> Vec<Effect> {
    let Some(target) = old_key_target(state, wizard) else {
        complain(
            state,
            format!(
                "{} is not listed: {} re-reads the keys",
                wizard.old_key,
                key_label(&state.context.keymap, &Action::Refresh)
            ),
        );
        return Vec::new();
    };
    if in_use(state, &target) {
        state.screen.dialog = Some(Dialog::DeactivateInUse {
            target,
            focus: Button::Cancel,
        });
        return Vec::new();
    }
    deactivate_old(state, target)
}

fn deactivate_old(state: &mut State, target: KeyTarget) -> Vec<Effect> {
    set_step(state, WizardStep::Waiting);
    step(
        state,
        KeyChange::SetStatus {
            user: target.user,
            key_id: target.key_id,
            to: KeyStatus::Inactive,
            signing_confirmed: false,
        },
    )
}

/// Enter on "retire": the dialog `d` opens, Cancel focused (an active key
/// is asked to be deactivated first, as `d` does).
fn ask_delete(state: &mut State, wizard: &RotationWizard) {
    let Some(target) = old_key_target(state, wizard) else {
        complain(
            state,
            format!(
                "{} is not listed: {} re-reads the keys",
                wizard.old_key,
                key_label(&state.context.keymap, &Action::Refresh)
            ),
        );
        return;
    };
    if let Some(dialog) = super::mutations::delete_dialog(state, target) {
        state.screen.dialog = Some(dialog);
    }
}

/// Whether the open dialog is one the wizard opened about its old key (the
/// in-use question, deactivate-first, delete): its answer is the wizard's.
pub fn asks(state: &State) -> bool {
    let Some(w) = &state.jobs.rotation else {
        return false;
    };
    let target = match &state.screen.dialog {
        Some(
            Dialog::DeactivateInUse { target, .. }
            | Dialog::DeactivateFirst { target, .. }
            | Dialog::Delete { target, .. },
        ) => target,
        _ => return false,
    };
    matches!(w.step, WizardStep::Watch | WizardStep::Retire)
        && target.user == w.user
        && target.key_id == w.old_key
}

/// The answer to a dialog the wizard opened ([`asks`]): Cancel goes back to
/// the wizard's step; Confirm makes the change as a step of the rotation.
pub fn answer(state: &mut State, button: Button) -> Vec<Effect> {
    let Some(dialog) = state.screen.dialog.take() else {
        return Vec::new();
    };
    if button == Button::Cancel {
        return Vec::new();
    }
    match dialog {
        Dialog::DeactivateInUse { target, .. } | Dialog::DeactivateFirst { target, .. } => {
            deactivate_old(state, target)
        }
        Dialog::Delete { target, .. } => {
            set_step(state, WizardStep::Waiting);
            let change = KeyChange::Delete {
                user: target.user,
                key_id: target.key_id,
                had_description: target.description.is_some(),
                allow_active: false,
                signing_confirmed: false,
            };
            step(state, change)
        }
        _ => Vec::new(),
    }
}

/// A change that is a step of the rotation: its answer is the wizard's.
fn step(state: &mut State, change: KeyChange) -> Vec<Effect> {
    request_as(state, change, Owner::Wizard, "rotate")
}

fn set_step(state: &mut State, step: WizardStep) {
    if let Some(wizard) = &mut state.jobs.rotation {
        wizard.step = step;
    }
}

fn saved_of(wizard: &RotationWizard, step: Step) -> Saved {
    Saved {
        account: wizard.account.clone(),
        user: wizard.user.clone(),
        old_key: wizard.old_key.clone(),
        new_key: wizard.new_key.clone(),
        secret_out: wizard.saved_to.clone().map(SecretOut::Csv),
        step,
        started: wizard.started.clone(),
        keys_before: wizard.keys_before.clone(),
    }
}

fn prove(wizard: &RotationWizard) -> Effect {
    Effect::ProveKey {
        user_arn: wizard.user_arn.clone(),
        key_id: wizard.new_key.clone().unwrap_or_default(),
        secret: wizard.secret.clone(),
        secret_file: wizard.saved_to.clone(),
    }
}

/// A change of the wizard's answered (routed here by its ticket): the wizard moves on.
pub fn answered(
    state: &mut State,
    change: &KeyChange,
    result: &Result<ChangeOutcome, IamError>,
) -> Vec<Effect> {
    let Some(wizard) = state.jobs.rotation.clone() else {
        return Vec::new();
    };
    // Routed here by its ticket; a wizard that waits for nothing takes nothing.
    if wizard.step != WizardStep::Waiting {
        return Vec::new();
    }
    let failed = |state: &mut State, back: WizardStep, err: &IamError| {
        if let Some(w) = &mut state.jobs.rotation {
            w.step = back;
        }
        complain(state, format!("the rotation could not go on: {err}"));
        Vec::new()
    };
    let is_new = |key_id: &str| wizard.new_key.as_deref() == Some(key_id);
    match (change, result) {
        (KeyChange::Delete { key_id, .. }, Ok(_)) if is_new(key_id) => {
            set_step(
                state,
                WizardStep::Stuck(format!(
                    "{key_id} is deleted (nobody held its secret); {} is as it was. {} on the user starts a new rotation.",
                    wizard.old_key,
                    key_label(&state.context.keymap, &Action::Rotate)
                )),
            );
            vec![Effect::ForgetRotation(saved_of(&wizard, Step::Created))]
        }
        (KeyChange::Delete { key_id, .. }, Err(err)) if is_new(key_id) => {
            failed(state, WizardStep::Watch, err)
        }
        (KeyChange::Delete { key_id, .. }, Ok(_)) if *key_id != wizard.old_key => {
            set_step(state, WizardStep::Create);
            Vec::new()
        }
        (KeyChange::Delete { key_id, .. }, Err(err)) if *key_id != wizard.old_key => failed(
            state,
            WizardStep::MakeRoom {
                inactive: key_id.clone(),
            },
            err,
        ),
        (KeyChange::Create { .. }, Ok(ChangeOutcome::Created { key, .. })) => {
            let mut effects = Vec::new();
            if let Some(w) = &mut state.jobs.rotation {
                w.new_key = Some(key.key.id.clone());
                w.secret = Some(key.secret.clone());
                // The secret dialog opens over the wizard (copy or save it
                // there); the wizard shows again when it closes.
                w.step = WizardStep::Proving;
                effects.push(Effect::SaveRotation(saved_of(w, Step::Created)));
                effects.push(prove(w));
            }
            effects
        }
        (KeyChange::Create { .. }, Ok(ChangeOutcome::CreatedSecretLost { key })) => {
            set_step(
                state,
                WizardStep::Stuck(format!(
                    "IAM made {} but its reply (and the secret) was lost: delete it (the dashboard offers to) and press {} again",
                    key.id,
                    key_label(&state.context.keymap, &Action::Rotate)
                )),
            );
            vec![Effect::ForgetRotation(saved_of(&wizard, Step::Creating))]
        }
        (KeyChange::Create { .. }, Err(err)) => {
            let effects = vec![Effect::ForgetRotation(saved_of(&wizard, Step::Creating))];
            failed(state, WizardStep::Create, err);
            effects
        }
        (KeyChange::SetStatus { key_id, .. }, Ok(_)) if *key_id == wizard.old_key => {
            set_step(state, WizardStep::Retire);
            vec![Effect::SaveRotation(saved_of(
                &wizard,
                Step::OldDeactivated,
            ))]
        }
        (KeyChange::SetStatus { key_id, .. }, Err(err)) if *key_id == wizard.old_key => {
            failed(state, WizardStep::Watch, err)
        }
        (KeyChange::Delete { key_id, .. }, Ok(_)) if *key_id == wizard.old_key => {
            set_step(state, WizardStep::Done);
            vec![Effect::ForgetRotation(saved_of(
                &wizard,
                Step::OldDeactivated,
            ))]
        }
        (KeyChange::Delete { key_id, .. }, Err(err)) if *key_id == wizard.old_key => {
            failed(state, WizardStep::Retire, err)
        }
        _ => Vec::new(),
    }
}

/// The new key did not sign yet: how many tries, and why.
pub fn proof_attempt(state: &mut State, key_id: &str, why: String) {
    if let Some(w) = &mut state.jobs.rotation
        && w.new_key.as_deref() == Some(key_id)
    {
        let attempts = match &w.proof {
            Proof::Trying { attempts, .. } => attempts + 1,
            _ => 1,
        };
        w.proof = Proof::Trying {
            attempts,
            last: Some(why),
        };
    }
}

/// The proof ended. Proven, the wizard goes on from the old key as IAM lists
/// it (a resumed rotation may find it deactivated, or gone, since).
pub fn proved(state: &mut State, key_id: &str, result: Result<String, String>) -> Vec<Effect> {
    let Some(w) = &state.jobs.rotation else {
        return Vec::new();
    };
    if w.new_key.as_deref() != Some(key_id) {
        return Vec::new();
    }
    let old = state.key(&w.user, &w.old_key).map(|k| k.key.status);
    let Some(w) = &mut state.jobs.rotation else {
        return Vec::new();
    };
    let arn = match result {
        Ok(arn) => arn,
        Err(why) => {
            w.proof = Proof::Failed(why);
            return Vec::new();
        }
    };
    w.proof = Proof::Verified { arn };
    // Proven: the wizard needs the secret no more (it is wiped as it drops).
    w.secret = None;
    let saved = match old {
        Some(KeyStatus::Inactive) => {
            w.step = WizardStep::Retire;
            Effect::SaveRotation(saved_of(w, Step::OldDeactivated))
        }
        None => {
            w.step = WizardStep::Stuck(format!(
                "{key_id} signs as {}, and {} is no longer listed (deleted elsewhere?): nothing is left to retire.",
                w.user, w.old_key
            ));
            Effect::ForgetRotation(saved_of(w, Step::Verified))
        }
        Some(_) => {
            w.step = WizardStep::Watch;
            Effect::SaveRotation(saved_of(w, Step::Verified))
        }
    };
    let mut effects = vec![saved];
    effects.extend(watch(state));
    effects
}

/// While the wizard watches, the old key's last use is read every few seconds.
pub fn watch(state: &mut State) -> Option<Effect> {
    let now = state.now;
    let w = state.jobs.rotation.as_mut()?;
    if !matches!(w.step, WizardStep::Watch | WizardStep::Retire) || w.reading_old_use {
        return None;
    }
    if w.old_use_read_at
        .is_some_and(|at| now.duration_since(at).as_secs() < WATCH_EVERY_SECS)
    {
        return None;
    }
    w.reading_old_use = true;
    Some(Effect::ReadLastUse {
        key_id: w.old_key.clone(),
    })
}

/// The old key's last use, read live.
pub fn old_use_read(state: &mut State, key_id: &str, result: Result<LastUsed, String>) {
    let now = state.now;
    if let Some(w) = &mut state.jobs.rotation
        && w.old_key == key_id
    {
        w.reading_old_use = false;
        w.old_use_read_at = Some(now);
        w.old_use = Some(result);
    }
}

/// The secret was saved as a CSV: kept with the rotation, so that a resumed
/// proof can read it there.
pub fn secret_saved(state: &mut State, key_id: &str, path: &str) -> Vec<Effect> {
    let Some(w) = &mut state.jobs.rotation else {
        return Vec::new();
    };
    if w.new_key.as_deref() != Some(key_id) {
        return Vec::new();
    }
    w.saved_to = Some(path.into());
    let step = match w.step {
        WizardStep::Retire | WizardStep::Done => Step::OldDeactivated,
        WizardStep::Watch => Step::Verified,
        _ if matches!(w.proof, Proof::Verified { .. }) => Step::Verified,
        _ => Step::Created,
    };
    vec![Effect::SaveRotation(saved_of(w, step))]
}

/// The secret was copied (OSC 52) from its dialog: if it is the new key's,
/// somebody holds it now.
pub fn secret_copied(state: &mut State) {
    let Some(Dialog::Secret(secret)) = &state.screen.dialog else {
        return;
    };
    if let Some(w) = &mut state.jobs.rotation
        && w.new_key.as_deref() == Some(secret.key_id.as_str())
    {
        w.copied = true;
    }
}

/// The users with a saved rotation, as listed on disk (with this session's
/// own rotation under way, whose save may not have reached the disk yet).
pub fn listed(state: &mut State, users: Result<Vec<String>, String>) {
    match users {
        Ok(users) => {
            state.jobs.rotations_saved = users.into_iter().collect();
            if let Some(w) = &state.jobs.rotation
                && w.new_key.is_some()
                && !matches!(w.step, WizardStep::Done | WizardStep::Stuck(_))
            {
                state.jobs.rotations_saved.insert(w.user.clone());
            }
        }
        Err(why) => tracing::warn!(%why, "the saved rotations could not be listed"),
    }
}

/// Keeps the users' rotation marks in step with what the wizard saves and forgets.
pub fn track_saved(state: &mut State, effects: &[Effect]) {
    for effect in effects {
        match effect {
            Effect::SaveRotation(saved) => {
                state.jobs.rotations_saved.insert(saved.user.clone());
            }
            Effect::ForgetRotation(saved) => {
                state.jobs.rotations_saved.remove(&saved.user);
            }
            _ => {}
        }
    }
}
