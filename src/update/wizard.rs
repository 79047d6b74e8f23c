//! The rotation wizard (`R`): one screen per step, Enter goes on, Esc leaves
//! (the rotation is kept on disk, never its secret, and `R` resumes it). Its
//! changes go through the one choke point like any other; the new key is
//! proven before the old one can be retired.

use super::mutations::{blocked_by_read_only, request_as};
use super::{complain, say};
use crate::action::Effect;
use crate::change::{ChangeOutcome, KeyChange};
use crate::dialog::Dialog;
use crate::iam::IamError;
use crate::iam::model::{KeyStatus, LastUsed};
use crate::rotation::{NoOldKey, Resume, Saved, SecretOut, Step};
use crate::state::{Fetch, State};
use crate::wizard::{Proof, RotationWizard, WATCH_EVERY_SECS, WizardStep};

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
    if state.rotation.as_ref().is_some_and(|w| w.user == name) {
        return Vec::new();
    }
    vec![Effect::OpenRotation {
        account: state.context.identity.account.clone(),
        user: name,
    }]
}

/// The saved rotation of `user` was read: the wizard opens at its step.
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
    let Some(entry) = state.user(&user) else {
        return Vec::new();
    };
    let keys: Vec<_> = entry.key_entries().iter().map(|k| k.key.clone()).collect();
    let mut wizard = RotationWizard {
        account: state.context.identity.account.clone(),
        user: user.clone(),
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
        keys_before: keys.iter().map(|k| k.id.clone()).collect(),
    };
    let mut effects = Vec::new();
    match saved.map(|saved| crate::rotation::resume(saved, &keys)) {
        Some(Resume::GoOn(saved)) => {
            wizard.old_key = saved.old_key.clone();
            wizard.description = keys
                .iter()
                .find(|k| k.id == saved.old_key)
                .and_then(|k| k.description.clone());
            wizard.new_key = saved.new_key.clone();
            wizard.saved_to = match saved.secret_out {
                Some(SecretOut::Csv(path)) => Some(path),
                _ => None,
            };
            wizard.started = saved.started.clone();
            wizard.keys_before = saved.keys_before.clone();
            wizard.resumed = true;
            wizard.step = match saved.step {
                Step::Creating | Step::Created => WizardStep::Proving,
                Step::Verified => WizardStep::Watch,
                Step::OldDeactivated => WizardStep::Retire,
            };
            if saved.step >= Step::Verified {
                wizard.proof = Proof::Verified {
                    arn: wizard.user_arn.clone(),
                };
            }
            if wizard.step == WizardStep::Proving {
                effects.push(prove(&wizard));
            }
            state.rotation = Some(wizard);
            show(state);
            return effects;
        }
        Some(Resume::Orphan { saved, key }) => {
            wizard.old_key = saved.old_key.clone();
            wizard.step = WizardStep::Stuck(format!(
                "an interrupted rotation made {} at {} and its secret was never saved; {} is untouched. Delete {} (d) and press R again.",
                key.id, key.created, saved.old_key, key.id
            ));
            state.rotation = Some(wizard);
            show(state);
            return Vec::new();
        }
        Some(Resume::Afresh { stale, why }) => {
            if let Some(why) = why {
                say(state, why);
            }
            effects.push(Effect::ForgetRotation(stale));
        }
        None => {}
    }
    // The selected key, if it is an active key of the user; else its one active key.
    let selected = state
        .selected_key_entry()
        .filter(|e| state.key_focused() && e.key.user == user && e.key.status == KeyStatus::Active)
        .map(|e| e.key.id.clone());
    wizard.step = match crate::rotation::old_key(&keys, selected.as_deref()) {
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
    state.rotation = Some(wizard);
    show(state);
    effects
}

/// Puts the wizard on screen (its step is the dialog's identity, so each
/// step opens armed against keys typed ahead).
pub fn show(state: &mut State) {
    let Some(wizard) = &state.rotation else {
        return;
    };
    if matches!(state.dialog, None | Some(Dialog::Rotation { .. })) {
        state.dialog = Some(Dialog::Rotation {
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
    }
}

/// Esc: the wizard goes; a rotation under way stays saved for `R`.
pub fn leave(state: &mut State) {
    if let Some(wizard) = state.rotation.take()
        && wizard.new_key.is_some()
        && wizard.step != WizardStep::Done
    {
        say(
            state,
            format!(
                "the rotation of {} is kept: R on the user resumes it",
                wizard.user
            ),
        );
    }
}

/// Enter: the step's action.
pub fn go_on(state: &mut State) -> Vec<Effect> {
    let Some(wizard) = state.rotation.clone() else {
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
            request_as(state, change, "rotate")
        }
        WizardStep::Create => {
            let saved = saved_of(&wizard, Step::Creating);
            set_step(state, WizardStep::Waiting);
            let mut effects = vec![Effect::SaveRotation(saved)];
            effects.extend(request_as(
                state,
                KeyChange::Create {
                    user,
                    description: wizard.description.clone(),
                },
                "rotate",
            ));
            effects
        }
        WizardStep::Watch => {
            set_step(state, WizardStep::Waiting);
            request_as(
                state,
                KeyChange::SetStatus {
                    user,
                    key_id: wizard.old_key.clone(),
                    to: KeyStatus::Inactive,
                    signing_confirmed: false,
                },
                "rotate",
            )
        }
        WizardStep::Retire => {
            let change = KeyChange::Delete {
                user: user.clone(),
                key_id: wizard.old_key.clone(),
                had_description: had_description(state, &wizard.old_key),
                allow_active: false,
                signing_confirmed: false,
            };
            set_step(state, WizardStep::Waiting);
            request_as(state, change, "rotate")
        }
        WizardStep::Proving => {
            if matches!(wizard.proof, Proof::Failed(_)) {
                // Try the proof again.
                if let Some(w) = &mut state.rotation {
                    w.proof = Proof::NotYet;
                }
                return vec![prove(&wizard)];
            }
            Vec::new()
        }
        WizardStep::TwoActive | WizardStep::Done | WizardStep::Stuck(_) => {
            state.rotation = None;
            state.dialog = None;
            Vec::new()
        }
        WizardStep::Waiting => Vec::new(),
    }
}

fn set_step(state: &mut State, step: WizardStep) {
    if let Some(wizard) = &mut state.rotation {
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

/// A change answered: if it was the wizard's, the wizard moves on.
pub fn answered(
    state: &mut State,
    change: &KeyChange,
    result: &Result<ChangeOutcome, IamError>,
) -> Vec<Effect> {
    let Some(wizard) = state.rotation.clone() else {
        return Vec::new();
    };
    if change.user() != wizard.user || wizard.step != WizardStep::Waiting {
        return Vec::new();
    }
    let failed = |state: &mut State, back: WizardStep, err: &IamError| {
        if let Some(w) = &mut state.rotation {
            w.step = back;
        }
        complain(state, format!("the rotation could not go on: {err}"));
        Vec::new()
    };
    match (change, result) {
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
            if let Some(w) = &mut state.rotation {
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
                    "IAM made {} but its reply (and the secret) was lost: delete it (the dashboard offers to) and press R again",
                    key.id
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
    if let Some(w) = &mut state.rotation
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

/// The proof ended.
pub fn proved(state: &mut State, key_id: &str, result: Result<String, String>) -> Vec<Effect> {
    let Some(w) = &mut state.rotation else {
        return Vec::new();
    };
    if w.new_key.as_deref() != Some(key_id) {
        return Vec::new();
    }
    match result {
        Ok(arn) => {
            w.proof = Proof::Verified { arn };
            w.step = WizardStep::Watch;
            let saved = saved_of(w, Step::Verified);
            let read = watch(state);
            let mut effects = vec![Effect::SaveRotation(saved)];
            effects.extend(read);
            effects
        }
        Err(why) => {
            w.proof = Proof::Failed(why);
            Vec::new()
        }
    }
}

/// While the wizard watches, the old key's last use is read every few seconds.
pub fn watch(state: &mut State) -> Option<Effect> {
    let now = state.now;
    let w = state.rotation.as_mut()?;
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
    if let Some(w) = &mut state.rotation
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
    let Some(w) = &mut state.rotation else {
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
