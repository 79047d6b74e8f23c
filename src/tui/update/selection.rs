//! Where the selection goes when the administrator has not chosen yet, and
//! the sort of the table on screen: k9s's habit of starting at the top.

use crate::tui::state::{Board, State};

/// The administrator chose the selected user (moved to it, clicked it,
/// opened its keys): from now on rebuilds keep it selected.
pub(super) fn user_chosen(state: &mut State) {
    state.screen.selection_chosen = true;
}

/// `s`: the next sort column of the table on screen, starting at its first row.
pub(super) fn cycle_sort(state: &mut State) {
    match state.screen.board {
        Board::Users => {
            state.screen.sort.column = state.screen.sort.column.next();
            state.screen.sort.reversed = false;
        }
        Board::Keys => {
            state.screen.key_sort.column = state.screen.key_sort.column.next();
            state.screen.key_sort.reversed = false;
        }
    }
    back_to_the_top(state);
}

/// `S`: the table on screen in reverse, starting at its first row.
pub(super) fn reverse_sort(state: &mut State) {
    match state.screen.board {
        Board::Users => state.screen.sort.reversed = !state.screen.sort.reversed,
        Board::Keys => state.screen.key_sort.reversed = !state.screen.key_sort.reversed,
    }
    back_to_the_top(state);
}

/// After a sort the selection is on the first row of the table on screen.
fn back_to_the_top(state: &mut State) {
    match state.screen.board {
        Board::Users => {
            state.screen.selection_chosen = false;
            state.screen.selected = 0;
            state.screen.selected_key = 0;
        }
        Board::Keys => {
            state.screen.selected_row_key = None;
            state.screen.selected_row = 0;
        }
    }
    state.rebuild_view();
}
