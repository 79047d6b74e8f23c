//! The rotation wizard's screens, one per step.

use ratatui::text::{Line, Span};

use super::{format, theme};
use crate::core::model::LastUsed;
use crate::tui::action::Action;
use crate::tui::state::State;
use crate::tui::wizard::{Proof, RotationWizard, WizardStep, key_label};

const STEPS: [&str; 5] = [
    "make room",
    "create",
    "prove",
    "watch the old key",
    "retire",
];

pub fn screen(state: &State) -> (String, Vec<Line<'static>>) {
    let Some(w) = &state.jobs.rotation else {
        return (" Rotate ".into(), vec![Line::raw("")]);
    };
    let at = match w.step {
        WizardStep::TwoActive | WizardStep::MakeRoom { .. } => 0,
        WizardStep::Create => 1,
        WizardStep::Waiting if w.new_key.is_none() => 1,
        WizardStep::Proving | WizardStep::Checking => 2,
        WizardStep::Watch => 3,
        WizardStep::Waiting | WizardStep::Retire | WizardStep::Done => 4,
        WizardStep::Stuck(_) => 0,
    };
    let mut progress = Vec::new();
    for (i, name) in STEPS.iter().enumerate() {
        if i > 0 {
            progress.push(Span::styled(" · ", theme::LABEL));
        }
        let style = if i == at {
            theme::KEY_HINT
        } else if i < at {
            theme::ACTIVE
        } else {
            theme::LABEL
        };
        progress.push(Span::styled(format!("{} {name}", i + 1), style));
    }
    let mut lines = vec![Line::from(progress), Line::raw("")];
    let (body, keys) = body(state, w);
    lines.extend(body);
    lines.push(Line::raw(""));
    lines.push(Line::styled(keys, theme::LABEL));
    let title = if w.old_key.is_empty() {
        format!(" Rotate a key of {} ", w.user)
    } else {
        format!(" Rotate {} of {} ", w.old_key, w.user)
    };
    (title, lines)
}

fn body(state: &State, w: &RotationWizard) -> (Vec<Line<'static>>, String) {
    let new = w.new_key.clone().unwrap_or_default();
    let old = w.old_key.clone();
    let key = |action: Action| key_label(&state.context.keymap, &action);
    match &w.step {
        WizardStep::TwoActive => (
            vec![Line::styled(
                format!(
                    "{} has two active keys, and IAM allows two: a new one cannot be made. Deactivate the key no longer used ({}), check that nothing breaks, delete it ({}), then press {} again.",
                    w.user,
                    key(Action::ToggleKey),
                    key(Action::DeleteKey),
                    key(Action::Rotate)
                ),
                theme::WARNING,
            )],
            "Enter/Esc close".into(),
        ),
        WizardStep::MakeRoom { inactive } => (
            vec![
                Line::raw(format!(
                    "{} has two keys, IAM's limit. To make room for the new key, Enter deletes its inactive key {inactive}.",
                    w.user
                )),
                Line::styled("Deleting a key cannot be undone.", theme::WARNING),
            ],
            format!("Enter deletes {inactive} · Esc leaves"),
        ),
        WizardStep::Create => {
            let described = w
                .description
                .as_ref()
                .map(|d| format!(", with the old key's description “{d}”"))
                .unwrap_or_default();
            (
                vec![Line::raw(format!(
                    "Enter creates a new key for {}{described}. Its secret will be shown once: copy it or save it (the old key is retired only once somebody holds the new secret). Then the wizard proves that the new key works before the old one can be retired.",
                    w.user
                ))],
                "Enter creates the key · Esc leaves".into(),
            )
        }
        WizardStep::Waiting => (
            vec![Line::styled("waiting for IAM…", theme::PENDING)],
            format!("Esc leaves ({} resumes)", key(Action::Rotate)),
        ),
        WizardStep::Checking => (
            vec![
                Line::raw(format!(
                    "Resuming the rotation begun {}: {new} will be proven again before {old} can be retired.",
                    w.started
                )),
                Line::styled(
                    format!("reading the keys of {} from IAM…", w.user),
                    theme::PENDING,
                ),
            ],
            "Esc leaves".into(),
        ),
        WizardStep::Proving => proving(w, &new, &old, &key(Action::Rotate)),
        WizardStep::Watch | WizardStep::Retire => watching(state, w, &new, &old),
        WizardStep::Done => (
            vec![Line::styled(
                format!("Done: {new} is {}'s key; {old} is deleted.", w.user),
                theme::ACTIVE,
            )],
            "Enter/Esc close".into(),
        ),
        WizardStep::Stuck(why) => (
            vec![Line::styled(why.clone(), theme::WARNING)],
            "Enter/Esc close".into(),
        ),
    }
}

/// "prove": the tries so far, or why the proof failed.
fn proving(w: &RotationWizard, new: &str, old: &str, rotate: &str) -> (Vec<Line<'static>>, String) {
    let mut lines = vec![Line::raw(format!(
        "Signing STS GetCallerIdentity with {new} until it answers as {} (IAM takes seconds to propagate a new key; up to a minute).",
        w.user_arn
    ))];
    let keys = match &w.proof {
        Proof::NotYet => {
            lines.push(Line::styled("trying…", theme::PENDING));
            format!("Esc leaves ({rotate} resumes)")
        }
        Proof::Trying { attempts, last } => {
            lines.push(Line::styled(
                format!(
                    "not yet ({attempts} tries): {}",
                    last.clone().unwrap_or_default()
                ),
                theme::PENDING,
            ));
            format!("Esc leaves ({rotate} resumes)")
        }
        Proof::Failed(why) => {
            lines.push(Line::styled(format!("not proven: {why}"), theme::ERROR));
            lines.push(Line::raw(format!(
                "The new key {new} exists; {old} is untouched."
            )));
            format!("Enter tries again · Esc leaves ({rotate} resumes)")
        }
        Proof::Verified { .. } => String::new(),
    };
    (lines, keys)
}

/// "watch" and "retire": the proof, the old key's live last use, and what
/// Enter will do.
fn watching(
    state: &State,
    w: &RotationWizard,
    new: &str,
    old: &str,
) -> (Vec<Line<'static>>, String) {
    let rotate = key_label(&state.context.keymap, &Action::Rotate);
    let mut lines = Vec::new();
    if let Proof::Verified { arn } = &w.proof {
        lines.push(Line::styled(
            format!("✓ verified: {new} signs as {arn}"),
            theme::ACTIVE,
        ));
    }
    lines.push(old_use_line(state, w));
    if w.step == WizardStep::Watch && !w.secret_held() {
        lines.push(Line::styled(
            format!(
                "The secret of {new} was neither saved nor copied: nobody holds it. Retiring {old} would leave {} with a key whose secret nobody has, so it is not offered.",
                w.user
            ),
            theme::WARNING,
        ));
        lines.push(Line::raw(format!(
            "Enter deletes {new} (its secret was never handed out, so nothing uses it); {old} stays as it is."
        )));
        return (
            lines,
            format!("Enter deletes {new} · Esc leaves ({rotate} resumes)"),
        );
    }
    if w.step == WizardStep::Watch {
        lines.push(Line::raw(format!(
            "Put the new key wherever the old one is used. When the old key's last use stops moving, Enter deactivates {old} ({} undoes); if it was used in the last {} days, you are asked first, as {} asks.",
            key_label(&state.context.keymap, &Action::Undo),
            state.context.policy.recent_use_days,
            key_label(&state.context.keymap, &Action::ToggleKey),
        )));
        (
            lines,
            format!("Enter deactivates {old} · Esc leaves ({rotate} resumes)"),
        )
    } else {
        lines.push(Line::raw(format!(
            "{old} is inactive: anything still using it fails now. Enter asks whether {old} will be deleted for good (as {} asks, Cancel focused); Esc leaves it inactive.",
            key_label(&state.context.keymap, &Action::DeleteKey)
        )));
        (
            lines,
            format!("Enter deletes {old} (a dialog asks first) · Esc leaves it inactive"),
        )
    }
}

/// The old key's last use, as read live, and when it was read.
fn old_use_line(state: &State, w: &RotationWizard) -> Line<'static> {
    let read = w
        .old_use_read_at
        .map(|at| format!(" (read {}, again every 5 s)", format::clock(at)))
        .unwrap_or_default();
    let text = match &w.old_use {
        None => "reading…".to_string(),
        Some(Err(why)) => format!("cannot read it: {why}"),
        Some(Ok(LastUsed::Never)) => "never".to_string(),
        Some(Ok(LastUsed::Used {
            at,
            service,
            region,
        })) => format!(
            "{} ({} ago){}{}",
            at.strftime("%Y-%m-%d %H:%M:%S UTC"),
            format::duration(state.now.duration_since(*at)),
            service
                .as_deref()
                .map(|s| format!(" by {s}"))
                .unwrap_or_default(),
            region
                .as_deref()
                .map(|r| format!(" in {r}"))
                .unwrap_or_default()
        ),
    };
    Line::from(vec![
        Span::styled(format!("{} last used: ", w.old_key), theme::LABEL),
        Span::raw(text),
        Span::styled(read, theme::LABEL),
    ])
}
