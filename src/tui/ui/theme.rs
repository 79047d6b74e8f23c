//! Colours and text styles, in one place.

use ratatui::style::{Color, Modifier, Style};

pub const TITLE: Style = Style::new().add_modifier(Modifier::BOLD);
pub const HEADER_ROW: Style = Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD);
pub const LABEL: Style = Style::new().fg(Color::DarkGray);
pub const SELECTED: Style = Style::new().add_modifier(Modifier::REVERSED);
pub const FOCUSED_BORDER: Style = Style::new().fg(Color::Cyan);
pub const BORDER: Style = Style::new().fg(Color::DarkGray);
pub const INACTIVE: Style = Style::new().fg(Color::DarkGray);
pub const NEVER_USED: Style = Style::new()
    .fg(Color::Yellow)
    .add_modifier(Modifier::ITALIC);
pub const ATTENTION: Style = Style::new().fg(Color::Yellow);
pub const SIGNING: Style = Style::new().fg(Color::Magenta).add_modifier(Modifier::BOLD);
pub const ERROR: Style = Style::new().fg(Color::Red);
pub const WARNING: Style = Style::new().fg(Color::Yellow);
pub const ACTIVE: Style = Style::new().fg(Color::Green);
pub const KEY_HINT: Style = Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD);
pub const PENDING: Style = Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD);
/// The selected row's marker: visible without colour.
pub const SELECTION_MARK: &str = "▶ ";

/// The focused pane has a thick border: visible without colour.
pub fn border_type(focused: bool) -> ratatui::widgets::BorderType {
    if focused {
        ratatui::widgets::BorderType::Thick
    } else {
        ratatui::widgets::BorderType::Plain
    }
}

pub const READ_ONLY: Style = Style::new()
    .fg(Color::Black)
    .bg(Color::Yellow)
    .add_modifier(Modifier::BOLD);
