//! Key changes: the dialogs that guard them, the single choke point every
//! mutating request passes, and what their results do to the state.

use tui_input::Input;

use crate::action::{Effect, KeyWithUse, SaveError};
use crate::dialog::{
    Button, Dialog, KeyOp, KeyTarget, SecretDialog, SecretStage, check_description,
};
use crate::iam::IamError;
use crate::iam::model::{KeyStatus, NewKey, Secret};
use crate::state::{Fetch, Focus, KeyEntry, PendingOp, State, StatusLine};

/// A request that changes IAM. Only [`request`] turns one into an effect.
enum Mutation {
    SetStatus {
        target: KeyTarget,
        status: KeyStatus,
    },
    Create {
        user: String,
        description: Option<String>,
    },
    Delete {
        target: KeyTarget,
    },
}

fn say(state: &mut State, text: impl Into<String>) {
    state.status = Some(StatusLine {
        text: text.into(),
        is_error: false,
    });
}

fn complain(state: &mut State, text: impl Into<String>) {
    state.status = Some(StatusLine {
        text: text.into(),
        is_error: true,
    });
}

/// Refuses in read-only mode, saying why. Every mutating binding asks this first.
fn blocked_by_read_only(state: &mut State, what: &str) -> bool {
    if state.context.read_only {
        complain(
            state,
            format!("read-only mode (--read-only): {what} is disabled"),
        );
    }
    state.context.read_only
}

/// Refuses a second request on a key whose first is still in flight.
fn blocked_by_pending(state: &mut State, key_id: &str) -> bool {
    match state.pending_keys.get(key_id) {
        Some(op) => {
            let text = format!(
                "{key_id} is still {}: wait for IAM's answer",
                op.label().trim_end_matches('…')
            );
            complain(state, text);
            true
        }
        None => false,
    }
}

/// The one choke point for requests that change IAM: read-only mode and
/// "one request per key" are enforced here, and the key is marked pending.
fn request(state: &mut State, mutation: Mutation) -> Vec<Effect> {
    let what = match &mutation {
        Mutation::SetStatus { .. } => "changing a key's status",
        Mutation::Create { .. } => "creating keys",
        Mutation::Delete { .. } => "deleting keys",
    };
    if blocked_by_read_only(state, what) {
        return Vec::new();
    }
    match mutation {
        Mutation::SetStatus { target, status } => {
            if blocked_by_pending(state, &target.key_id) {
                return Vec::new();
            }
            let op = match status {
                KeyStatus::Active => PendingOp::Activating,
                KeyStatus::Inactive => PendingOp::Deactivating,
            };
            state.pending_keys.insert(target.key_id.clone(), op);
            say(
                state,
                format!("{} {} of {}", op.label(), target.key_id, target.user),
            );
            vec![Effect::SetKeyStatus {
                user: target.user,
                key_id: target.key_id,
                status,
            }]
        }
        Mutation::Create { user, description } => {
            if !state.creating_for.insert(user.clone()) {
                complain(state, format!("a key for {user} is already being created"));
                return Vec::new();
            }
            say(state, format!("creating an access key for {user}…"));
            vec![Effect::CreateKey { user, description }]
        }
        Mutation::Delete { target } => {
            if blocked_by_pending(state, &target.key_id) {
                return Vec::new();
            }
            state
                .pending_keys
                .insert(target.key_id.clone(), PendingOp::Deleting);
            say(
                state,
                format!("deleting {} of {}…", target.key_id, target.user),
            );
            vec![Effect::DeleteKey {
                user: target.user,
                key_id: target.key_id,
                had_description: target.description.is_some(),
            }]
        }
    }
}

fn is_signing_key(state: &State, key_id: &str) -> bool {
    state.context.signing_key.as_deref() == Some(key_id)
}

/// The key the key-level bindings act on: the selected key of the keys pane.
fn focused_key(state: &mut State) -> Option<KeyTarget> {
    if state.focus != Focus::Keys {
        let hint = if state
            .selected_user()
            .is_some_and(|u| !u.key_entries().is_empty())
        {
            "select a key first: Tab or Enter moves to the keys pane"
        } else {
            "this user has no keys; c creates one"
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
    if blocked_by_pending(state, &target.key_id) {
        return Vec::new();
    }
    if target.status == KeyStatus::Active && is_signing_key(state, &target.key_id) {
        state.dialog = Some(typed_confirm(KeyOp::Deactivate, target));
        return Vec::new();
    }
    let status = target.status.toggled();
    request(state, Mutation::SetStatus { target, status })
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
    if state.creating_for.contains(&name) {
        complain(state, format!("a key for {name} is already being created"));
        return Vec::new();
    }
    state.dialog = Some(if existing.len() >= 2 {
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
    state.dialog = Some(match target.status {
        KeyStatus::Active => Dialog::DeactivateFirst {
            target,
            focus: Button::Cancel,
        },
        KeyStatus::Inactive if is_signing_key(state, &target.key_id) => {
            typed_confirm(KeyOp::Delete, target)
        }
        KeyStatus::Inactive => Dialog::Delete {
            target,
            focus: Button::Cancel,
        },
    });
    Vec::new()
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
    let Some(dialog) = state.dialog.take() else {
        return Vec::new();
    };
    match (dialog, button) {
        (Dialog::DeactivateFirst { target, .. }, Button::Confirm) => {
            if is_signing_key(state, &target.key_id) {
                state.dialog = Some(typed_confirm(KeyOp::Deactivate, target));
                Vec::new()
            } else {
                request(
                    state,
                    Mutation::SetStatus {
                        target,
                        status: KeyStatus::Inactive,
                    },
                )
            }
        }
        (Dialog::Delete { target, .. }, Button::Confirm) => {
            request(state, Mutation::Delete { target })
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
                    state.dialog = Some(Dialog::Secret(secret));
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
            state.dialog = Some(Dialog::Secret(secret));
            Vec::new()
        }
        (_, _) => Vec::new(),
    }
}

/// `n`/`Esc`. The secret dialog asks once more before it closes.
pub fn cancel(state: &mut State) {
    if let Some(Dialog::Secret(mut secret)) = state.dialog.take() {
        secret.stage = match secret.stage {
            SecretStage::Showing => SecretStage::ConfirmClose {
                focus: Button::Cancel,
            },
            _ => SecretStage::Showing,
        };
        state.dialog = Some(Dialog::Secret(secret));
    }
}

/// `Enter` in a text field.
pub fn submit(state: &mut State) -> Vec<Effect> {
    let Some(dialog) = state.dialog.take() else {
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
                state.dialog = Some(Dialog::Create {
                    user,
                    existing,
                    description,
                    error: Some(why),
                });
                return Vec::new();
            }
            let description = (!text.is_empty()).then_some(text);
            request(state, Mutation::Create { user, description })
        }
        Dialog::TypedConfirm {
            op, target, typed, ..
        } => {
            if typed.value().trim() != target.key_id {
                state.dialog = Some(Dialog::TypedConfirm {
                    op,
                    target,
                    typed,
                    error: Some("that is not the key id: type it exactly, or Esc to cancel".into()),
                });
                return Vec::new();
            }
            match op {
                KeyOp::Deactivate => request(
                    state,
                    Mutation::SetStatus {
                        target,
                        status: KeyStatus::Inactive,
                    },
                ),
                KeyOp::Delete => request(state, Mutation::Delete { target }),
            }
        }
        Dialog::Secret(mut secret) => {
            let SecretStage::SavePath(path) = &secret.stage else {
                state.dialog = Some(Dialog::Secret(secret));
                return Vec::new();
            };
            let path = path.value().trim().to_string();
            if path.is_empty() {
                secret.note = Some("type a file name, or Esc to go back".into());
                state.dialog = Some(Dialog::Secret(secret));
                return Vec::new();
            }
            let effect = Effect::SaveSecret {
                path,
                key_id: secret.key_id.clone(),
                secret: secret.secret.clone(),
                overwrite: false,
            };
            secret.stage = SecretStage::Showing;
            state.dialog = Some(Dialog::Secret(secret));
            vec![effect]
        }
        other => {
            state.dialog = Some(other);
            Vec::new()
        }
    }
}

pub fn secret_copy(state: &mut State) -> Vec<Effect> {
    let Some(Dialog::Secret(secret)) = &mut state.dialog else {
        return Vec::new();
    };
    secret.note = Some("secret copied with OSC 52: the terminal must allow clipboard access (tmux: set-clipboard on)".into());
    vec![Effect::CopyToClipboard(secret.secret.clone())]
}

pub fn secret_save(state: &mut State) {
    if let Some(Dialog::Secret(secret)) = &mut state.dialog {
        let default = secret
            .saved_to
            .clone()
            .unwrap_or_else(|| format!("{}_accessKeys.csv", secret.user));
        secret.stage = SecretStage::SavePath(Input::new(default));
        secret.note = None;
    }
}

pub fn secret_saved(state: &mut State, path: String, result: Result<(), SaveError>) {
    let Some(Dialog::Secret(secret)) = &mut state.dialog else {
        return;
    };
    match result {
        Ok(()) => {
            secret.note = Some(format!("saved to {path} (readable only by you)"));
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
fn failure(what: &str, subject: &str, err: &IamError) -> String {
    match err.code.as_str() {
        "AccessDenied" | "AccessDeniedException" => {
            format!(
                "not allowed to {what} {subject}: AccessDenied: {}",
                err.message
            )
        }
        "NoSuchEntity" => format!(
            "cannot {what} {subject}: it no longer exists, deleted elsewhere? (NoSuchEntity); re-reading from IAM"
        ),
        "Throttling" | "ThrottlingException" | "RequestLimitExceeded" => format!(
            "IAM is throttling requests ({}): could not {what} {subject}; try again in a moment",
            err.code
        ),
        _ => format!("could not {what} {subject}: {}: {}", err.code, err.message),
    }
}

pub fn key_status_set(
    state: &mut State,
    user: String,
    key_id: String,
    status: KeyStatus,
    result: Result<(), IamError>,
) -> Vec<Effect> {
    state.pending_keys.remove(&key_id);
    match result {
        Ok(()) => {
            let done = match status {
                KeyStatus::Active => "activated",
                KeyStatus::Inactive => "deactivated",
            };
            say(state, format!("{done} {key_id} of {user}"));
        }
        Err(err) => {
            let what = match status {
                KeyStatus::Active => "activate",
                KeyStatus::Inactive => "deactivate",
            };
            complain(state, failure(what, &format!("{key_id} of {user}"), &err));
        }
    }
    // Whatever happened, show what the server holds now.
    vec![Effect::ReadUserKeys { user }]
}

pub fn key_created(
    state: &mut State,
    user: String,
    result: Result<NewKey, IamError>,
    description_error: Option<IamError>,
) -> Vec<Effect> {
    state.creating_for.remove(&user);
    match result {
        Ok(new_key) => {
            let note = description_error.map(|e| {
                format!(
                    "the key exists, but its description was not stored: {}: {}",
                    e.code, e.message
                )
            });
            if note.is_some() {
                complain(
                    state,
                    format!(
                        "created {} for {user} without its description",
                        new_key.key.id
                    ),
                );
            } else {
                say(state, format!("created {} for {user}", new_key.key.id));
            }
            state.dialog = Some(Dialog::Secret(SecretDialog {
                user: user.clone(),
                key_id: new_key.key.id,
                secret: new_key.secret,
                stage: SecretStage::Showing,
                saved_to: None,
                note,
            }));
        }
        Err(err) if err.code == "LimitExceeded" => complain(
            state,
            format!(
                "{user} already has 2 access keys, IAM's limit: deactivate and delete one (d on a key) before creating another"
            ),
        ),
        Err(err) => complain(state, failure("create a key for", &user, &err)),
    }
    vec![Effect::ReadUserKeys { user }]
}

pub fn key_deleted(
    state: &mut State,
    user: String,
    key_id: String,
    result: Result<(), IamError>,
) -> Vec<Effect> {
    state.pending_keys.remove(&key_id);
    match result {
        Ok(()) => say(state, format!("deleted {key_id} of {user}")),
        Err(err) => complain(
            state,
            failure("delete", &format!("{key_id} of {user}"), &err),
        ),
    }
    vec![Effect::ReadUserKeys { user }]
}

pub fn user_keys_read(state: &mut State, user: String, result: Result<Vec<KeyWithUse>, IamError>) {
    let Some(entry) = state.user_mut(&user) else {
        return;
    };
    entry.keys = match result {
        Ok(keys) => Fetch::Ready(
            keys.into_iter()
                .map(|(key, used)| KeyEntry {
                    key,
                    last_used: match used {
                        Ok(used) => Fetch::Ready(used),
                        Err(err) => Fetch::Failed(err),
                    },
                })
                .collect(),
        ),
        Err(err) => Fetch::Failed(err),
    };
    state.view_stale = true;
    state.clamp_key_selection();
    if state
        .selected_user()
        .is_none_or(|u| u.key_entries().is_empty())
    {
        state.focus = Focus::Users;
    }
}
