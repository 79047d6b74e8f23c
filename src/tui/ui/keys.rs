//! The keys pane: the selected user's access keys, their age and last use.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Table, TableState, Wrap};

use super::{key_table, theme};
use crate::tui::state::{Fetch, Focus, State, UserEntry};

pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let focused = state.screen.focus == Focus::Keys;
    let block = Block::bordered()
        .title(title(state.selected_user(), state))
        .border_type(theme::border_type(focused))
        .border_style(if focused {
            theme::FOCUSED_BORDER
        } else {
            theme::BORDER
        });
    let Some(user) = state.selected_user() else {
        let text = if state.inventory.load.in_flight {
            "loading…"
        } else {
            "no user selected"
        };
        frame.render_widget(Paragraph::new(text).style(theme::LABEL).block(block), area);
        return;
    };
    let keys = match &user.keys {
        Fetch::Loading => {
            frame.render_widget(
                Paragraph::new("loading keys…")
                    .style(theme::LABEL)
                    .block(block),
                area,
            );
            return;
        }
        Fetch::Failed(err) => {
            let text = format!("Cannot read the keys of {}: {err}", user.user.name);
            frame.render_widget(
                Paragraph::new(text)
                    .style(theme::ERROR)
                    .wrap(Wrap { trim: true })
                    .block(block),
                area,
            );
            return;
        }
        Fetch::Ready(keys) if keys.is_empty() => {
            frame.render_widget(
                Paragraph::new(format!("{} has no access keys.", user.user.name))
                    .style(theme::LABEL)
                    .block(block),
                area,
            );
            return;
        }
        Fetch::Ready(keys) => keys,
    };
    let content = key_table::Content::measure(keys.iter().map(|k| (user, k)), state, false);
    let fit = key_table::Fit::new(area.width.saturating_sub(2), content);
    let rows = keys.iter().map(|k| key_table::row(user, k, state, &fit));
    let table = Table::new(rows, fit.widths())
        .header(fit.header())
        .block(block)
        .row_highlight_style(if focused {
            theme::SELECTED
        } else {
            ratatui::style::Style::new()
        })
        // Visible without colour (NO_COLOR): a marker, not only a style.
        .highlight_symbol(theme::SELECTION_MARK)
        .highlight_spacing(ratatui::widgets::HighlightSpacing::Always);
    let mut table_state =
        TableState::default().with_selected(focused.then_some(state.screen.selected_key));
    frame.render_stateful_widget(table, area, &mut table_state);
}

fn title(user: Option<&UserEntry>, state: &State) -> Line<'static> {
    match user {
        Some(u) => Line::from(vec![
            Span::styled(" Keys of ", theme::TITLE),
            Span::styled(u.user.name.clone(), theme::KEY_HINT),
            Span::styled(format!(" ({}) ", u.user.arn), theme::LABEL),
            // IAM answered a change; its listing does not show it yet.
            Span::styled(
                if state.jobs.propagating.contains(&u.user.name) {
                    "propagating… "
                } else {
                    ""
                },
                theme::PENDING,
            ),
        ]),
        None => Line::styled(" Keys ", theme::TITLE),
    }
}
