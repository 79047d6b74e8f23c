//! The help overlay, generated from the keymap's tables.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::theme;
use crate::core::policy::Finding;
use crate::tui::keymap::{self, Keymap};
use crate::tui::state::Mode;

const SECTIONS: [(&str, Mode); 6] = [
    ("Browsing", Mode::Normal),
    ("In the filter field", Mode::Filter),
    ("In a yes/no dialog", Mode::Confirm),
    ("In a dialog with a text field", Mode::TextEntry),
    ("In the secret dialog", Mode::Secret),
    ("In the rotation wizard", Mode::Wizard),
];
const KEY_COLUMN: usize = 12;
/// Wider than the longest finding name (`rotation-due`, `this-session`).
const FINDING_COLUMN: usize = 16;
/// The findings' short forms get their own column, apart from the meaning.
const SHORT_COLUMN: usize = 7;
/// Wide enough for the longest filter example (`is:unused,never-used`).
const FILTER_COLUMN: usize = 22;

/// Every line of the help: the keymap's sections, the filter terms with
/// examples, then the findings with their short forms (used where columns
/// are narrow) in a column of their own.
fn lines(keymap: &Keymap) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for (title, mode) in SECTIONS {
        if !lines.is_empty() {
            lines.push(Line::raw(""));
        }
        lines.push(Line::styled(title, theme::HEADER_ROW));
        for b in keymap::bindings(mode) {
            let label = keymap.label(mode, b);
            lines.push(Line::from(vec![
                Span::styled(format!("{label:<KEY_COLUMN$}"), theme::KEY_HINT),
                Span::raw(b.help),
            ]));
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "Filter terms (example, then what it matches)",
        theme::HEADER_ROW,
    ));
    for (example, meaning) in super::help_filter::TERMS {
        lines.push(Line::from(vec![
            Span::styled(format!("{example:<FILTER_COLUMN$}"), theme::KEY_HINT),
            Span::raw(meaning),
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("Findings (short form)", theme::HEADER_ROW));
    lines.push(Line::styled(
        format!(
            "{:<FINDING_COLUMN$}{:<SHORT_COLUMN$}meaning",
            "finding", "short"
        ),
        theme::HEADER_ROW,
    ));
    for finding in Finding::ALL {
        lines.push(Line::from(vec![
            Span::styled(
                format!("{:<FINDING_COLUMN$}", finding.name()),
                theme::ATTENTION,
            ),
            Span::raw(format!("{:<SHORT_COLUMN$}", finding.short())),
            Span::raw(match finding {
                Finding::RootKey => "the root user has an access key",
                Finding::NeverUsed => "active, never used, past the grace days",
                Finding::Unused => "active, not used for unused_after_days",
                Finding::RotationDue => "active, older than rotate_after_days",
                Finding::TwoActive => "both keys of the user active",
                Finding::ThisSession => "a key this session depends on",
            }),
        ]));
    }
    lines
}

/// How many lines the help has (the scroll stops at the last).
pub fn line_count(keymap: &Keymap) -> usize {
    lines(keymap).len()
}

pub fn draw(frame: &mut Frame, area: Rect, keymap: &Keymap, scroll: usize) {
    let lines = lines(keymap);
    let height = (lines.len() as u16 + 2).min(area.height);
    let width = 70.min(area.width);
    let popup = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    let visible = height.saturating_sub(2) as usize;
    let scroll = scroll.min(lines.len().saturating_sub(visible));
    let more = if scroll + visible < lines.len() {
        format!(
            " ↓ {} scrolls ",
            keymap.key_of(&crate::tui::action::Action::Move(
                crate::tui::action::Motion::Down
            ))
        )
    } else {
        String::new()
    };
    let title = format!(
        " Help — {}/Esc closes ",
        keymap.key_of(&crate::tui::action::Action::ToggleHelp)
    );
    let help = Paragraph::new(lines)
        .scroll((u16::try_from(scroll).unwrap_or(u16::MAX), 0))
        .block(
            Block::bordered()
                .title(title)
                .title_bottom(more)
                .border_style(theme::FOCUSED_BORDER),
        );
    frame.render_widget(Clear, popup);
    frame.render_widget(help, popup);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(keymap: &Keymap) -> Vec<String> {
        lines(keymap)
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    #[test]
    fn the_help_lists_every_filter_term_with_an_example_and_short_forms_apart() {
        let lines = text(&Keymap::default());
        for (example, meaning) in super::super::help_filter::TERMS {
            assert!(
                lines
                    .iter()
                    .any(|l| l.starts_with(example) && l.ends_with(meaning)),
                "{example}"
            );
        }
        for finding in Finding::ALL {
            let line = lines
                .iter()
                .find(|l| l.starts_with(&format!("{:<FINDING_COLUMN$}", finding.name())))
                .unwrap_or_else(|| panic!("{}", finding.name()));
            // The short form in its own column, not glued to the meaning in brackets.
            assert_eq!(
                line.get(FINDING_COLUMN..FINDING_COLUMN + SHORT_COLUMN),
                Some(format!("{:<SHORT_COLUMN$}", finding.short()).as_str()),
                "{line}"
            );
            assert!(!line.contains('('), "{line}");
        }
    }
}
