//! The bulk plan scrolls while its count is typed: the count field takes
//! digits only, so `j`/`k`, the arrows and `PgDn`/`PgUp` move through the
//! keys instead, and the field keeps its text.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::tui::dialog::Dialog;
use crate::tui::state::State;

/// Scrolls the open plan for `key` if it is a scrolling key; false if it is not.
pub(super) fn scroll(state: &mut State, key: KeyEvent) -> bool {
    let page = state.screen.page_rows.max(1);
    let Some(Dialog::BulkPlan(plan)) = state.screen.dialog.as_mut() else {
        return false;
    };
    if key
        .modifiers
        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
    {
        return false;
    }
    let last = plan.lines.len().saturating_sub(1);
    plan.scroll = match key.code {
        KeyCode::Char('j') | KeyCode::Down => plan.scroll + 1,
        KeyCode::Char('k') | KeyCode::Up => plan.scroll.saturating_sub(1),
        KeyCode::PageDown => plan.scroll + page,
        KeyCode::PageUp => plan.scroll.saturating_sub(page),
        KeyCode::Home => 0,
        KeyCode::End => last,
        _ => return false,
    }
    .min(last);
    true
}
