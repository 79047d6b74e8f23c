//! The dashboard's jobs on many keys: marks (`m`, `M`), the bulk plan (`D`,
//! `X`) with its per-key results, and undo from the journal (`u`). Every
//! change still passes `check` and is marked pending like a single one.

use tui_input::Input;

use super::mutations::{blocked_by_read_only, enter};
use super::{complain, key, say};
use crate::core::IamError;
use crate::core::change::NotEligible;
use crate::core::change::{ChangeOutcome, KeyChange};
use crate::core::model::{KeyStatus, LastUsed};
use crate::core::policy::days_since;
use crate::core::sanitize;
use crate::io::bulk::{BulkItem, BulkKind, Planned};
use crate::io::journal::UndoPlan;
use crate::io::runner::Operation;
use crate::tui::action::{Action, Effect};
use crate::tui::dialog::{BulkPlan, Button, Dialog, PlanLine};
use crate::tui::state::{Board, State};
use crate::tui::tickets::Owner;

/// `m`: marks or unmarks the selected key.
pub fn mark(state: &mut State) {
    let Some(entry) = state.selected_key_entry().filter(|_| state.key_focused()) else {
        let text = format!(
            "select a key first: {} marks the selected key ({} or {} moves to the keys)",
            key(state, &Action::Mark),
            key(state, &Action::SwitchFocus),
            key(state, &Action::OpenKeys)
        );
        complain(state, text);
        return;
    };
    let key = (entry.key.user.clone(), entry.key.id.clone());
    if !state.jobs.marked.remove(&key) {
        state.jobs.marked.insert(key);
    }
    said_marks(state);
}

/// `M`: marks every key shown (the keys view's rows, or the keys of the users
/// shown that the filter matches); if all of them are marked, unmarks them.
pub fn mark_all(state: &mut State) {
    let filter =
        crate::core::filter::Filter::parse(state.screen.filter.value()).unwrap_or_default();
    let shown: Vec<(String, String)> = match state.screen.board {
        Board::Keys => state
            .screen
            .key_rows
            .iter()
            .filter_map(|&(u, k)| {
                let entry = state.inventory.users.get(u)?.key_entries().get(k)?;
                Some((entry.key.user.clone(), entry.key.id.clone()))
            })
            .collect(),
        Board::Users => state
            .screen
            .view
            .iter()
            .filter_map(|&u| state.inventory.users.get(u))
            .flat_map(|user| {
                user.key_entries()
                    .iter()
                    .filter(|e| filter.is_empty() || state.key_matches(&filter, user, e))
                    .map(|e| (e.key.user.clone(), e.key.id.clone()))
                    .collect::<Vec<_>>()
            })
            .collect(),
    };
    if shown.is_empty() {
        complain(state, "no key is shown to mark");
        return;
    }
    if shown.iter().all(|k| state.jobs.marked.contains(k)) {
        for key in &shown {
            state.jobs.marked.remove(key);
        }
    } else {
        state.jobs.marked.extend(shown);
    }
    said_marks(state);
}

fn said_marks(state: &mut State) {
    let count = state.jobs.marked.len();
    if count == 0 {
        say(state, "no key marked");
        return;
    }
    let text = format!("{count} keys marked: {}", marks_offer(state));
    say(state, text);
}

/// What the bulk keys do with the marked keys as they are: `D` is offered
/// only if one of them is active, `X` only if one is inactive (it deletes
/// inactive keys only); the keys are named as bound.
fn marks_offer(state: &State) -> String {
    let status = |user: &str, id: &str| state.key(user, id).map(|k| k.key.status);
    let active = state
        .jobs
        .marked
        .iter()
        .filter(|(user, id)| status(user, id) == Some(KeyStatus::Active))
        .count();
    let inactive = state
        .jobs
        .marked
        .iter()
        .filter(|(user, id)| status(user, id) == Some(KeyStatus::Inactive))
        .count();
    let deactivate = key(state, &Action::BulkStart(BulkKind::Deactivate));
    let delete = key(state, &Action::BulkStart(BulkKind::Delete));
    let them = |n: usize| if n == 1 { "it" } else { "them" };
    match (active, inactive) {
        (0, 0) => "none of them is listed now".to_string(),
        (0, n) => format!("all inactive; {delete} deletes {}", them(n)),
        (n, 0) => format!(
            "{deactivate} deactivates {}; {delete} deletes inactive keys only",
            them(n)
        ),
        (a, i) => {
            format!("{deactivate} deactivates the {a} active, {delete} deletes the {i} inactive")
        }
    }
}

/// `D`/`X`: the plan for the marked keys, in a dialog that asks for the count.
pub fn start(state: &mut State, kind: BulkKind) -> Vec<Effect> {
    if blocked_by_read_only(state, kind.what()) {
        return Vec::new();
    }
    if state.jobs.marked.is_empty() {
        let text = format!(
            "mark keys first: {} marks the selected key, {} every key shown",
            key(state, &Action::Mark),
            key(state, &Action::MarkAll)
        );
        complain(state, text);
        return Vec::new();
    }
    let mut lines = Vec::new();
    let mut left_out = Vec::new();
    // Named with the key in force ([keys] may rebind it).
    let deactivate_first = format!(
        "active: deactivate it first ({})",
        key(state, &Action::BulkStart(BulkKind::Deactivate))
    );
    for (user, key_id) in &state.jobs.marked {
        let (Some(owner), Some(entry)) = (state.user(user), state.key(user, key_id)) else {
            left_out.push((user.clone(), key_id.clone(), "no longer listed".to_string()));
            continue;
        };
        let why = match crate::core::change::bulk_eligibility(
            kind == BulkKind::Deactivate,
            entry.key.status,
        ) {
            Ok(()) => None,
            Err(NotEligible::InactiveAlready) => Some("inactive already"),
            Err(NotEligible::ActiveKey) => Some(deactivate_first.as_str()),
            Err(NotEligible::UnknownStatus) => Some("its status is unknown"),
        }
        .or_else(|| {
            state
                .context
                .session
                .link(user, key_id)
                .map(|_| "this session depends on it: change it alone, typing its id")
        })
        .or_else(|| {
            state
                .jobs
                .pending_keys
                .contains_key(key_id)
                .then_some("a request on it is in flight")
        });
        if let Some(why) = why {
            left_out.push((user.clone(), key_id.clone(), why.to_string()));
            continue;
        }
        let used = entry.settled_use().or(entry.last_used.ready());
        let last_use = match used {
            Some(used) => use_line(used, state.now, ""),
            None => "last use unknown".to_string(),
        };
        // Not known: treated as in use, the safe side.
        let recent = state
            .context
            .policy
            .possibly_in_use(entry.key.created, used, state.now);
        let (findings, _) = state.findings(owner, entry);
        // The plan decides on the last use: one too old to decide on is read live.
        let confirming = !state
            .context
            .policy
            .use_is_fresh(entry.use_source, state.now);
        lines.push(PlanLine {
            user: user.clone(),
            key_id: key_id.clone(),
            had_description: entry.key.description.is_some(),
            last_use: if confirming {
                format!("{last_use}, as of then: reading it live")
            } else {
                last_use
            },
            findings: findings.iter().map(|f| f.name()).collect(),
            recent,
            confirming,
            result: None,
        });
    }
    if lines.is_empty() {
        let reasons: Vec<String> = left_out
            .iter()
            .take(3)
            .map(|(_, key, why)| format!("{key}: {why}"))
            .collect();
        complain(
            state,
            format!(
                "none of the {} marked keys can be {}: {}",
                state.jobs.marked.len(),
                kind.done(),
                reasons.join("; ")
            ),
        );
        return Vec::new();
    }
    // The keys to look at twice first.
    lines.sort_by_key(|l| !l.recent);
    let reads = lines
        .iter()
        .filter(|l| l.confirming)
        .map(|l| Effect::ReadLastUse {
            key_id: l.key_id.clone(),
        })
        .collect();
    state.screen.dialog = Some(Dialog::BulkPlan(BulkPlan {
        kind,
        lines,
        left_out,
        typed: Input::default(),
        error: None,
        running: false,
        finished: false,
        scroll: 0,
    }));
    reads
}

/// Whether the open plan waits for `key_id`'s live last use.
pub fn plan_confirms(state: &State, key_id: &str) -> bool {
    matches!(&state.screen.dialog, Some(Dialog::BulkPlan(plan))
        if plan.lines.iter().any(|l| l.confirming && l.key_id == key_id))
}

/// A plan key's last use, read live: its line (and the call-out) follow it;
/// one that cannot be read counts as not known, which is called out.
pub fn plan_use_read(state: &mut State, key_id: &str, result: Result<LastUsed, String>) {
    let policy = state.context.policy.clone();
    let now = state.now;
    // The key's age decides whether a never-used key may still be in use.
    let created = match &state.screen.dialog {
        Some(Dialog::BulkPlan(plan)) => plan
            .lines
            .iter()
            .find(|l| l.key_id == key_id)
            .and_then(|l| state.key(&l.user, key_id))
            .map(|k| k.key.created),
        _ => None,
    };
    let Some(Dialog::BulkPlan(plan)) = &mut state.screen.dialog else {
        return;
    };
    let Some(line) = plan.lines.iter_mut().find(|l| l.key_id == key_id) else {
        return;
    };
    line.confirming = false;
    (line.last_use, line.recent) = match &result {
        Ok(used) => (
            use_line(used, now, " (read live)"),
            created.is_none_or(|created| policy.possibly_in_use(created, Some(used), now)),
        ),
        Err(why) => (format!("last use unknown ({why})"), true),
    };
    plan.lines.sort_by_key(|l| !l.recent);
}

/// A plan line's last use: "3 days ago (s3)", "never used", with `note` after.
fn use_line(used: &LastUsed, now: jiff::Timestamp, note: &str) -> String {
    match used {
        LastUsed::Used { at, service, .. } => format!(
            "{}{}{note}",
            crate::core::wording::days_ago(days_since(*at, now)),
            service
                .as_deref()
                .map(|s| format!(" ({s})"))
                .unwrap_or_default()
        ),
        LastUsed::Never => format!("never used{note}"),
    }
}

/// Enter in the plan dialog: with the count typed, every key goes through
/// `check` and is sent as one plan.
pub fn submit(state: &mut State, mut plan: BulkPlan) -> Vec<Effect> {
    let count = plan.lines.len();
    let waiting = plan.lines.iter().filter(|l| l.confirming).count();
    if waiting > 0 {
        plan.error = Some(format!(
            "{waiting} last uses are being read live: the plan decides on them, wait for them"
        ));
        state.screen.dialog = Some(Dialog::BulkPlan(plan));
        return Vec::new();
    }
    if plan.typed.value().trim() != count.to_string() {
        plan.error = Some(format!("type {count}, the number of keys, to go on"));
        state.screen.dialog = Some(Dialog::BulkPlan(plan));
        return Vec::new();
    }
    let operation = Operation::new("dashboard");
    let mut items = Vec::new();
    for line in &mut plan.lines {
        let change = BulkItem {
            user: line.user.clone(),
            key_id: line.key_id.clone(),
            had_description: line.had_description,
        }
        .change(plan.kind);
        match enter(state, &change, Owner::Bulk) {
            Err(why) => line.result = Some(Err(why)),
            Ok(ticket) => {
                items.push((
                    ticket,
                    Planned {
                        change,
                        operation: operation.clone(),
                    },
                ));
            }
        }
    }
    plan.running = true;
    plan.finished = items.is_empty();
    say(
        state,
        format!("{}: {} keys…", plan.kind.verb(), items.len()),
    );
    state.screen.dialog = Some(Dialog::BulkPlan(plan));
    if items.is_empty() {
        return Vec::new();
    }
    vec![Effect::RunPlan { items }]
}

/// A change's answer: shown on its line of the plan, and its mark dropped
/// once it is done.
pub fn answered(state: &mut State, change: &KeyChange, result: &Result<ChangeOutcome, IamError>) {
    let Some(key_id) = change.key_id() else {
        return;
    };
    if let Some(Dialog::BulkPlan(plan)) = &mut state.screen.dialog
        && let Some(line) = plan.lines.iter_mut().find(|l| l.key_id == key_id)
    {
        line.result = Some(result.as_ref().map(|_| ()).map_err(|e| e.to_string()));
    }
}

/// Every change of the plan has answered.
pub fn finished(state: &mut State) {
    if let Some(Dialog::BulkPlan(plan)) = &mut state.screen.dialog {
        plan.finished = true;
        let failed = plan
            .lines
            .iter()
            .filter(|l| matches!(l.result, Some(Err(_))))
            .count();
        let ok = plan
            .lines
            .iter()
            .filter(|l| matches!(l.result, Some(Ok(()))))
            .count();
        let text = format!("{ok} keys {}, {failed} failed", plan.kind.done());
        if failed > 0 {
            complain(state, text);
        } else {
            say(state, text);
        }
    }
}

/// `u`: reads the journal (an effect); the plan comes back as `UndoPlanned`.
pub fn undo(state: &mut State) -> Vec<Effect> {
    if blocked_by_read_only(state, "changing a key's status") {
        return Vec::new();
    }
    say(state, "reading the journal…");
    vec![Effect::PlanUndo]
}

/// The journal's undo plan: asked about in a dialog (the count typed for
/// more than one key, as the bulk run that made them asked), or why there
/// is nothing.
pub fn undo_planned(state: &mut State, plan: Result<UndoPlan, String>) {
    match plan {
        Err(why) => complain(
            state,
            format!("cannot read the journal: {}", sanitize::server_text(&why)),
        ),
        Ok(plan) if plan.is_empty() => {
            let why = plan
                .cannot
                .first()
                .map(|(e, why)| (e, why.to_string()))
                .or_else(|| plan.held.first().map(|(e, why)| (e, why.clone())))
                .map(|(e, why)| {
                    format!(
                        ": the last entry, {} {} of {}: {why}",
                        format!("{:?}", e.action).to_lowercase(),
                        sanitize::server_text(e.key_id.as_deref().unwrap_or("-")),
                        sanitize::server_text(&e.user)
                    )
                })
                .unwrap_or_else(|| " in the journal".to_string());
            complain(state, format!("nothing to undo{why}"));
        }
        Ok(plan) => {
            let typed = (plan.count() > 1).then(Input::default);
            state.screen.dialog = Some(Dialog::UndoPlan {
                plan,
                focus: Button::Cancel,
                typed,
                error: None,
            });
        }
    }
}

/// Confirmed (`y`, or the count typed and Enter): every change back goes
/// through `check` and runs as one plan, each change naming the entry it
/// undoes. A wrong count keeps the dialog open and says so.
pub fn undo_confirmed(state: &mut State, dialog: Dialog) -> Vec<Effect> {
    let Dialog::UndoPlan {
        plan, focus, typed, ..
    } = dialog
    else {
        return Vec::new();
    };
    let count = plan.count();
    if let Some(typed) = typed
        && typed.value().trim() != count.to_string()
    {
        state.screen.dialog = Some(Dialog::UndoPlan {
            plan,
            focus,
            typed: Some(typed),
            error: Some(format!("type {count}, the number of keys, to go on")),
        });
        return Vec::new();
    }
    let id = crate::io::journal::new_operation_id();
    let mut items = Vec::new();
    for (change, entry) in plan.changes() {
        let ticket = match enter(state, &change, Owner::Undo) {
            Ok(ticket) => ticket,
            Err(why) => {
                complain(state, why);
                continue;
            }
        };
        items.push((
            ticket,
            Planned {
                change,
                operation: Operation::undoing(&id, &entry),
            },
        ));
    }
    if items.is_empty() {
        return Vec::new();
    }
    say(state, format!("undoing: {} keys…", items.len()));
    vec![Effect::RunPlan { items }]
}

/// An undo's change answered: what the status line says instead of the
/// single change's "(u undoes)" (`None` if it was no undo's, or failed: the
/// failure is said as any change's is).
pub fn undo_answered(
    state: &mut State,
    change: &KeyChange,
    result: &Result<ChangeOutcome, IamError>,
) -> Option<String> {
    if result.is_err() {
        return None;
    }
    let left = state.jobs.tickets.waiting(Owner::Undo);
    let undo = key(state, &Action::Undo);
    let done = match result {
        Ok(ChangeOutcome::AlreadyInStatus) => "found already as the undo leaves it",
        _ => "changed back",
    };
    Some(format!(
        "{done}: {}{}; {undo} goes one operation further back",
        change.subject(),
        if left > 0 {
            format!(" ({left} more waiting)")
        } else {
            String::new()
        }
    ))
}
