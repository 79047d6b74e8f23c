//! Without colour (`NO_COLOR`): the frame carries no colour at all, so that
//! no colour command reaches the terminal. crossterm writes a colour command
//! under `NO_COLOR` as a bare `ESC [ m`, a full attribute reset, which would
//! wipe the reverse and bold of the cell run it falls in (the focused button,
//! the selected row after its first cell). Colours that carry a meaning turn
//! into attributes instead: dark grey (labels, inactive and exempt rows)
//! becomes dim, a coloured background (the READ-ONLY badge) becomes reverse.

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

/// Whether the terminal is to get no colour: `NO_COLOR` set and not empty
/// (<https://no-color.org>), as crossterm reads it.
pub fn requested() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// Replaces every colour of `buffer` by the terminal's default, keeping
/// what a colour said as an attribute.
pub fn strip(buffer: &mut Buffer) {
    for cell in &mut buffer.content {
        if cell.fg == Color::DarkGray {
            cell.modifier.insert(Modifier::DIM);
        }
        if cell.bg != Color::Reset {
            cell.modifier.toggle(Modifier::REVERSED);
        }
        cell.fg = Color::Reset;
        cell.bg = Color::Reset;
        cell.underline_color = Color::Reset;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;
    use ratatui::style::Style;

    #[test]
    fn colours_go_and_their_meaning_stays_as_attributes() {
        let mut buffer = Buffer::empty(Rect::new(0, 0, 3, 1));
        buffer[(0, 0)].set_style(Style::new().fg(Color::DarkGray));
        buffer[(1, 0)].set_style(Style::new().fg(Color::Black).bg(Color::Yellow));
        buffer[(2, 0)].set_style(
            Style::new()
                .fg(Color::Green)
                .add_modifier(Modifier::REVERSED),
        );
        strip(&mut buffer);
        assert!(
            buffer
                .content
                .iter()
                .all(|c| c.fg == Color::Reset && c.bg == Color::Reset)
        );
        assert!(buffer[(0, 0)].modifier.contains(Modifier::DIM));
        assert!(buffer[(1, 0)].modifier.contains(Modifier::REVERSED));
        assert_eq!(buffer[(2, 0)].modifier, Modifier::REVERSED);
    }
}
