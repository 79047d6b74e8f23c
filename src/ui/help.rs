//! The help overlay, generated from the keymap's tables.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::theme;
use crate::keymap;
use crate::state::Mode;

const SECTIONS: [(&str, Mode); 2] = [
    ("Browsing", Mode::Normal),
    ("In the filter field", Mode::Filter),
];
const KEY_COLUMN: usize = 12;

pub fn draw(frame: &mut Frame, area: Rect) {
    let mut lines = Vec::new();
    for (title, mode) in SECTIONS {
        if !lines.is_empty() {
            lines.push(Line::raw(""));
        }
        lines.push(Line::styled(title, theme::HEADER_ROW));
        for b in keymap::bindings(mode) {
            lines.push(Line::from(vec![
                Span::styled(format!("{:<KEY_COLUMN$}", b.label), theme::KEY_HINT),
                Span::raw(b.help),
            ]));
        }
    }
    let height = (lines.len() as u16 + 2).min(area.height);
    let width = 60.min(area.width);
    let popup = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    let help = Paragraph::new(lines).block(
        Block::bordered()
            .title(" Help — ?/Esc closes ")
            .border_style(theme::FOCUSED_BORDER),
    );
    frame.render_widget(Clear, popup);
    frame.render_widget(help, popup);
}
