//! The users pane: one row per user after filter and sort.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Row, Table, TableState};

use super::{ViewState, cut, format, scroll_offset, theme};
use crate::core::model::{UseSource, never_means_never};
use crate::tui::state::{Fetch, Focus, Mode, SortColumn, State, UserEntry};

/// Columns: title, the sort it shows, its width, and the narrowest inner width
/// at which it is drawn (Path and Created give way first, then Active and
/// Oldest key, so that names keep at least 12 characters and the most urgent
/// finding stays).
const COLUMNS: [(&str, SortColumn, Constraint, u16); 8] = [
    ("User", SortColumn::Name, Constraint::Fill(3), 0),
    ("Needs", SortColumn::Urgency, Constraint::Length(12), 0),
    ("Path", SortColumn::Path, Constraint::Fill(2), 90),
    ("Keys", SortColumn::Keys, Constraint::Length(6), 0),
    ("Active", SortColumn::Keys, Constraint::Length(6), 78),
    ("Oldest key", SortColumn::KeyAge, Constraint::Length(12), 78),
    ("Last used", SortColumn::LastUsed, Constraint::Length(13), 0),
    ("Created", SortColumn::Created, Constraint::Length(10), 100),
];

pub fn draw(frame: &mut Frame, area: Rect, state: &State, view: &mut ViewState) {
    let rows_visible = area.height.saturating_sub(3) as usize;
    view.users_offset = scroll_offset(
        view.users_offset,
        state.screen.selected,
        rows_visible,
        state.screen.view.len(),
    );
    let inner = area.width.saturating_sub(2);
    let shown: Vec<bool> = COLUMNS.iter().map(|c| inner >= c.3).collect();
    let visible: Vec<&UserEntry> = state
        .screen
        .view
        .iter()
        .skip(view.users_offset)
        .take(rows_visible)
        .filter_map(|&i| state.inventory.users.get(i))
        .collect();
    let widths = column_widths(inner, &shown, &visible, state);
    let rows = visible.iter().map(|entry| {
        let cells = user_row(entry, state, &widths);
        Row::new(
            cells
                .into_iter()
                .zip(&shown)
                .filter(|(_, shown)| **shown)
                .map(|(cell, _)| cell),
        )
    });
    let header = Row::new(COLUMNS.iter().zip(&shown).filter(|(_, shown)| **shown).map(
        |((name, column, _, _), _)| {
            let arrow = match (
                *column == state.screen.sort.column,
                state.screen.sort.reversed,
            ) {
                (true, false) if *name != "Active" => " ▼",
                (true, true) if *name != "Active" => " ▲",
                _ => "",
            };
            Cell::from(format!("{name}{arrow}"))
        },
    ))
    .style(theme::HEADER_ROW);
    let constraints: Vec<Constraint> = widths
        .iter()
        .zip(&shown)
        .filter(|(_, shown)| **shown)
        .map(|(w, _)| Constraint::Length(*w))
        .collect();
    let focused = state.screen.focus == Focus::Users;
    let table = Table::new(rows, constraints)
        .header(header)
        .block(
            Block::bordered()
                .title(title(state))
                .border_type(theme::border_type(focused))
                .border_style(if focused {
                    theme::FOCUSED_BORDER
                } else {
                    theme::BORDER
                }),
        )
        .row_highlight_style(if focused {
            theme::SELECTED
        } else {
            theme::TITLE
        })
        // Visible without colour (NO_COLOR): a marker, not only a style.
        .highlight_symbol(theme::SELECTION_MARK)
        .highlight_spacing(ratatui::widgets::HighlightSpacing::Always);
    let mut table_state = TableState::default();
    if !state.screen.view.is_empty() {
        table_state.select(Some(
            state.screen.selected - view.users_offset.min(state.screen.selected),
        ));
    }
    frame.render_stateful_widget(table, area, &mut table_state);
    place_filter_cursor(frame, area, &title_prefix(state), state);
}

/// Cells of each column of [`COLUMNS`]: the fixed ones their length; names
/// and paths what their cells hold, names first (a cut one ends in `…`);
/// room left goes to the names' column.
fn column_widths(inner: u16, shown: &[bool], visible: &[&UserEntry], state: &State) -> Vec<u16> {
    let fixed = |c: &Constraint| match c {
        Constraint::Length(n) => Some(*n),
        _ => None,
    };
    let count = shown.iter().filter(|s| **s).count() as u16;
    let taken: u16 = COLUMNS
        .iter()
        .zip(shown)
        .filter(|(_, s)| **s)
        .filter_map(|(c, _)| fixed(&c.2))
        .sum();
    // The selection marker, and one cell between columns.
    let available = inner.saturating_sub(2 + count.saturating_sub(1) + taken);
    let name_max = visible
        .iter()
        .map(|u| cut::width(&u.user.name) + rotation_mark_width(u, state))
        .max()
        .unwrap_or(0)
        .max(6);
    let path_shown = shown.get(2).copied().unwrap_or(false);
    let path_max = if path_shown {
        visible
            .iter()
            .map(|u| cut::width(&u.user.path))
            .max()
            .unwrap_or(0)
            .max(4)
    } else {
        0
    };
    // The path keeps a few cells (`/eng…`) while names are long.
    let path_min = path_max.min(6);
    let name = name_max.min(available.saturating_sub(path_min));
    let path = path_max.min(available.saturating_sub(name));
    let name = name + available.saturating_sub(name + path);
    COLUMNS
        .iter()
        .enumerate()
        .map(|(i, c)| match i {
            0 => name,
            2 => path,
            _ => fixed(&c.2).unwrap_or(0),
        })
        .collect()
}

fn rotation_mark_width(entry: &UserEntry, state: &State) -> u16 {
    if state.jobs.rotations_saved.contains(&entry.user.name) {
        cut::width(ROTATION_MARK)
    } else {
        0
    }
}

/// While the filter is edited, the terminal cursor sits in the title's field.
pub(super) fn place_filter_cursor(frame: &mut Frame, area: Rect, prefix: &str, state: &State) {
    if state.input_mode() == Mode::Filter {
        let prefix = prefix.chars().count() as u16;
        let cursor = state.screen.filter.visual_cursor() as u16;
        let x = (area.x + 1 + prefix + cursor).min(area.right().saturating_sub(2));
        frame.set_cursor_position((x, area.y));
    }
}

fn title_prefix(state: &State) -> String {
    format!(
        " Users {}/{} · sort: {}{} · filter: ",
        state.screen.view.len(),
        state.inventory.users.len(),
        state.screen.sort.column.label(),
        if state.screen.sort.reversed {
            " (reversed)"
        } else {
            ""
        }
    )
}

fn title(state: &State) -> Line<'static> {
    let mut spans = vec![Span::styled(title_prefix(state), theme::TITLE)];
    spans.extend(filter_spans(state));
    Line::from(spans)
}

/// The filter's text (or how to start one) and why it is not a filter, if it is not.
pub(super) fn filter_spans(state: &State) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    let value = state.screen.filter.value();
    if state.screen.mode == Mode::Filter || !value.is_empty() {
        spans.push(Span::styled(format!("{value} "), theme::KEY_HINT));
    } else {
        let filter = state
            .context
            .keymap
            .key_of(&crate::tui::action::Action::StartFilter);
        spans.push(Span::styled(
            format!("none (press {filter}) "),
            theme::LABEL,
        ));
    }
    if let Some(why) = &state.screen.filter_error {
        spans.push(Span::styled(format!("· {why} "), theme::ERROR));
    }
    spans
}

/// The user's row, one cell per column of [`COLUMNS`].
fn user_row<'a>(entry: &'a UserEntry, state: &State, widths: &[u16]) -> Vec<Cell<'a>> {
    let now = state.now;
    let (keys, active, oldest, last_used) = match &entry.keys {
        Fetch::Loading => (
            Cell::from("…"),
            Cell::from("…"),
            Cell::from("…"),
            Cell::from("…"),
        ),
        // The code goes where it has room; the keys pane shows the whole error.
        Fetch::Failed(err) => (
            Cell::from("✗").style(theme::ERROR),
            Cell::from(""),
            Cell::from(""),
            Cell::from(err.code.clone()).style(theme::ERROR),
        ),
        Fetch::Ready(keys) => {
            let active = entry.active_keys();
            let oldest = entry
                .oldest_active_key()
                .map(|at| format::age(at, now))
                .unwrap_or_else(|| "-".into());
            let last_used = match (
                entry.last_used(),
                keys.is_empty(),
                entry.last_used_settled(),
            ) {
                (_, true, _) => Cell::from("-"),
                (Some(at), _, _) => Cell::from(format::ago(at, now)),
                (None, false, true)
                    if keys
                        .iter()
                        .any(|k| k.use_source.is_some_and(UseSource::provisional)) =>
                {
                    Cell::from("none in report").style(theme::WARNING)
                }
                (None, false, true) if keys.iter().all(|k| !never_means_never(k.key.created)) => {
                    Cell::from("no use recorded")
                }
                (None, false, true) => Cell::from("never").style(theme::NEVER_USED),
                (None, false, false) => Cell::from("…"),
            };
            let active_cell = Cell::from(active.to_string());
            (
                Cell::from(keys.len().to_string()),
                if active >= 2 {
                    active_cell.style(theme::ATTENTION)
                } else {
                    active_cell
                },
                Cell::from(oldest),
                last_used,
            )
        }
    };
    let needs = match state.worst_finding(entry) {
        Some((finding, false)) => Cell::from(finding.name()).style(theme::ATTENTION),
        // Exempt: shown, greyed, never counted.
        Some((finding, true)) => Cell::from(finding.name()).style(theme::INACTIVE),
        None => Cell::from(""),
    };
    let width = |at: usize| widths.get(at).copied().unwrap_or(0);
    vec![
        name_cell(entry, state, width(0)),
        needs,
        Cell::from(cut::ellipsize(&entry.user.path, width(2))).style(theme::LABEL),
        keys,
        active,
        oldest,
        last_used,
        Cell::from(format::date(entry.user.created)),
    ]
}

/// The user's name, and a mark when a rotation of its key is saved in
/// progress (`R` resumes it): text, so that it shows without colour.
fn name_cell<'a>(entry: &'a UserEntry, state: &State, width: u16) -> Cell<'a> {
    let room = width.saturating_sub(rotation_mark_width(entry, state));
    let name = cut::ellipsize_name(&entry.user.name, room);
    if !state.jobs.rotations_saved.contains(&entry.user.name) {
        return Cell::from(name);
    }
    Cell::from(Line::from(vec![
        Span::raw(name),
        Span::styled(ROTATION_MARK, theme::PENDING),
    ]))
}

/// After the name of a user with a rotation in progress.
pub const ROTATION_MARK: &str = " ↻ rotating";
