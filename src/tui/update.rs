//! `update`: the only place `State` changes. Pure: no I/O, no clock, no spawning.
//! It returns the effects the app loop must start.

use crossterm::event::Event;
use tui_input::backend::crossterm::to_input_request;

mod jobs;
mod mfa;
mod mutations;
mod plan_scroll;
mod selection;
mod wizard;

pub use mutations::{check, request};

use crate::aws::inventory::LoadEvent;
use crate::core::inventory::Gate;
use crate::tui::action::{Action, Effect, Motion};
use crate::tui::dialog::{Button, Dialog};
use crate::tui::state::{
    Board, Fetch, Focus, Mode, Owner, QuitRequest, STATUS_EXPIRES_SECS, State, StatusLine,
};

/// How long a dialog that changes IAM ignores confirming keys after it opens,
/// so that keys typed ahead (or a paste in a terminal without bracketed
/// paste) cannot confirm what the administrator has not seen.
pub const DIALOG_ARMING_MS: i64 = 250;

/// How long a quit waits for a key creation's answer before asking.
pub const QUIT_WAIT_SECS: i64 = 10;

pub fn update(state: &mut State, action: Action) -> Vec<Effect> {
    let from_loader = matches!(action, Action::Inventory { .. });
    let before = state.screen.dialog.as_ref().map(Dialog::identity);
    if is_confirming(&action) && dialog_still_arming(state) {
        complain(
            state,
            "ignored a key pressed as the dialog opened: read it, then answer",
        );
        return Vec::new();
    }
    if is_keypress(&action) && state.screen.status.as_ref().is_some_and(|s| s.is_error) {
        // An error stays until the next key: by then it has been seen.
        state.screen.status = None;
    }
    let mut effects = apply(state, action);
    if state.jobs.rotation.is_none() {
        // A closed wizard waits for nothing: its answers only update the rows.
        state.jobs.tickets.disown(Owner::Wizard);
        state.jobs.tickets.disown(Owner::WizardResume);
    }
    // The wizard shows again once a dialog over it (the secret, say) closes.
    wizard::show(state);
    effects.extend(wizard::watch(state));
    wizard::track_saved(state, &effects);
    if state.screen.dialog.as_ref().map(Dialog::identity) != before {
        state.screen.dialog_opened = state.now;
    }
    if !from_loader && state.inventory.load.in_flight {
        effects.extend(prioritize(state));
    }
    effects
}

/// Whether the action comes from a key the administrator pressed (not from
/// the clock, a task, the terminal or a signal).
fn is_keypress(action: &Action) -> bool {
    !matches!(
        action,
        Action::Tick(_)
            | Action::IamHealth(_)
            | Action::Inventory { .. }
            | Action::Changed { .. }
            | Action::UserKeysRead { .. }
            | Action::SecretSaved { .. }
            | Action::UserDetailsRead { .. }
            | Action::JournalFailed(_)
            | Action::JournalUnusable(_)
            | Action::UndoPlanned(_)
            | Action::PlanFinished
            | Action::RotationOpened { .. }
            | Action::RotationsListed(_)
            | Action::ProofAttempt { .. }
            | Action::Proved { .. }
            | Action::LastUseRead { .. }
            | Action::Resize { .. }
            | Action::Terminate(_)
    )
}

fn is_confirming(action: &Action) -> bool {
    matches!(
        action,
        Action::DialogConfirm | Action::DialogPress | Action::DialogSubmit
    )
}

fn dialog_still_arming(state: &State) -> bool {
    state.screen.dialog.as_ref().is_some_and(Dialog::is_guarded)
        && state
            .now
            .duration_since(state.screen.dialog_opened)
            .as_millis()
            < i128::from(DIALOG_ARMING_MS)
}

/// How the browsing key of `action` is written in sentences (after the
/// config's `[keys]`): a sentence that names a key names the key in force.
pub(crate) fn key(state: &State, action: &Action) -> String {
    state.context.keymap.key_of(action)
}

/// Puts a line on the status bar.
pub(crate) fn say(state: &mut State, text: impl Into<String>) {
    state.screen.status = Some(StatusLine {
        text: text.into(),
        is_error: false,
        at: state.now,
    });
}

/// Puts an error line on the status bar.
pub(crate) fn complain(state: &mut State, text: impl Into<String>) {
    state.screen.status = Some(StatusLine {
        text: text.into(),
        is_error: true,
        at: state.now,
    });
}

/// While a load runs, the users around the selection (what is on screen) whose
/// keys are not read yet go to the front of the loader's queue.
fn prioritize(state: &mut State) -> Option<Effect> {
    let page = state.screen.page_rows.max(1);
    let wanted: Vec<String> = state
        .screen
        .view
        .iter()
        .skip(state.screen.selected.saturating_sub(page))
        .take(page * 3)
        .map(|&i| &state.inventory.users[i])
        .filter(|u| matches!(u.keys, Fetch::Loading))
        .map(|u| u.user.name.clone())
        .collect();
    if wanted == state.inventory.load.prioritized {
        return None;
    }
    state.inventory.load.prioritized = wanted.clone();
    Some(Effect::PrioritizeUsers(wanted))
}

fn apply(state: &mut State, action: Action) -> Vec<Effect> {
    // Intents act on what is on screen: bring the view up to date first.
    if state.screen.view_stale && !matches!(action, Action::Inventory { .. }) {
        state.rebuild_view();
    }
    match action {
        Action::Move(motion) if state.screen.mode == Mode::Help => {
            let page = state.screen.page_rows.max(1);
            let last = crate::tui::ui::help::line_count(&state.context.keymap).saturating_sub(1);
            state.screen.help_scroll = match motion {
                Motion::Up => state.screen.help_scroll.saturating_sub(1),
                Motion::Down => state.screen.help_scroll + 1,
                Motion::PageUp => state.screen.help_scroll.saturating_sub(page),
                Motion::PageDown => state.screen.help_scroll + page,
                Motion::Top => 0,
                Motion::Bottom => last,
            }
            .min(last);
        }
        Action::Move(motion) => move_selection(state, motion),
        Action::ShowBoard(board) => state.screen.board = board,
        Action::SwitchFocus if state.screen.board == Board::Keys => {}
        Action::SwitchFocus => {
            state.screen.focus = match state.screen.focus {
                Focus::Users if has_keys(state) => {
                    selection::user_chosen(state);
                    Focus::Keys
                }
                _ => Focus::Users,
            };
        }
        Action::OpenKeys if state.key_focused() => {
            if let Some(entry) = state.selected_key_entry() {
                let user = entry.key.user.clone();
                state.screen.dialog = Some(Dialog::Details {
                    user: user.clone(),
                    key_id: entry.key.id.clone(),
                });
                // Read once a load; a failed read is tried again.
                if !matches!(
                    state.inventory.user_details.get(&user),
                    Some(Fetch::Ready(_) | Fetch::Loading)
                ) {
                    state
                        .inventory
                        .user_details
                        .insert(user.clone(), Fetch::Loading);
                    return vec![Effect::ReadUserDetails { user }];
                }
            }
        }
        Action::OpenKeys => {
            if has_keys(state) {
                selection::user_chosen(state);
                state.screen.focus = Focus::Keys;
                state.screen.selected_key = 0;
            }
        }
        Action::StartFilter => {
            state.screen.mode = Mode::Filter;
            state.screen.focus = Focus::Users;
        }
        Action::FilterEdit(key) => {
            if let Some(request) = to_input_request(&Event::Key(key)) {
                state.screen.filter.handle(request);
                state.screen.selected = 0;
                state.rebuild_view();
            }
        }
        Action::FilterAccept => state.screen.mode = Mode::Normal,
        Action::Back if state.screen.board == Board::Keys => {
            if state.screen.filter.value().is_empty() {
                state.screen.board = Board::Users;
            } else {
                state.screen.filter.reset();
                state.rebuild_view();
                say(state, "filter cleared");
            }
        }
        Action::Back => match state.screen.focus {
            Focus::Keys => state.screen.focus = Focus::Users,
            Focus::Users if !state.screen.filter.value().is_empty() => {
                state.screen.filter.reset();
                state.rebuild_view();
                say(state, "filter cleared");
            }
            Focus::Users => {}
        },
        Action::FilterClear => {
            state.screen.mode = Mode::Normal;
            state.screen.filter.reset();
            state.rebuild_view();
        }
        Action::CycleSort => selection::cycle_sort(state),
        Action::ReverseSort => selection::reverse_sort(state),
        Action::Refresh => return start_load(state),
        Action::ToggleHelp => {
            state.screen.mode = match state.screen.mode {
                Mode::Help => Mode::Normal,
                _ => Mode::Help,
            };
            state.screen.help_scroll = 0;
        }
        Action::Quit => quit(state, None),
        Action::Terminate(signal) => quit(state, Some(signal)),
        Action::Suspend => return vec![Effect::Suspend],
        Action::Undo => return jobs::undo(state),
        Action::Mark => jobs::mark(state),
        Action::MarkAll => jobs::mark_all(state),
        Action::BulkStart(kind) => return jobs::start(state, kind),
        Action::UndoPlanned(plan) => jobs::undo_planned(state, plan),
        Action::PlanFinished => jobs::finished(state),
        Action::Rotate => return wizard::open(state),
        Action::RotationsListed(users) => wizard::listed(state, users),
        Action::RotationOpened { user, saved } => return wizard::opened(state, user, saved),
        Action::ProofAttempt { key_id, why } => wizard::proof_attempt(state, &key_id, why),
        Action::Proved { key_id, result } => return wizard::proved(state, &key_id, result),
        Action::LastUseRead { key_id, result } if jobs::plan_confirms(state, &key_id) => {
            jobs::plan_use_read(state, &key_id, result);
        }
        Action::LastUseRead { key_id, result }
            if state
                .jobs
                .deciding
                .as_ref()
                .is_some_and(|t| t.key_id == key_id) =>
        {
            return mutations::decided(state, result);
        }
        Action::LastUseRead { key_id, result } => wizard::old_use_read(state, &key_id, result),
        Action::MfaCodeNeeded { id, prompt } => mfa::open(state, id, prompt),
        Action::DialogSubmit if matches!(state.screen.dialog, Some(Dialog::MfaCode { .. })) => {
            return mfa::submit(state);
        }
        Action::DialogCancel if matches!(state.screen.dialog, Some(Dialog::MfaCode { .. })) => {
            return mfa::cancel(state);
        }
        Action::DialogConfirm if wizard::asks(state) => {
            return wizard::answer(state, Button::Confirm);
        }
        Action::DialogPress if wizard::asks(state) => {
            let focused = state
                .screen
                .dialog
                .as_mut()
                .and_then(|d| d.focus_mut().copied());
            return wizard::answer(state, focused.unwrap_or(Button::Cancel));
        }
        Action::DialogConfirm | Action::DialogPress
            if matches!(state.screen.dialog, Some(Dialog::Rotation { .. })) =>
        {
            return wizard::go_on(state);
        }
        Action::DialogCancel if matches!(state.screen.dialog, Some(Dialog::Rotation { .. })) => {
            state.screen.dialog = None;
            wizard::leave(state);
        }
        Action::ToggleKey => return mutations::toggle_key(state),
        Action::CreateKey => return mutations::open_create(state),
        Action::DeleteKey => return mutations::open_delete(state),
        Action::CopyKeyId => return mutations::copy_key_id(state),
        Action::DialogConfirm => return press(state, Button::Confirm),
        Action::DialogPress => {
            let focused = state
                .screen
                .dialog
                .as_mut()
                .and_then(|d| d.focus_mut().copied());
            return press(state, focused.unwrap_or(Button::Cancel));
        }
        Action::DialogCancel => mutations::cancel(state),
        Action::DialogFocusNext => {
            if let Some(focus) = state.screen.dialog.as_mut().and_then(|d| d.focus_mut()) {
                *focus = focus.other();
            }
        }
        Action::DialogSubmit if matches!(&state.screen.dialog, Some(Dialog::BulkPlan(plan)) if !plan.running) => {
            if let Some(Dialog::BulkPlan(plan)) = state.screen.dialog.take() {
                return jobs::submit(state, plan);
            }
        }
        Action::DialogSubmit
            if matches!(
                &state.screen.dialog,
                Some(Dialog::UndoPlan { typed: Some(_), .. })
            ) =>
        {
            if let Some(dialog) = state.screen.dialog.take() {
                return jobs::undo_confirmed(state, dialog);
            }
        }
        Action::DialogSubmit => return mutations::submit(state),
        Action::DialogEdit(key) if plan_scroll::scroll(state, key) => {}
        Action::DialogEdit(key) => {
            let field = state.screen.dialog.as_mut().and_then(|d| d.input_mut());
            if let (Some(field), Some(request)) = (field, to_input_request(&Event::Key(key))) {
                field.handle(request);
            }
        }
        Action::Paste(text) => paste(state, &text),
        Action::SecretCopy => {
            wizard::secret_copied(state);
            return mutations::secret_copy(state);
        }
        Action::SecretSave => mutations::secret_save(state),
        Action::Changed {
            ticket,
            change,
            result,
        } => return changed(state, ticket, change, result),
        Action::UserKeysRead {
            ticket,
            user,
            result,
            unmet,
        } => {
            let owner = state.jobs.tickets.answered(ticket);
            let resumes = owner == Some(Owner::WizardResume);
            mutations::user_keys_read(state, ticket, user.clone(), result, unmet);
            if resumes {
                return wizard::keys_reread(state, ticket, &user);
            }
        }
        Action::SecretSaved {
            key_id,
            path,
            result,
        } => {
            // The rotation keeps where the secret went, even if its dialog has closed since.
            let effects = match &result {
                Ok(written) => wizard::secret_saved(state, &key_id, written),
                Err(_) => Vec::new(),
            };
            mutations::secret_saved(state, &key_id, path, result);
            return effects;
        }
        Action::JournalUnusable(why) => complain(
            state,
            format!(
                "no usable journal, so every change is refused (--no-journal goes without): {why}"
            ),
        ),
        Action::JournalFailed(why) => {
            let undo = key(state, &Action::Undo);
            complain(
                state,
                format!(
                    "the change was made, but not written to the journal ({undo} cannot undo it): {why}"
                ),
            );
        }
        Action::UserDetailsRead { user, result } => {
            state.inventory.user_details.insert(
                user,
                match result {
                    Ok(details) => Fetch::Ready(details),
                    Err(err) => Fetch::Failed(err),
                },
            );
        }
        Action::Resize { height, .. } => {
            state.screen.page_rows = crate::tui::ui::users_table_rows(height).max(1);
        }
        Action::IamHealth(report) => state.iam_health = report,
        Action::Click { pane, row } => click(state, pane, row),
        Action::Wheel { pane, down } => {
            if state.screen.dialog.is_none()
                && state.screen.mode != Mode::Help
                && point_at(state, pane)
            {
                move_selection(state, if down { Motion::Down } else { Motion::Up });
            }
        }
        Action::Tick(now) => {
            state.now = now;
            if state.screen.status.as_ref().is_some_and(|s| {
                !s.is_error && now.duration_since(s.at).as_secs() >= STATUS_EXPIRES_SECS
            }) {
                state.screen.status = None;
            }
            quit_wait_expired(state);
        }
        Action::Inventory { generation, event } => {
            if generation == state.inventory.load.generation {
                let finished = event == LoadEvent::Finished;
                apply_load_event(state, event);
                if finished {
                    // Rotations saved by an earlier run (or another process) are marked.
                    return vec![Effect::ListRotations {
                        account: state.context.identity.account.clone(),
                    }];
                }
            }
        }
    }
    Vec::new()
}

/// The answer to a change, routed by its ticket alone to the one that waits
/// for it (a bulk plan's line, the undo, the wizard's step); what every
/// answer does to the rows, the messages and the secret follows.
fn changed(
    state: &mut State,
    ticket: crate::core::change::Ticket,
    change: crate::core::change::KeyChange,
    result: Result<crate::core::change::ChangeOutcome, crate::core::IamError>,
) -> Vec<Effect> {
    let owner = state.jobs.tickets.answered(ticket);
    if result.is_ok()
        && let Some(key_id) = change.key_id()
    {
        // The key changed: a mark made for the old status is no longer true.
        state
            .jobs
            .marked
            .remove(&(change.user().to_string(), key_id.to_string()));
    }
    let mut undone = None;
    let mut effects = Vec::new();
    match owner {
        Some(Owner::Bulk) => jobs::answered(state, &change, &result),
        Some(Owner::Undo) => undone = jobs::undo_answered(state, &change, &result),
        Some(Owner::Wizard) => effects = wizard::answered(state, &change, &result),
        Some(Owner::Plain | Owner::Reread | Owner::WizardResume) | None => {}
    }
    effects.extend(mutations::changed(state, ticket, change, result));
    if let Some(text) = undone {
        say(state, text);
    }
    effects
}

/// `q`, Ctrl-C or a signal. A quit while a key is being created waits for
/// IAM's answer (the secret is shown then); asked again, it quits at once.
fn quit(state: &mut State, signal: Option<i32>) {
    if state.jobs.creating_for.is_empty() || state.quit_requested.is_some() {
        state.exit_signal = signal.or(state.quit_requested.and_then(|q| q.signal));
        state.should_quit = true;
        return;
    }
    state.quit_requested = Some(QuitRequest {
        since: state.now,
        signal,
    });
    let users: Vec<&str> = state.jobs.creating_for.iter().map(String::as_str).collect();
    let text = format!(
        "waiting for IAM to answer the creation of a key for {} before quitting (its secret is shown once); quit again to quit now",
        users.join(", ")
    );
    complain(state, text);
}

/// A quit that waited too long for a creation's answer: ask (or, for a
/// hang-up, where nobody is left to ask, quit).
fn quit_wait_expired(state: &mut State) {
    let Some(request) = state.quit_requested else {
        return;
    };
    if state.now.duration_since(request.since).as_secs() < QUIT_WAIT_SECS {
        return;
    }
    if request.signal == Some(libc::SIGHUP) {
        tracing::warn!(users = ?state.jobs.creating_for, "quitting on SIGHUP before IAM answered a key creation");
        state.exit_signal = request.signal;
        state.should_quit = true;
        return;
    }
    if state.screen.dialog.is_none() {
        state.screen.dialog = Some(Dialog::QuitWhileCreating {
            users: state.jobs.creating_for.iter().cloned().collect(),
            focus: crate::tui::dialog::Button::Cancel,
        });
    }
}

/// Pasted text goes into whichever text field is open, one character at a
/// time, as if typed; line breaks end nothing (they are dropped). Anywhere
/// else it is ignored, and the status line says so: a paste is never a command.
fn paste(state: &mut State, text: &str) {
    let chars = text.chars().filter(|c| !c.is_control());
    match state.input_mode() {
        Mode::Filter => {
            for c in chars {
                state
                    .screen
                    .filter
                    .handle(tui_input::InputRequest::InsertChar(c));
            }
            state.screen.selected = 0;
            state.rebuild_view();
        }
        Mode::TextEntry => {
            if let Some(field) = state.screen.dialog.as_mut().and_then(|d| d.input_mut()) {
                for c in chars {
                    field.handle(tui_input::InputRequest::InsertChar(c));
                }
            }
        }
        _ => {
            let count = text.chars().count();
            say(
                state,
                format!(
                    "ignored pasted text ({count} characters): paste goes only into a text field"
                ),
            );
        }
    }
}

/// Focuses the table under the mouse; false if it cannot take focus now.
fn point_at(state: &mut State, pane: crate::tui::action::Pane) -> bool {
    use crate::tui::action::Pane;
    match pane {
        Pane::Users if state.screen.board == Board::Users => state.screen.focus = Focus::Users,
        Pane::Keys if state.screen.board == Board::Users && has_keys(state) => {
            state.screen.focus = Focus::Keys
        }
        Pane::AllKeys if state.screen.board == Board::Keys => {}
        _ => return false,
    }
    true
}

/// A click selects the row under it (in a text field, or under a dialog, nothing).
fn click(state: &mut State, pane: crate::tui::action::Pane, row: usize) {
    use crate::tui::action::Pane;
    if state.screen.dialog.is_some() || state.screen.mode != Mode::Normal || !point_at(state, pane)
    {
        return;
    }
    match pane {
        Pane::Users if row < state.screen.view.len() && row != state.screen.selected => {
            selection::user_chosen(state);
            state.screen.selected = row;
            state.screen.selected_key = 0;
        }
        Pane::Keys => {
            let count = state.selected_user().map_or(0, |u| u.key_entries().len());
            state.screen.selected_key = row.min(count.saturating_sub(1));
        }
        Pane::AllKeys if row < state.screen.key_rows.len() => {
            state.screen.selected_row = row;
            state.remember_selected_row();
        }
        _ => {}
    }
}

fn has_keys(state: &State) -> bool {
    state
        .selected_user()
        .is_some_and(|u| !u.key_entries().is_empty())
}

fn move_selection(state: &mut State, motion: Motion) {
    let (position, len) = match (state.screen.board, state.screen.focus) {
        (Board::Keys, _) => (state.screen.selected_row, state.screen.key_rows.len()),
        (_, Focus::Users) => (state.screen.selected, state.screen.view.len()),
        (_, Focus::Keys) => (
            state.screen.selected_key,
            state.selected_user().map_or(0, |u| u.key_entries().len()),
        ),
    };
    if len == 0 {
        return;
    }
    let last = len - 1;
    let page = state.screen.page_rows.max(1);
    let target = match motion {
        Motion::Up => position.saturating_sub(1),
        Motion::Down => (position + 1).min(last),
        Motion::PageUp => position.saturating_sub(page),
        Motion::PageDown => (position + page).min(last),
        Motion::Top => 0,
        Motion::Bottom => last,
    };
    match (state.screen.board, state.screen.focus) {
        (Board::Keys, _) => {
            state.screen.selected_row = target;
            state.remember_selected_row();
        }
        (_, Focus::Users) => {
            selection::user_chosen(state);
            if target != state.screen.selected {
                state.screen.selected = target;
                state.screen.selected_key = 0;
            }
        }
        (_, Focus::Keys) => state.screen.selected_key = target,
    }
}

/// Starts a new load generation; replies of older loads are ignored from now on.
fn start_load(state: &mut State) -> Vec<Effect> {
    // Groups, policies and MFA are read again when details next open.
    state.inventory.user_details.clear();
    let generation = state.inventory.load.generation + 1;
    let ticket = state.jobs.tickets.issue(generation);
    state.inventory.load = crate::tui::state::LoadProgress {
        generation,
        seq: ticket.seq,
        in_flight: true,
        started: Some(state.now),
        ..Default::default()
    };
    state.screen.status = Some(StatusLine {
        text: "loading users and keys from IAM…".into(),
        is_error: false,
        at: state.now,
    });
    vec![Effect::LoadInventory { generation }]
}

/// A load's event: the core's reducer digests it (the one place loads are
/// digested, headless or not); then the screen follows. An answer about a
/// user older than what the dashboard knows of it (read before a change or
/// re-read, or while IAM may still answer with the state before a change)
/// is refused by the gate.
fn apply_load_event(state: &mut State, event: LoadEvent) {
    let generation = state.inventory.load.generation;
    let seq = state.inventory.load.seq;
    let users_failed = match &event {
        LoadEvent::UsersFailed(err) => Some(format!("cannot list users: {err}")),
        _ => None,
    };
    let last_page = matches!(
        event,
        LoadEvent::UsersPage {
            last_page: true,
            ..
        }
    );
    let listing = matches!(event, LoadEvent::UsersPage { .. });
    // Taken before users go: the view's indices point into the old list.
    let keep = state.chosen_user();
    let (tickets, propagating) = (&state.jobs.tickets, &state.jobs.propagating);
    let applied = state
        .inventory
        .apply(generation, event, state.now, |gate, user| {
            tickets.is_current(user, seq) && (gate == Gate::LastUse || !propagating.contains(user))
        });
    if let Some(text) = users_failed {
        state.screen.status = Some(StatusLine {
            text,
            is_error: true,
            at: state.now,
        });
    }
    if applied.removed {
        state.users_removed(keep);
    } else if last_page {
        state.rebuild_view();
    } else if applied.changed || listing {
        state.screen.view_stale = true;
    }
    if applied.finished {
        if state.inventory.load.error.is_none() {
            let failed = state
                .inventory
                .users
                .iter()
                .filter(|u| matches!(u.keys, Fetch::Failed(_)))
                .count();
            let users = state.inventory.users.len();
            state.screen.status = Some(StatusLine {
                text: if failed == 0 {
                    format!("loaded {users} users")
                } else {
                    format!("loaded {users} users; the keys of {failed} could not be read")
                },
                is_error: failed > 0,
                at: state.now,
            });
        }
        state.rebuild_view();
    }
    state.clamp_key_selection();
}

/// A yes/no dialog's button: the undo dialog's yes is the undo's own (jobs);
/// everything else is answered by mutations.
fn press(state: &mut State, button: Button) -> Vec<Effect> {
    if button == Button::Confirm
        && matches!(state.screen.dialog, Some(Dialog::UndoPlan { .. }))
        && let Some(dialog) = state.screen.dialog.take()
    {
        return jobs::undo_confirmed(state, dialog);
    }
    mutations::press(state, button)
}
