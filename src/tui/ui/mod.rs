//! The view: `draw` paints `State` and never changes it. Only scroll offsets,
//! which are about the screen and not the data, live in [`ViewState`].

mod all_keys;
mod cut;
mod dialog;
mod format;
pub mod help;
mod help_filter;
mod key_table;
mod keys;
pub mod monochrome;
mod plan_dialog;
mod priority_line;
mod status;
mod theme;
mod users;
mod wizard;

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::widgets::{Paragraph, Wrap};

use crate::tui::action::Pane;
use crate::tui::state::{Board, Mode, State};

/// Smallest terminal the dashboard draws in; below it a notice says so.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 15;

const HEADER_ROWS: u16 = 3;
const FOOTER_ROWS: u16 = 2;
/// Borders, column header and up to three lines (two keys, or an error).
const KEYS_PANE_ROWS: u16 = 6;
/// Borders and column header of the users table.
const USERS_CHROME_ROWS: u16 = 3;

/// Scroll positions kept between frames.
#[derive(Debug, Default)]
pub struct ViewState {
    pub users_offset: usize,
    /// The keys view's first row shown.
    pub key_rows_offset: usize,
    /// Where each table was drawn on the last frame, for the mouse.
    pub tables: Vec<TableArea>,
    /// Draw without colour (`NO_COLOR`): see [`monochrome`].
    pub monochrome: bool,
}

impl ViewState {
    /// The view state for this terminal: without colour when `NO_COLOR` asks.
    pub fn for_terminal() -> Self {
        Self {
            monochrome: monochrome::requested(),
            ..Self::default()
        }
    }
}

/// A table on screen: its pane, the rectangle of its block, and the list
/// index of its first row shown.
#[derive(Clone, Copy, Debug)]
pub struct TableArea {
    pub pane: Pane,
    pub area: Rect,
    pub first_row: usize,
}

/// Borders and the column header above a table's first row.
const TABLE_TOP_ROWS: u16 = 2;

impl ViewState {
    /// The table at a screen cell, and the row there (none on its border or header).
    pub fn hit(&self, column: u16, row: u16) -> Option<(Pane, Option<usize>)> {
        let table = self.tables.iter().find(|t| {
            t.area
                .contains(ratatui::layout::Position { x: column, y: row })
        })?;
        let first = table.area.y + TABLE_TOP_ROWS;
        let last = table.area.bottom().saturating_sub(1);
        let at = (row >= first && row < last).then(|| table.first_row + usize::from(row - first));
        Some((table.pane, at))
    }
}

/// How many users the table shows in a terminal `height` rows high.
pub fn users_table_rows(height: u16) -> usize {
    height.saturating_sub(HEADER_ROWS + FOOTER_ROWS + KEYS_PANE_ROWS + USERS_CHROME_ROWS) as usize
}

pub fn draw(frame: &mut Frame, state: &State, view: &mut ViewState) {
    draw_in_colour(frame, state, view);
    if view.monochrome {
        monochrome::strip(frame.buffer_mut());
    }
}

fn draw_in_colour(frame: &mut Frame, state: &State, view: &mut ViewState) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        draw_too_small(frame, area, state);
        return;
    }
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(HEADER_ROWS),
        Constraint::Min(USERS_CHROME_ROWS),
        Constraint::Length(FOOTER_ROWS),
    ])
    .areas(area);
    status::draw_header(frame, header, state);
    view.tables.clear();
    match state.screen.board {
        Board::Users => {
            let [users_area, keys_area] = Layout::vertical([
                Constraint::Min(USERS_CHROME_ROWS),
                Constraint::Length(KEYS_PANE_ROWS),
            ])
            .areas(body);
            users::draw(frame, users_area, state, view);
            keys::draw(frame, keys_area, state);
            view.tables.push(TableArea {
                pane: Pane::Users,
                area: users_area,
                first_row: view.users_offset,
            });
            view.tables.push(TableArea {
                pane: Pane::Keys,
                area: keys_area,
                first_row: 0,
            });
        }
        Board::Keys => {
            all_keys::draw(frame, body, state, view);
            view.tables.push(TableArea {
                pane: Pane::AllKeys,
                area: body,
                first_row: view.key_rows_offset,
            });
        }
    }
    status::draw_footer(frame, footer, state);
    if state.screen.mode == Mode::Help || state.screen.dialog.is_some() {
        // Overlays cover the tables: the mouse points at nothing under them.
        view.tables.clear();
    }
    if state.screen.mode == Mode::Help {
        help::draw(frame, area, &state.context.keymap, state.screen.help_scroll);
    }
    if let Some(open) = &state.screen.dialog {
        dialog::draw(frame, area, state, open);
    }
}

fn draw_too_small(frame: &mut Frame, area: Rect, state: &State) {
    let quit = state
        .context
        .keymap
        .key_of(&crate::tui::action::Action::Quit);
    let text = format!(
        "Terminal too small ({}×{}). iamkeys needs at least {MIN_WIDTH}×{MIN_HEIGHT}. Resize, or press {quit} to quit.",
        area.width, area.height
    );
    frame.render_widget(
        Paragraph::new(text)
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true })
            .style(theme::WARNING),
        area,
    );
}

/// The first row to show so that `selected` stays visible, moving as little as possible.
pub fn scroll_offset(previous: usize, selected: usize, rows: usize, len: usize) -> usize {
    if rows == 0 || len == 0 {
        return 0;
    }
    let max_offset = len.saturating_sub(rows);
    let offset = if selected < previous {
        selected
    } else if selected >= previous + rows {
        selected + 1 - rows
    } else {
        previous
    };
    offset.min(max_offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scroll_offset_follows_selection_minimally() {
        assert_eq!(scroll_offset(0, 5, 10, 100), 0);
        assert_eq!(scroll_offset(0, 10, 10, 100), 1);
        assert_eq!(scroll_offset(5, 3, 10, 100), 3);
        assert_eq!(scroll_offset(90, 95, 10, 100), 90);
        assert_eq!(scroll_offset(90, 20, 10, 15), 5);
        assert_eq!(scroll_offset(3, 0, 0, 100), 0);
    }
}
