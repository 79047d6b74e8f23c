//! Where the selection goes when the administrator has not chosen yet, and
//! the sort of the table on screen: k9s's habit of starting at the top.

use crate::tui::state::{Board, State};

/// The administrator chose the selected user (moved to it, clicked it,
/// opened its keys): from now on rebuilds keep it selected.
pub(super) fn user_chosen(state: &mut State) {
    state.selection_chosen = true;
}

/// `s`: the next sort column of the table on screen, starting at its first row.
pub(super) fn cycle_sort(state: &mut State) {
    match state.board {
        Board::Users => {
            state.sort.column = state.sort.column.next();
            state.sort.reversed = false;
        }
        Board::Keys => {
            state.key_sort.column = state.key_sort.column.next();
            state.key_sort.reversed = false;
        }
    }
    back_to_the_top(state);
}

/// `S`: the table on screen in reverse, starting at its first row.
pub(super) fn reverse_sort(state: &mut State) {
    match state.board {
        Board::Users => state.sort.reversed = !state.sort.reversed,
        Board::Keys => state.key_sort.reversed = !state.key_sort.reversed,
    }
    back_to_the_top(state);
}

/// After a sort the selection is on the first row of the table on screen.
fn back_to_the_top(state: &mut State) {
    match state.board {
        Board::Users => {
            state.selection_chosen = false;
            state.selected = 0;
            state.selected_key = 0;
        }
        Board::Keys => {
            state.selected_row_key = None;
            state.selected_row = 0;
        }
    }
    state.rebuild_view();
}
