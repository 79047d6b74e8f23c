//! Key changes: the dialogs that guard them, the single choke point every
//! change passes ([`request`]), and what their answers do to the state.

use tui_input::Input;

use super::{complain, key, say};
use crate::aws::{ErrorKind, IamError};
use crate::core::change::{ChangeOutcome, Expectation, KeyChange, Ticket};
use crate::core::model::{KeyStatus, LastUsed, Secret, UseSource};
use crate::tui::action::Action;
use crate::tui::action::{Effect, KeyWithUse, SaveError};
use crate::tui::dialog::{
    Button, Dialog, KeyOp, KeyTarget, SecretDialog, SecretStage, check_description,
};
use crate::tui::state::{Fetch, Focus, KeyEntry, Owner, PendingOp, State};

/// Refuses in read-only mode, saying why. Every mutating binding asks this first.
pub(super) fn blocked_by_read_only(state: &mut State, what: &str) -> bool {
    refused(state, read_only_refusal(state, what))
}

/// Refuses a second request on a key whose first is still in flight.
fn blocked_by_pending(state: &mut State, key_id: &str) -> bool {
    refused(state, pending_refusal(state, key_id))
}

/// Says `why` on the status line, if there is a why.
fn refused(state: &mut State, why: Option<String>) -> bool {
    match why {
        Some(why) => {
            complain(state, why);
            true
        }
        None => false,
    }
}

fn read_only_refusal(state: &State, what: &str) -> Option<String> {
    state
        .context
        .read_only
        .then(|| crate::core::change::read_only_refusal(what))
}

fn pending_refusal(state: &State, key_id: &str) -> Option<String> {
    state.jobs.pending_keys.get(key_id).map(|op| {
        format!(
            "{key_id} is still {}: wait for IAM's answer",
            op.label().trim_end_matches('…')
        )
    })
}

fn creating_refusal(state: &State, user: &str) -> Option<String> {
    state
        .jobs
        .creating_for
        .contains(user)
        .then(|| format!("a key for {user} is already being created"))
}

fn signing_refusal(state: &State, user: &str, key_id: &str, confirmed: bool) -> Option<String> {
    let link = state.context.session.link(user, key_id)?;
    (!confirmed).then(|| format!("{key_id}: {}: type its id to confirm", link.explain()))
}

/// Whether `change` may be sent now, judged on what the state knows. Changes nothing.
pub fn check(state: &State, change: &KeyChange) -> Result<(), String> {
    let why = read_only_refusal(state, change.what())
        .or_else(|| {
            change
                .key_id()
                .and_then(|key_id| pending_refusal(state, key_id))
        })
        .or_else(|| match change {
            KeyChange::SetStatus {
                to: KeyStatus::Unknown,
                ..
            } => Some("a key cannot be set to an unknown status".into()),
            KeyChange::SetStatus {
                user,
                key_id,
                to: KeyStatus::Inactive,
                signing_confirmed,
            }
            | KeyChange::Delete {
                user,
                key_id,
                signing_confirmed,
                ..
            } => signing_refusal(state, user, key_id, *signing_confirmed),
            KeyChange::SetStatus { .. } => None,
            KeyChange::Create { user, .. } => creating_refusal(state, user),
        });
    why.map_or(Ok(()), Err)
}

/// The one door for changes to IAM: every toggle, create, delete, rotation
/// step, bulk item and undo passes here. It refuses what [`check`] refuses,
/// marks the key (or user) pending, and issues the ticket the answer will
/// echo, recording `owner` as the one that answer is routed to.
pub fn enter(state: &mut State, change: &KeyChange, owner: Owner) -> Result<Ticket, String> {
    check(state, change)?;
    match change {
        KeyChange::SetStatus { key_id, to, .. } => {
            let op = match to {
                KeyStatus::Active => PendingOp::Activating,
                _ => PendingOp::Deactivating,
            };
            state.jobs.pending_keys.insert(key_id.clone(), op);
        }
        KeyChange::Create { user, .. } => {
            state.jobs.creating_for.insert(user.clone());
        }
        KeyChange::Delete { key_id, .. } => {
            state
                .jobs
                .pending_keys
                .insert(key_id.clone(), PendingOp::Deleting);
        }
    }
    Ok(state
        .jobs
        .tickets
        .issue_for(change.user(), state.inventory.load.generation, owner))
}

/// A change made on its own: through [`enter`], said on the status line,
/// sent as one effect.
pub fn request(state: &mut State, change: KeyChange) -> Vec<Effect> {
    let ticket = match enter(state, &change, Owner::Plain) {
        Ok(ticket) => ticket,
        Err(why) => {
            complain(state, why);
            return Vec::new();
        }
    };
    let doing = match &change {
        KeyChange::SetStatus { to, .. } => match to {
            KeyStatus::Active => PendingOp::Activating,
            _ => PendingOp::Deactivating,
        }
        .label()
        .trim_end_matches('…'),
        KeyChange::Create { .. } => "creating an access key for",
        KeyChange::Delete { .. } => PendingOp::Deleting.label().trim_end_matches('…'),
    };
    say(state, format!("{doing} {}…", change.subject()));
    vec![Effect::Change { ticket, change }]
}

/// A change that is a step of a larger job (a rotation): through [`enter`]
/// with `owner`, journaled under that job's `source`.
pub fn request_as(
    state: &mut State,
    change: KeyChange,
    owner: Owner,
    source: &'static str,
) -> Vec<Effect> {
    let ticket = match enter(state, &change, owner) {
        Ok(ticket) => ticket,
        Err(why) => {
            complain(state, why);
            return Vec::new();
        }
    };
    say(state, format!("{}: {}…", change.verb(), change.subject()));
    vec![Effect::RunPlan {
        items: vec![(
            ticket,
            crate::io::bulk::Planned {
                change,
                operation: crate::io::runner::Operation::new(source),
            },
        )],
    }]
}

/// Whether the key is one this session depends on (signs with, assumed its
/// role with, or belongs to the caller's own user): it needs its id typed.
fn is_session_key(state: &State, target: &KeyTarget) -> bool {
    state
        .context
        .session
        .link(&target.user, &target.key_id)
        .is_some()
}

/// The key the key-level bindings act on: the selected key of the keys pane.
fn focused_key(state: &mut State) -> Option<KeyTarget> {
    if !state.key_focused() {
        let hint = if state
            .selected_user()
            .is_some_and(|u| !u.key_entries().is_empty())
        {
            format!(
                "select a key first: {} or {} moves to the keys pane",
                key(state, &Action::SwitchFocus),
                key(state, &Action::OpenKeys)
            )
        } else {
            format!(
                "this user has no keys; {} creates one",
                key(state, &Action::CreateKey)
            )
        };
        complain(state, hint);
        return None;
    }
    state.selected_key_entry().map(KeyTarget::of)
}

pub fn toggle_key(state: &mut State) -> Vec<Effect> {
    if blocked_by_read_only(state, "changing a key's status") {
        return Vec::new();
    }
    let Some(target) = focused_key(state) else {
        return Vec::new();
    };
    set_status(state, target)
}

/// Asks for the status opposite to `target`'s, with the confirmations that
/// status needs: typed for this session's key, y/n for a key in use.
fn set_status(state: &mut State, target: KeyTarget) -> Vec<Effect> {
    if blocked_by_pending(state, &target.key_id) {
        return Vec::new();
    }
    let Some(to) = target.status.toggled() else {
        complain(
            state,
            format!(
                "IAM gave no status for {}: {} re-reads it before anything is changed",
                target.key_id,
                key(state, &Action::Refresh)
            ),
        );
        return Vec::new();
    };
    if to == KeyStatus::Inactive {
        if is_session_key(state, &target) {
            state.screen.dialog = Some(typed_confirm(KeyOp::Deactivate, target));
            return Vec::new();
        }
        if !use_is_fresh(state, &target) {
            // The decision rests on the last use: read it live first.
            say(
                state,
                format!(
                    "reading the last use of {} live before deciding",
                    target.key_id
                ),
            );
            let key_id = target.key_id.clone();
            state.jobs.deciding = Some(target);
            return vec![Effect::ReadLastUse { key_id }];
        }
        if in_use(state, &target) {
            state.screen.dialog = Some(Dialog::DeactivateInUse {
                target,
                focus: Button::Cancel,
            });
            return Vec::new();
        }
    }
    request(state, status_change(target, to, false))
}

/// Whether the shown last use of `target` can decide (see `Policy::use_is_fresh`).
fn use_is_fresh(state: &State, target: &KeyTarget) -> bool {
    let source = state
        .user(&target.user)
        .and_then(|u| u.key_entries().iter().find(|k| k.key.id == target.key_id))
        .and_then(|k| k.use_source);
    state.context.policy.use_is_fresh(source, state.now)
}

/// The live last use a deactivation waited for: shown, then the in-use
/// question decided on it (an unreadable one counts as not known: it asks).
pub fn decided(state: &mut State, result: Result<LastUsed, String>) -> Vec<Effect> {
    let Some(mut target) = state.jobs.deciding.take() else {
        return Vec::new();
    };
    let now = state.now;
    target.last_used = result.as_ref().ok().cloned();
    if let (Ok(used), Some(entry)) = (&result, state.user_mut(&target.user))
        && let Fetch::Ready(keys) = &mut entry.keys
        && let Some(key) = keys.iter_mut().find(|k| k.key.id == target.key_id)
    {
        key.last_used = Fetch::Ready(used.clone());
        key.use_source = Some(crate::core::model::UseSource::Live { at: now });
    }
    if state.screen.dialog.is_some() {
        // Something else opened meanwhile: nothing is changed unasked.
        return Vec::new();
    }
    if in_use(state, &target) {
        state.screen.dialog = Some(Dialog::DeactivateInUse {
            target,
            focus: Button::Cancel,
        });
        return Vec::new();
    }
    request(state, status_change(target, KeyStatus::Inactive, false))
}

fn status_change(target: KeyTarget, to: KeyStatus, signing_confirmed: bool) -> KeyChange {
    KeyChange::SetStatus {
        user: target.user,
        key_id: target.key_id,
        to,
        signing_confirmed,
    }
}

fn delete_change(target: KeyTarget, signing_confirmed: bool) -> KeyChange {
    KeyChange::Delete {
        user: target.user,
        key_id: target.key_id,
        had_description: target.description.is_some(),
        allow_active: false,
        signing_confirmed,
    }
}

/// Deactivating it may break something (`Policy::possibly_in_use`).
pub(super) fn in_use(state: &State, target: &KeyTarget) -> bool {
    state
        .context
        .policy
        .possibly_in_use(target.created, target.last_used.as_ref(), state.now)
}

fn typed_confirm(op: KeyOp, target: KeyTarget) -> Dialog {
    Dialog::TypedConfirm {
        op,
        target,
        typed: Input::default(),
        error: None,
    }
}

pub fn open_create(state: &mut State) -> Vec<Effect> {
    if blocked_by_read_only(state, "creating keys") {
        return Vec::new();
    }
    let Some(user) = state.selected_user() else {
        return Vec::new();
    };
    let name = user.user.name.clone();
    let existing: Vec<(String, KeyStatus)> = match &user.keys {
        Fetch::Ready(keys) => keys
            .iter()
            .map(|k| (k.key.id.clone(), k.key.status))
            .collect(),
        Fetch::Loading => {
            complain(state, format!("the keys of {name} are still loading"));
            return Vec::new();
        }
        Fetch::Failed(err) => {
            let text = format!(
                "cannot create a key for {name}: its keys could not be read ({})",
                err.code
            );
            complain(state, text);
            return Vec::new();
        }
    };
    if refused(state, creating_refusal(state, &name)) {
        return Vec::new();
    }
    state.screen.dialog = Some(if existing.len() >= 2 {
        Dialog::KeyLimit {
            user: name,
            existing,
        }
    } else {
        Dialog::Create {
            user: name,
            existing,
            description: Input::default(),
            error: None,
        }
    });
    Vec::new()
}

pub fn open_delete(state: &mut State) -> Vec<Effect> {
    if blocked_by_read_only(state, "deleting keys") {
        return Vec::new();
    }
    let Some(target) = focused_key(state) else {
        return Vec::new();
    };
    if blocked_by_pending(state, &target.key_id) {
        return Vec::new();
    }
    state.screen.dialog = delete_dialog(state, target);
    Vec::new()
}

/// What `d` opens for `target`, Cancel focused: deactivate it first (an
/// active key), the delete question, or the typed id (the session's key).
/// `None`, said on the status line, when IAM gave no status.
pub(super) fn delete_dialog(state: &mut State, target: KeyTarget) -> Option<Dialog> {
    Some(match target.status {
        KeyStatus::Active => Dialog::DeactivateFirst {
            target,
            focus: Button::Cancel,
        },
        KeyStatus::Inactive if is_session_key(state, &target) => {
            typed_confirm(KeyOp::Delete, target)
        }
        KeyStatus::Inactive => Dialog::Delete {
            target,
            focus: Button::Cancel,
        },
        KeyStatus::Unknown => {
            complain(
                state,
                format!(
                    "IAM gave no status for {}: {} re-reads it before anything is deleted",
                    target.key_id,
                    key(state, &Action::Refresh)
                ),
            );
            return None;
        }
    })
}

pub fn copy_key_id(state: &mut State) -> Vec<Effect> {
    let Some(target) = focused_key(state) else {
        return Vec::new();
    };
    say(
        state,
        format!(
            "copied {} (OSC 52: the terminal must allow clipboard access)",
            target.key_id
        ),
    );
    vec![Effect::CopyToClipboard(Secret::new(target.key_id))]
}

/// `y`, or `Enter` on the focused button.
pub fn press(state: &mut State, button: Button) -> Vec<Effect> {
    let Some(dialog) = state.screen.dialog.take() else {
        return Vec::new();
    };
    match (dialog, button) {
        (Dialog::DeactivateFirst { target, .. }, Button::Confirm) => {
            if is_session_key(state, &target) {
                state.screen.dialog = Some(typed_confirm(KeyOp::Deactivate, target));
                Vec::new()
            } else {
                request(state, status_change(target, KeyStatus::Inactive, false))
            }
        }
        (Dialog::DeactivateInUse { target, .. }, Button::Confirm) => {
            request(state, status_change(target, KeyStatus::Inactive, false))
        }
        (Dialog::Delete { target, .. }, Button::Confirm) => {
            request(state, delete_change(target, false))
        }
        (Dialog::LostSecret { user, key_id, .. }, Button::Confirm) => request(
            state,
            // Nobody ever saw its secret, so nothing can be using it: no deactivation first.
            KeyChange::Delete {
                user,
                key_id,
                had_description: true,
                allow_active: true,
                signing_confirmed: false,
            },
        ),
        (Dialog::QuitWhileCreating { .. }, Button::Confirm) => {
            state.should_quit = true;
            Vec::new()
        }
        (Dialog::QuitWhileCreating { .. }, Button::Cancel) => {
            state.quit_requested = None;
            say(
                state,
                "not quitting; waiting for IAM's answer to the key creation",
            );
            Vec::new()
        }
        (Dialog::Secret(mut secret), button) => {
            match (&secret.stage, button) {
                (SecretStage::Overwrite { path, .. }, Button::Confirm) => {
                    let effect = Effect::SaveSecret {
                        path: path.clone(),
                        key_id: secret.key_id.clone(),
                        secret: secret.secret.clone(),
                        overwrite: true,
                    };
                    secret.stage = SecretStage::Showing;
                    state.screen.dialog = Some(Dialog::Secret(secret));
                    return vec![effect];
                }
                (SecretStage::ConfirmClose { .. }, Button::Confirm) => {
                    // Dropping the dialog drops (and wipes) the secret.
                    say(
                        state,
                        format!(
                            "closed the secret of {}; it cannot be shown again",
                            secret.key_id
                        ),
                    );
                    return Vec::new();
                }
                _ => secret.stage = SecretStage::Showing,
            }
            state.screen.dialog = Some(Dialog::Secret(secret));
            Vec::new()
        }
        (_, _) => Vec::new(),
    }
}

/// `n`/`Esc`. The secret dialog asks once more before it closes.
pub fn cancel(state: &mut State) {
    if let Some(Dialog::Secret(mut secret)) = state.screen.dialog.take() {
        secret.stage = match secret.stage {
            SecretStage::Showing => SecretStage::ConfirmClose {
                focus: Button::Cancel,
            },
            _ => SecretStage::Showing,
        };
        state.screen.dialog = Some(Dialog::Secret(secret));
    }
}

/// `Enter` in a text field.
pub fn submit(state: &mut State) -> Vec<Effect> {
    let Some(dialog) = state.screen.dialog.take() else {
        return Vec::new();
    };
    match dialog {
        Dialog::Create {
            user,
            existing,
            description,
            ..
        } => {
            let text = description.value().trim().to_string();
            if let Err(why) = check_description(&text) {
                state.screen.dialog = Some(Dialog::Create {
                    user,
                    existing,
                    description,
                    error: Some(why),
                });
                return Vec::new();
            }
            let description = (!text.is_empty()).then_some(text);
            request(state, KeyChange::Create { user, description })
        }
        Dialog::TypedConfirm {
            op, target, typed, ..
        } => {
            if typed.value().trim() != target.key_id {
                state.screen.dialog = Some(Dialog::TypedConfirm {
                    op,
                    target,
                    typed,
                    error: Some("that is not the key id: type it exactly, or Esc to cancel".into()),
                });
                return Vec::new();
            }
            match op {
                KeyOp::Deactivate => {
                    request(state, status_change(target, KeyStatus::Inactive, true))
                }
                KeyOp::Delete => request(state, delete_change(target, true)),
            }
        }
        Dialog::Secret(mut secret) => {
            let SecretStage::SavePath(path) = &secret.stage else {
                state.screen.dialog = Some(Dialog::Secret(secret));
                return Vec::new();
            };
            let path = path.value().trim().to_string();
            if path.is_empty() {
                let (esc, word) = crate::tui::keymap::Keymap::dialog_hint(
                    crate::tui::screen_mode::Mode::TextEntry,
                    &Action::DialogCancel,
                )
                .unwrap_or(("Esc", "cancel"));
                secret.note = Some(format!("type a file name, or {esc} to {word}"));
                state.screen.dialog = Some(Dialog::Secret(secret));
                return Vec::new();
            }
            let effect = Effect::SaveSecret {
                path,
                key_id: secret.key_id.clone(),
                secret: secret.secret.clone(),
                overwrite: false,
            };
            secret.stage = SecretStage::Showing;
            state.screen.dialog = Some(Dialog::Secret(secret));
            vec![effect]
        }
        other => {
            state.screen.dialog = Some(other);
            Vec::new()
        }
    }
}

pub fn secret_copy(state: &mut State) -> Vec<Effect> {
    let Some(Dialog::Secret(secret)) = &mut state.screen.dialog else {
        return Vec::new();
    };
    secret.note = Some("secret copied with OSC 52: the terminal must allow clipboard access (tmux: set-clipboard on)".into());
    vec![Effect::CopyToClipboard(secret.secret.clone())]
}

pub fn secret_save(state: &mut State) {
    if let Some(Dialog::Secret(secret)) = &mut state.screen.dialog {
        let default = secret
            .saved_to
            .clone()
            .unwrap_or_else(|| format!("{}_accessKeys.csv", secret.user));
        secret.stage = SecretStage::SavePath(Input::new(default));
        secret.note = None;
    }
}

pub fn secret_saved(
    state: &mut State,
    key_id: &str,
    path: String,
    result: Result<String, SaveError>,
) {
    // The answer belongs to the dialog of that key's secret, if it is still open.
    let Some(Dialog::Secret(secret)) = &mut state.screen.dialog else {
        return;
    };
    if secret.key_id != key_id {
        return;
    }
    match result {
        Ok(written) => {
            secret.note = Some(format!(
                "saved to {written} (mode 0600: readable only by you)"
            ));
            secret.saved_to = Some(path);
        }
        Err(SaveError::Exists) => {
            secret.stage = SecretStage::Overwrite {
                path,
                focus: Button::Cancel,
            };
        }
        Err(SaveError::Failed(why)) => {
            secret.note = Some(format!("could not save to {path}: {why}"))
        }
    }
}

/// A readable line for a failed request: what, on what (`AKIA… of alice`), and IAM's code.
fn failure(state: &State, what: &str, subject: &str, err: &IamError) -> String {
    match err.kind() {
        ErrorKind::AccessDenied => format!(
            "not allowed to {what} {subject}: {}: {}",
            err.code, err.message
        ),
        ErrorKind::NoSuchEntity => format!(
            "cannot {what} {subject}: it no longer exists, deleted elsewhere? (NoSuchEntity); re-reading from IAM"
        ),
        ErrorKind::Throttled => format!(
            "IAM is throttling requests ({}): could not {what} {subject}; try again in a moment",
            err.code
        ),
        ErrorKind::Precondition => format!("did not {what} {subject}: {}", err.message),
        ErrorKind::LimitExceeded => format!(
            "{subject} already has 2 access keys, IAM's limit: deactivate and delete one ({} on a key) before creating another",
            key(state, &Action::DeleteKey)
        ),
        _ => format!("could not {what} {subject}: {}: {}", err.code, err.message),
    }
}

/// The answer to a change. Its effect on the rows is applied only if no newer
/// information about the user has arrived since it was issued; the message,
/// the secret and the re-read happen in any case.
pub fn changed(
    state: &mut State,
    ticket: Ticket,
    change: KeyChange,
    result: Result<crate::core::change::ChangeOutcome, IamError>,
) -> Vec<Effect> {
    let user = change.user().to_string();
    match &change {
        KeyChange::Create { .. } => {
            state.jobs.creating_for.remove(&user);
        }
        KeyChange::SetStatus { key_id, .. } | KeyChange::Delete { key_id, .. } => {
            state.jobs.pending_keys.remove(key_id);
        }
    }
    let current = state.jobs.tickets.is_current(&user, ticket.seq);
    let subject = change.subject();
    let expect = result
        .as_ref()
        .ok()
        .and_then(|outcome| Expectation::after(&change, outcome));
    match result {
        Ok(outcome @ (ChangeOutcome::StatusSet | ChangeOutcome::AlreadyInStatus)) => {
            match &change {
                KeyChange::SetStatus { key_id, to, .. } => {
                    status_answered(state, current, (&user, key_id), *to, outcome);
                }
                other => tracing::warn!(?other, "a status answer to a change that is not one"),
            }
        }
        Ok(ChangeOutcome::Created { .. }) if hung_up(state) => {
            // Nobody is left to show the secret to: say in the log what exists.
            tracing::warn!(%user, "a key was created as the terminal hung up; its secret was not shown");
        }
        Ok(ChangeOutcome::Created {
            key,
            description_error,
        }) => {
            let note = description_error.map(|e| {
                format!(
                    "the key exists, but its description was not stored: {}: {}",
                    e.code, e.message
                )
            });
            if note.is_some() {
                complain(
                    state,
                    format!("created {} for {user} without its description", key.key.id),
                );
            } else {
                say(state, format!("created {} for {user}", key.key.id));
            }
            if current {
                add_key(state, &user, key.key.clone());
            }
            if state.quit_requested.take().is_some() {
                complain(
                    state,
                    format!(
                        "quit postponed: the secret of {} is shown only now",
                        key.key.id
                    ),
                );
            }
            state.screen.dialog = Some(Dialog::Secret(SecretDialog {
                user: user.clone(),
                key_id: key.key.id,
                secret: key.secret,
                stage: SecretStage::Showing,
                saved_to: None,
                note,
            }));
        }
        Ok(ChangeOutcome::CreatedSecretLost { key }) => {
            complain(
                state,
                format!(
                    "the connection broke after IAM made {} for {user}: its secret was lost",
                    key.id
                ),
            );
            if current {
                add_key(state, &user, key.clone());
            }
            state.quit_requested = None;
            state.screen.dialog = Some(Dialog::LostSecret {
                user: user.clone(),
                key_id: key.id,
                focus: Button::Cancel,
            });
        }
        Ok(ChangeOutcome::Deleted { untag_error }) => {
            if let Some(key_id) = change.key_id()
                && current
                && let Some(Fetch::Ready(keys)) = state.user_mut(&user).map(|u| &mut u.keys)
            {
                keys.retain(|k| k.key.id != key_id);
            }
            match untag_error {
                None => say(state, format!("deleted {subject}")),
                Some(err) => complain(
                    state,
                    format!(
                        "deleted {subject}, but its description tag remains ({}: {})",
                        err.code, err.message
                    ),
                ),
            }
        }
        Err(err) => {
            let text = failure(state, change.verb(), &subject, &err);
            complain(state, text);
        }
    }
    if let Some(request) = state.quit_requested
        && matches!(change, KeyChange::Create { .. })
        && state.jobs.creating_for.is_empty()
    {
        // Nothing to show (the creation failed, or the terminal hung up): the quit goes ahead.
        state.exit_signal = request.signal;
        state.should_quit = true;
    }
    state.screen.view_stale = true;
    state.clamp_key_selection();
    // Whatever happened, show what the server holds now: once it shows the
    // change (IAM is eventually consistent), "propagating…" until then.
    if expect.is_some() {
        state.jobs.propagating.insert(user.clone());
    }
    vec![reread(state, user, expect, Owner::Reread)]
}

/// The server's answer to a status change: shown at once (if still current)
/// and, when it changed something, remembered for `u`.
fn status_answered(
    state: &mut State,
    current: bool,
    (user, key_id): (&str, &str),
    to: KeyStatus,
    outcome: ChangeOutcome,
) {
    if current && let Some(entry) = state.key_mut(user, key_id) {
        entry.key.status = to;
    }
    let subject = format!("{key_id} of {user}");
    match (outcome, to.toggled()) {
        (ChangeOutcome::StatusSet, Some(_)) => {
            let done = if to == KeyStatus::Active {
                "activated"
            } else {
                "deactivated"
            };
            let undo = key(state, &Action::Undo);
            say(state, format!("{done} {subject} ({undo} undoes)"));
        }
        _ => say(
            state,
            format!(
                "{subject} was already {} on the server: nothing was sent",
                to.as_str()
            ),
        ),
    }
}

/// A quit asked by SIGHUP is waiting: the terminal is gone.
fn hung_up(state: &State) -> bool {
    state
        .quit_requested
        .is_some_and(|q| q.signal == Some(libc::SIGHUP))
}

fn add_key(state: &mut State, user: &str, key: crate::core::model::AccessKey) {
    let now = state.now;
    if let Some(Fetch::Ready(keys)) = state.user_mut(user).map(|u| &mut u.keys)
        && !keys.iter().any(|k| k.key.id == key.id)
    {
        keys.push(KeyEntry {
            key,
            last_used: Fetch::Ready(LastUsed::Never),
            use_source: Some(UseSource::Live { at: now }),
        });
    }
}

/// A re-read of `user`'s keys, with a ticket newer than anything in flight for
/// them; with `expect`, it repeats until IAM shows the change.
pub fn reread(
    state: &mut State,
    user: String,
    expect: Option<Expectation>,
    owner: Owner,
) -> Effect {
    let ticket = state
        .jobs
        .tickets
        .issue_for(&user, state.inventory.load.generation, owner);
    Effect::ReadUserKeys {
        ticket,
        user,
        expect,
    }
}

pub fn user_keys_read(
    state: &mut State,
    ticket: Ticket,
    user: String,
    result: Result<Vec<KeyWithUse>, IamError>,
    unmet: Option<String>,
) {
    if !state.jobs.tickets.is_current(&user, ticket.seq) {
        return;
    }
    state.jobs.propagating.remove(&user);
    if let Some(unmet) = unmet {
        complain(
            state,
            format!(
                "{unmet} seconds after it answered the change: changed elsewhere, or still propagating? {} re-reads",
                key(state, &Action::Refresh)
            ),
        );
    }
    let now = state.now;
    let Some(entry) = state.user_mut(&user) else {
        return;
    };
    entry.keys = match result {
        Ok(keys) => Fetch::Ready(
            keys.into_iter()
                .map(|(key, used)| match used {
                    Ok(used) => KeyEntry {
                        key,
                        last_used: Fetch::Ready(used),
                        use_source: Some(UseSource::Live { at: now }),
                    },
                    Err(err) => KeyEntry {
                        key,
                        last_used: Fetch::Failed(err),
                        use_source: None,
                    },
                })
                .collect(),
        ),
        Err(err) => Fetch::Failed(err),
    };
    state.screen.view_stale = true;
    state.clamp_key_selection();
    if state
        .selected_user()
        .is_none_or(|u| u.key_entries().is_empty())
    {
        state.screen.focus = Focus::Users;
    }
}
