//! The bulk plan dialog (D/X on marked keys) and the undo dialog (`u`).

use ratatui::text::{Line, Span};
use tui_input::Input;

use super::theme;
use crate::io::journal::UndoPlan;
use crate::tui::dialog::BulkPlan;

/// Key lines shown at most: the rest are counted (call-outs come first).
const MAX_KEY_LINES: usize = 12;

/// Title, lines, and the row of the text field (while it asks for the count).
pub fn bulk(plan: &BulkPlan) -> (String, Vec<Line<'static>>, Option<(&Input, usize)>) {
    let count = plan.lines.len();
    let verb = plan.kind.verb();
    let mut lines = Vec::new();
    let mut field = None;
    if plan.running {
        let ok = plan
            .lines
            .iter()
            .filter(|l| matches!(l.result, Some(Ok(()))))
            .count();
        let failed = plan
            .lines
            .iter()
            .filter(|l| matches!(l.result, Some(Err(_))))
            .count();
        let state = if plan.finished { "done" } else { "running" };
        lines.push(Line::styled(
            format!(
                "{state}: {ok} {}, {failed} failed, {} waiting",
                plan.kind.done(),
                count - ok - failed
            ),
            if failed > 0 {
                theme::ERROR
            } else {
                theme::TITLE
            },
        ));
    } else {
        let recent = plan.lines.iter().filter(|l| l.recent).count();
        if recent > 0 {
            lines.push(Line::styled(
                format!(
                    "{recent} of these keys were used recently: whatever uses them stops working."
                ),
                theme::WARNING,
            ));
        }
        lines.push(Line::raw(format!(
            "Type {count} (the number of keys) and Enter to {verb} them; Esc cancels."
        )));
        field = Some(lines.len());
        lines.push(Line::raw(""));
        if let Some(error) = &plan.error {
            lines.push(Line::styled(error.clone(), theme::ERROR));
        }
    }
    lines.push(Line::raw(""));
    for line in plan.lines.iter().take(MAX_KEY_LINES) {
        let (mark, style) = match &line.result {
            None if plan.running => ("… ", theme::PENDING),
            None => ("  ", ratatui::style::Style::new()),
            Some(Ok(())) => ("✓ ", theme::ACTIVE),
            Some(Err(_)) => ("✗ ", theme::ERROR),
        };
        let mut spans = vec![
            Span::styled(mark, style),
            Span::raw(format!("{:<20} {:<20} ", line.key_id, line.user)),
            Span::styled(
                line.last_use.clone(),
                if line.recent {
                    theme::WARNING
                } else {
                    theme::LABEL
                },
            ),
        ];
        if line.recent {
            spans.push(Span::styled(" USED RECENTLY", theme::WARNING));
        }
        if !line.findings.is_empty() {
            spans.push(Span::styled(
                format!(" {}", line.findings.join(",")),
                theme::ATTENTION,
            ));
        }
        if let Some(Err(why)) = &line.result {
            spans.push(Span::styled(format!(" — {why}"), theme::ERROR));
        }
        lines.push(Line::from(spans));
    }
    if count > MAX_KEY_LINES {
        let failed_hidden = plan.lines[MAX_KEY_LINES..]
            .iter()
            .filter(|l| matches!(l.result, Some(Err(_))))
            .count();
        lines.push(Line::styled(
            format!(
                "… and {} more keys{}",
                count - MAX_KEY_LINES,
                if failed_hidden > 0 {
                    format!(" ({failed_hidden} of them failed: see the journal)")
                } else {
                    String::new()
                }
            ),
            theme::LABEL,
        ));
    }
    if !plan.left_out.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            format!("Left out ({}):", plan.left_out.len()),
            theme::HEADER_ROW,
        ));
        for (user, key_id, why) in plan.left_out.iter().take(6) {
            lines.push(Line::styled(
                format!("  {key_id:<20} {user:<20} {why}"),
                theme::LABEL,
            ));
        }
        if plan.left_out.len() > 6 {
            lines.push(Line::styled(
                format!("  … and {} more", plan.left_out.len() - 6),
                theme::LABEL,
            ));
        }
    }
    if plan.running {
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            "Enter/Esc close (the run goes on)",
            theme::LABEL,
        ));
    }
    let title = format!(" {} {count} marked keys ", plan.kind.title());
    (title, lines, field.map(|row| (&plan.typed, row)))
}

/// The undo dialog: what is changed back, what cannot be, what is held
/// back; for more than one key, the field the count is typed into (its row).
pub fn undo<'a>(
    plan: &UndoPlan,
    typed: Option<&'a Input>,
    error: Option<&str>,
    buttons: Line<'static>,
) -> (String, Vec<Line<'static>>, Option<(&'a Input, usize)>) {
    use crate::core::sanitize::server_text;
    let count = plan.count();
    let mut lines = vec![
        Line::raw(format!(
            "The journal's last operation ({}) is changed back, key by key: {} keys reactivated, {} deactivated. A key changed elsewhere since is left as it is.",
            server_text(&plan.operations.join(", ")),
            plan.reactivate.len(),
            plan.deactivate.len()
        )),
        Line::raw(""),
    ];
    for (entries, what) in [
        (&plan.reactivate, "reactivate"),
        (&plan.deactivate, "deactivate"),
    ] {
        for e in entries.iter().take(MAX_KEY_LINES) {
            lines.push(Line::raw(format!(
                "  {what} {:<20} {}{}",
                server_text(e.key_id.as_deref().unwrap_or("-")),
                server_text(&e.user),
                if e.result == crate::io::journal::Outcome::Unknown {
                    " (outcome unknown: IAM is asked)"
                } else {
                    ""
                }
            )));
        }
        if entries.len() > MAX_KEY_LINES {
            lines.push(Line::styled(
                format!("  … and {} more", entries.len() - MAX_KEY_LINES),
                theme::LABEL,
            ));
        }
    }
    let asides: [(&str, Vec<(&crate::io::journal::Entry, String)>); 2] = [
        (
            "Cannot be undone",
            plan.cannot
                .iter()
                .map(|(e, why)| (e, why.to_string()))
                .collect(),
        ),
        (
            "Held back (iamkeys undo --include-foreign/--include-old)",
            plan.held.iter().map(|(e, why)| (e, why.clone())).collect(),
        ),
    ];
    for (title, entries) in asides {
        if entries.is_empty() {
            continue;
        }
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            format!("{title} ({}):", entries.len()),
            theme::WARNING,
        ));
        for (e, why) in entries.iter().take(6) {
            lines.push(Line::styled(
                format!(
                    "  {} of {}: {why}",
                    server_text(e.key_id.as_deref().unwrap_or("-")),
                    server_text(&e.user)
                ),
                theme::LABEL,
            ));
        }
    }
    if plan.skipped_lines > 0 {
        lines.push(Line::styled(
            format!(
                "{} lines of the journal are not entries and were skipped.",
                plan.skipped_lines
            ),
            theme::WARNING,
        ));
    }
    lines.push(Line::raw(""));
    let mut field = None;
    match typed {
        Some(typed) => {
            lines.push(Line::raw(format!(
                "Type {count} (the number of keys) and Enter to change them back; Esc cancels."
            )));
            field = Some((typed, lines.len()));
            lines.push(Line::raw(""));
            if let Some(error) = error {
                lines.push(Line::styled(error.to_string(), theme::ERROR));
            }
        }
        None => lines.push(buttons),
    }
    (" Undo ".to_string(), lines, field)
}
