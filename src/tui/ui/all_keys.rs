//! The keys view (`2`): every key of the account in one table, most urgent first.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Table, TableState};

use super::{ViewState, key_table, scroll_offset, theme, users};
use crate::tui::state::State;

pub fn draw(frame: &mut Frame, area: Rect, state: &State, view: &mut ViewState) {
    let rows_visible = area.height.saturating_sub(3) as usize;
    view.key_rows_offset = scroll_offset(
        view.key_rows_offset,
        state.screen.selected_row,
        rows_visible,
        state.screen.key_rows.len(),
    );
    let prefix = title_prefix(state);
    let mut title = vec![Span::styled(prefix.clone(), theme::TITLE)];
    title.extend(users::filter_spans(state));
    let block = Block::bordered()
        .title(Line::from(title))
        .border_type(theme::border_type(true))
        .border_style(theme::FOCUSED_BORDER);
    if state.screen.key_rows.is_empty() {
        let text = if state.inventory.load.in_flight {
            "loading keys…"
        } else if state.screen.filter.value().is_empty() {
            "no access keys in this account"
        } else {
            "no key matches the filter (Esc clears it)"
        };
        frame.render_widget(Paragraph::new(text).style(theme::LABEL).block(block), area);
        users::place_filter_cursor(frame, area, &prefix, state);
        return;
    }
    let visible: Vec<_> = state
        .screen
        .key_rows
        .iter()
        .skip(view.key_rows_offset)
        .take(rows_visible)
        .filter_map(|&(u, k)| {
            let user = state.inventory.users.get(u)?;
            Some((user, user.key_entries().get(k)?))
        })
        .collect();
    let content = key_table::Content::measure(visible.iter().copied(), state, true);
    let fit = key_table::Fit::new(area.width.saturating_sub(2), content);
    let rows: Vec<_> = visible
        .into_iter()
        .map(|(user, entry)| key_table::row(user, entry, state, &fit))
        .collect();
    let table = Table::new(rows, fit.widths())
        .header(fit.header())
        .block(block)
        .row_highlight_style(theme::SELECTED)
        // Visible without colour (NO_COLOR): a marker, not only a style.
        .highlight_symbol(theme::SELECTION_MARK)
        .highlight_spacing(ratatui::widgets::HighlightSpacing::Always);
    let mut table_state = TableState::default().with_selected(Some(
        state.screen.selected_row - view.key_rows_offset.min(state.screen.selected_row),
    ));
    frame.render_stateful_widget(table, area, &mut table_state);
    users::place_filter_cursor(frame, area, &prefix, state);
}

fn title_prefix(state: &State) -> String {
    let total: usize = state
        .inventory
        .users
        .iter()
        .map(|u| u.key_entries().len())
        .sum();
    let sort = state.screen.key_sort;
    format!(
        " All keys {}/{total} · sort: {}{} · filter: ",
        state.screen.key_rows.len(),
        sort.column.label(),
        if sort.reversed { " (reversed)" } else { "" }
    )
}
