//! Dialogs: create, the two-key limit, delete, deactivate-first, the typed
//! confirmation for this session's key, and the one-time secret.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use tui_input::Input;

use super::{format, theme};
use crate::core::model::{KeyStatus, LastUsed, SessionLink, UseSource, never_means_never};
use crate::tui::action::Action;
use crate::tui::dialog::{Button, Dialog, KeyOp, KeyTarget, SecretDialog, SecretStage};
use crate::tui::screen_mode::Mode;
use crate::tui::state::State;

const WIDTH: u16 = 76;

pub fn draw(frame: &mut Frame, area: Rect, state: &State, dialog: &Dialog) {
    let width = WIDTH.min(area.width.saturating_sub(2)).max(10);
    let inner = width.saturating_sub(2) as usize;
    let mut field: Option<(&Input, usize)> = None;
    let (title, mut lines) = match dialog {
        Dialog::Create {
            user,
            existing,
            description,
            error,
        } => {
            let mut lines = vec![Line::raw(existing_keys(user, existing)), Line::raw("")];
            lines.push(Line::raw(
                "Description (optional; stored as a user tag, as the IAM console does):",
            ));
            field = Some((description, lines.len()));
            lines.push(Line::raw(""));
            push_error(&mut lines, error);
            lines.push(Line::raw(""));
            lines.push(hint_line(&[("Enter", "create the key"), ("Esc", "cancel")]));
            (format!(" Create an access key for {user} "), lines)
        }
        Dialog::BulkPlan(plan) => {
            let (title, lines, plan_field) =
                super::plan_dialog::bulk(plan, area.height, inner as u16);
            field = plan_field;
            (title, lines)
        }
        Dialog::Rotation { .. } => super::wizard::screen(state),
        Dialog::UndoPlan {
            plan,
            focus,
            typed,
            error,
        } => {
            let (title, lines, undo_field) = super::plan_dialog::undo(
                plan,
                typed.as_ref(),
                error.as_deref(),
                buttons(*focus, "Undo"),
            );
            field = undo_field;
            (title, lines)
        }
        Dialog::Details { user, key_id } => (
            format!(" {key_id} of {user} "),
            details(state, user, key_id),
        ),
        Dialog::KeyLimit { user, existing } => (
            " IAM allows two access keys per user ".to_string(),
            vec![
                Line::raw(existing_keys(user, existing)),
                Line::raw(""),
                Line::raw(
                    "To make room, pick the key that is no longer needed: deactivate it (space), \
                     check that nothing breaks, then delete it (d). Then create the new one.",
                ),
                Line::raw(""),
                hint_line(&[("Enter/Esc", "close")]),
            ],
        ),
        Dialog::DeactivateFirst { target, focus } => {
            let mut lines = key_details(target, state);
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                "This key is Active. As in the IAM console, an active key must be deactivated \
                 before it can be deleted. Deactivate it now?",
                theme::WARNING,
            ));
            if session_link(state, target).is_some() {
                lines.push(Line::styled(
                    "This session depends on it: you will be asked to type its id.",
                    theme::SIGNING,
                ));
            }
            lines.push(Line::raw(""));
            lines.push(buttons(*focus, "Deactivate"));
            (
                format!(" Delete {} of {} ", target.key_id, target.user),
                lines,
            )
        }
        Dialog::Delete { target, focus } => {
            let mut lines = key_details(target, state);
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                "Deleting a key cannot be undone: anything still using it stops working.",
                theme::WARNING,
            ));
            lines.push(Line::raw(""));
            lines.push(buttons(*focus, "Delete"));
            (
                format!(" Delete {} of {}? ", target.key_id, target.user),
                lines,
            )
        }
        Dialog::DeactivateInUse { target, focus } => {
            let mut lines = key_details(target, state);
            lines.push(Line::raw(""));
            let why = match &target.last_used {
                Some(LastUsed::Used { .. }) => format!(
                    "This key was used in the last {} days.",
                    state.context.policy.recent_use_days
                ),
                Some(LastUsed::Never) => format!(
                    "This key is younger than {} days and has no recorded use; IAM records use late, so it may be deployed already.",
                    state.context.policy.new_key_grace_days
                ),
                None => "When this key was last used is not known.".to_string(),
            };
            lines.push(Line::styled(
                format!(
                    "{why} Whatever signs with it (scripts, CI, applications) gets InvalidClientTokenId until it is activated again ({} undoes).",
                    state.context.keymap.key_of(&crate::tui::action::Action::Undo)
                ),
                theme::WARNING,
            ));
            lines.push(Line::raw(""));
            lines.push(buttons(*focus, "Deactivate"));
            (
                format!(" Deactivate {} of {}? ", target.key_id, target.user),
                lines,
            )
        }
        Dialog::LostSecret {
            user,
            key_id,
            focus,
        } => (
            " A key was made whose secret was lost ".to_string(),
            vec![
                Line::styled(
                    format!(
                        "The connection broke after IAM created {key_id} for {user}, so its secret never arrived and cannot be shown again. Nothing can be using it. Delete it now (it is deleted although Active)?"
                    ),
                    theme::WARNING,
                ),
                Line::raw(""),
                buttons(*focus, "Delete it"),
            ],
        ),
        Dialog::QuitWhileCreating { users, focus } => (
            " IAM has not answered a key creation ".to_string(),
            vec![
                Line::styled(
                    format!(
                        "A key for {} may have been made; its secret is shown only in IAM's answer, which has not come. Quit anyway? (A later start lists the key; it can then be deleted.)",
                        users.join(", ")
                    ),
                    theme::WARNING,
                ),
                Line::raw(""),
                buttons(*focus, "Quit"),
            ],
        ),
        Dialog::MfaCode {
            prompt,
            typed,
            error,
            ..
        } => {
            let mut lines = vec![
                Line::styled(
                    "The role session of this profile ends soon. A new MFA code renews it; \
                     the work in progress waits for it.",
                    theme::WARNING,
                ),
                Line::raw(""),
                Line::raw(prompt.clone()),
            ];
            field = Some((typed, lines.len()));
            lines.push(Line::raw(""));
            push_error(&mut lines, error);
            lines.push(hint_line(&[("Enter", "renew"), ("Esc", "do without")]));
            (" MFA code ".to_string(), lines)
        }
        Dialog::TypedConfirm {
            op,
            target,
            typed,
            error,
        } => {
            let verb = match op {
                KeyOp::Deactivate => "deactivate",
                KeyOp::Delete => "delete",
            };
            let mut lines = key_details(target, state);
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                format!(
                    "This is the key iamkeys itself is signed with. Once you {verb} it, iamkeys \
                     loses its access to IAM: every further request fails until you restart it \
                     with other credentials."
                ),
                theme::SIGNING,
            ));
            lines.push(Line::raw(format!("Type the key id to {verb} it:")));
            field = Some((typed, lines.len()));
            lines.push(Line::raw(""));
            push_error(&mut lines, error);
            lines.push(hint_line(&[("Enter", verb), ("Esc", "cancel")]));
            (
                format!(" {} the key of this session ", capitalised(verb)),
                lines,
            )
        }
        Dialog::Secret(secret) => {
            let (lines, secret_field) = secret_lines(secret);
            if let Some((input, row)) = secret_field {
                field = Some((input, row));
            }
            (
                format!(" New access key for {} — shown once ", secret.user),
                lines,
            )
        }
    };
    // Wrapped height: each line takes ceil(len / inner) rows.
    let rows: u16 = lines
        .iter()
        .map(|l| (l.width().max(1).div_ceil(inner.max(1))) as u16)
        .sum();
    let height = (rows + 2).min(area.height);
    let popup = Rect {
        x: area.x + (area.width.saturating_sub(width)) / 2,
        y: area.y + (area.height.saturating_sub(height)) / 2,
        width,
        height,
    };
    // The text field line: render the visible part of the input.
    if let Some((input, row)) = field {
        let visible = inner.saturating_sub(2);
        let scroll = input.visual_scroll(visible);
        let shown: String = input.value().chars().skip(scroll).take(visible).collect();
        lines[row] = Line::from(vec![
            Span::styled("› ", theme::KEY_HINT),
            Span::styled(shown, theme::TITLE),
        ]);
        let row_offset: u16 = lines[..row]
            .iter()
            .map(|l| (l.width().max(1).div_ceil(inner.max(1))) as u16)
            .sum();
        let x = popup.x + 1 + 2 + (input.visual_cursor().saturating_sub(scroll)) as u16;
        let y = popup.y + 1 + row_offset;
        if y < popup.bottom().saturating_sub(1) {
            frame.set_cursor_position((x.min(popup.right().saturating_sub(2)), y));
        }
    }
    let widget = Paragraph::new(lines).wrap(Wrap { trim: false }).block(
        Block::bordered()
            .title(title)
            .border_style(theme::FOCUSED_BORDER),
    );
    frame.render_widget(Clear, popup);
    frame.render_widget(widget, popup);
}

fn secret_lines(secret: &SecretDialog) -> (Vec<Line<'static>>, Option<(&Input, usize)>) {
    let mut lines = vec![
        Line::from(vec![
            Span::styled("Access key ID:     ", theme::LABEL),
            Span::styled(secret.key_id.clone(), theme::TITLE),
        ]),
        Line::from(vec![
            Span::styled("Secret access key: ", theme::LABEL),
            Span::styled(secret.secret.expose().to_string(), theme::TITLE),
        ]),
        Line::raw(""),
        Line::styled(
            "This is the only time the secret access key can be viewed or saved. Copy it or save it now.",
            theme::WARNING,
        ),
        Line::raw(""),
    ];
    let mut field = None;
    match &secret.stage {
        SecretStage::Showing => {
            lines.push(hint_line(&[
                ("c", "copy secret"),
                ("s", "save as CSV"),
                ("Esc", "close"),
            ]));
        }
        SecretStage::SavePath(path) => {
            lines.push(Line::raw("Save as CSV (created readable only by you) to:"));
            field = Some((path, lines.len()));
            lines.push(Line::raw(""));
            // The field's keys as the footer gives them (the text-entry table).
            lines.push(hint_line(&table_hints(
                Mode::TextEntry,
                &[Action::DialogSubmit, Action::DialogCancel],
            )));
        }
        SecretStage::Overwrite { path, focus } => {
            lines.push(Line::styled(
                format!("{path} exists. Overwrite it?"),
                theme::WARNING,
            ));
            lines.push(buttons(*focus, "Overwrite"));
        }
        SecretStage::ConfirmClose { focus } => {
            let unsaved = if secret.saved_to.is_none() {
                " It was not saved."
            } else {
                ""
            };
            lines.push(Line::styled(
                format!("Close? The secret cannot be shown again.{unsaved}"),
                theme::WARNING,
            ));
            lines.push(buttons(*focus, "Close"));
        }
    }
    if let Some(note) = &secret.note {
        lines.push(Line::styled(note.clone(), theme::LABEL));
    }
    (lines, field)
}

fn existing_keys(user: &str, existing: &[(String, KeyStatus)]) -> String {
    if existing.is_empty() {
        return format!("{user} has no access keys.");
    }
    let list: Vec<String> = existing
        .iter()
        .map(|(id, status)| format!("{id} ({})", status.as_str()))
        .collect();
    let count = if existing.len() == 1 {
        "1 key"
    } else {
        "2 keys"
    };
    format!("{user} has {count}: {}.", list.join(", "))
}

fn key_details(target: &KeyTarget, state: &State) -> Vec<Line<'static>> {
    let now = state.now;
    let last_used = match &target.last_used {
        None => "not read yet".to_string(),
        Some(LastUsed::Never) if !never_means_never(target.created) => {
            "no use recorded (made before IAM recorded use, 2015-04-22)".to_string()
        }
        Some(LastUsed::Never) => "never".to_string(),
        Some(LastUsed::Used {
            at,
            service,
            region,
        }) => format!(
            "{} ({}) by {} in {}",
            format::date(*at),
            format::ago(*at, now),
            service.as_deref().unwrap_or("-"),
            region.as_deref().unwrap_or("-")
        ),
    };
    let mut lines = vec![
        field("Access key", target.key_id.clone(), theme::TITLE),
        field("Status", target.status.as_str().to_string(), Style::new()),
        field(
            "Created",
            format!(
                "{} ({} old)",
                format::date(target.created),
                format::age(target.created, now)
            ),
            Style::new(),
        ),
        field("Last used", last_used, Style::new()),
    ];
    if let Some(description) = &target.description {
        lines.push(field("Description", description.clone(), Style::new()));
    }
    if let Some(link) = session_link(state, target) {
        lines.push(field("", link.explain().to_string(), theme::SIGNING));
    }
    lines
}

fn session_link(state: &State, target: &KeyTarget) -> Option<SessionLink> {
    state.context.session.link(&target.user, &target.key_id)
}

/// A labelled line of a dialog.
fn field(label: &str, value: String, style: Style) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{label:<13}"), theme::LABEL),
        Span::styled(value, style),
    ])
}

/// The details of one key: owner, exact times, where its last use was read and
/// as of when, and every finding with the rule and threshold that made it.
fn details(state: &State, user: &str, key_id: &str) -> Vec<Line<'static>> {
    let (Some(owner), Some(entry)) = (state.user(user), state.key(user, key_id)) else {
        return vec![
            Line::raw("This key is no longer listed (deleted, or its user was)."),
            Line::raw(""),
            hint_line(&[("Enter/Esc", "close")]),
        ];
    };
    let key = &entry.key;
    let second = |at: jiff::Timestamp| at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    let exact = |at: jiff::Timestamp| format!("{} ({})", second(at), format::ago(at, state.now));
    let mut lines = vec![
        field("Owner", owner.user.arn.clone(), Style::new()),
        field("Path", owner.user.path.clone(), Style::new()),
        field("Status", key.status.as_str().to_string(), Style::new()),
        field("Created", exact(key.created), Style::new()),
    ];
    let (used, service, region) = match &entry.last_used {
        crate::tui::state::Fetch::Loading => ("not read yet".to_string(), None, None),
        crate::tui::state::Fetch::Failed(err) => {
            (format!("{}: {}", err.code, err.message), None, None)
        }
        crate::tui::state::Fetch::Ready(LastUsed::Never) if !never_means_never(key.created) => (
            "no use recorded (made before IAM recorded use, 2015-04-22)".to_string(),
            None,
            None,
        ),
        crate::tui::state::Fetch::Ready(LastUsed::Never) => ("never".to_string(), None, None),
        crate::tui::state::Fetch::Ready(LastUsed::Used {
            at,
            service,
            region,
        }) => (exact(*at), service.clone(), region.clone()),
    };
    lines.push(field("Last used", used, Style::new()));
    lines.push(field(
        "Service",
        service.unwrap_or_else(|| "-".into()),
        Style::new(),
    ));
    lines.push(field(
        "Region",
        region.unwrap_or_else(|| "-".into()),
        Style::new(),
    ));
    let source = match entry.use_source {
        Some(UseSource::Report {
            generated,
            provisional,
        }) => format!(
            "credential report of {}{}",
            second(generated),
            if provisional {
                " (may have been used since; not confirmed live)"
            } else {
                ""
            }
        ),
        Some(UseSource::Live { at }) => format!("GetAccessKeyLastUsed, as of {}", second(at)),
        None => "-".to_string(),
    };
    lines.push(field("Source", source, Style::new()));
    if let Some(description) = &key.description {
        lines.push(field("Description", description.clone(), Style::new()));
    }
    let (findings, exempt) = state.findings(owner, entry);
    lines.push(Line::raw(""));
    if findings.is_empty() {
        lines.push(Line::raw("No findings."));
    }
    for finding in findings {
        let style = if exempt || !finding.needs_action() {
            theme::INACTIVE
        } else {
            theme::ATTENTION
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{:<13}", finding.name()), style),
            Span::raw(finding.rule(&state.context.policy)),
        ]));
    }
    if exempt {
        lines.push(Line::styled(
            "The policy exempts this user: its findings are not counted.",
            theme::INACTIVE,
        ));
    }
    lines.push(Line::raw(""));
    lines.extend(user_details(state, user, &exact));
    lines.push(Line::raw(""));
    lines.push(hint_line(&[("Enter/Esc", "close")]));
    lines
}

/// The user part of the details: groups, policies, MFA, console password.
fn user_details(
    state: &State,
    user: &str,
    exact: &dyn Fn(jiff::Timestamp) -> String,
) -> Vec<Line<'static>> {
    use crate::core::model::ConsolePassword;
    use crate::tui::state::Fetch;
    let details = match state.inventory.user_details.get(user) {
        None | Some(Fetch::Loading) => {
            return vec![Line::styled(
                format!("reading the groups, policies and MFA of {user}…"),
                theme::LABEL,
            )];
        }
        Some(Fetch::Failed(err)) => {
            return vec![Line::styled(
                format!(
                    "Cannot read the rest of {user}: {}: {}",
                    err.code, err.message
                ),
                theme::ERROR,
            )];
        }
        Some(Fetch::Ready(details)) => details,
    };
    let list = |names: &[String]| {
        if names.is_empty() {
            "none".to_string()
        } else {
            names.join(", ")
        }
    };
    let console = match &details.console {
        ConsolePassword::None => "no password".to_string(),
        ConsolePassword::Enabled { last_used: None } => "password set, never used".to_string(),
        ConsolePassword::Enabled {
            last_used: Some(at),
        } => format!("password set, last used {}", exact(*at)),
    };
    let no_mfa_with_password = details.mfa_devices.is_empty()
        && matches!(details.console, ConsolePassword::Enabled { .. });
    vec![
        field("Groups", list(&details.groups), Style::new()),
        field("Policies", list(&details.attached_policies), Style::new()),
        field("Inline", list(&details.inline_policies), Style::new()),
        field(
            "MFA",
            list(&details.mfa_devices),
            if no_mfa_with_password {
                theme::WARNING
            } else {
                Style::new()
            },
        ),
        field("Console", console, Style::new()),
    ]
}

fn push_error(lines: &mut Vec<Line<'static>>, error: &Option<String>) {
    if let Some(error) = error {
        lines.push(Line::styled(error.clone(), theme::ERROR));
    }
}

fn buttons(focus: Button, confirm: &str) -> Line<'static> {
    let style = |b: Button| {
        if b == focus {
            theme::SELECTED
        } else {
            Style::new()
        }
    };
    Line::from(vec![
        Span::styled("[ Cancel ]", style(Button::Cancel)),
        Span::raw("   "),
        Span::styled(format!("[ {confirm} ]"), style(Button::Confirm)),
        Span::styled(
            "    y yes · n/Esc no · Tab move · Enter press",
            theme::LABEL,
        ),
    ])
}

/// The keys of `actions` in the dialog table of `mode`, with the words the
/// footer gives them: a dialog's own hint line never disagrees with its footer.
fn table_hints(mode: Mode, actions: &[Action]) -> Vec<(&'static str, &'static str)> {
    actions
        .iter()
        .filter_map(|action| crate::tui::keymap::Keymap::dialog_hint(mode, action))
        .collect()
}

fn hint_line(hints: &[(&str, &str)]) -> Line<'static> {
    let mut spans = Vec::new();
    for (key, word) in hints {
        spans.push(Span::styled(key.to_string(), theme::KEY_HINT));
        spans.push(Span::raw(format!(" {word}   ")));
    }
    Line::from(spans)
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
