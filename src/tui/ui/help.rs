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

/// Every line of the help: the keymap's sections, then the findings with
/// their short forms (used where columns are narrow).
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
    lines.push(Line::styled("Findings (short form)", theme::HEADER_ROW));
    for finding in Finding::ALL {
        lines.push(Line::from(vec![
            Span::styled(format!("{:<KEY_COLUMN$}", finding.name()), theme::ATTENTION),
            Span::raw(format!("({}) ", finding.short())),
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
