//! Issue 20 items 2 and 3 on a realistic account at 60×20, 80×24, 120×40 and
//! 200×50, with and without colour: no finding is cut mid-word (whole ones,
//! most urgent first, and `+N`), no name or path is cut without `…`, and a
//! name never reads as another name.

use crate::common;

use common::fixtures::realistic_state;
use iamkeys::core::policy::Finding;
use iamkeys::tui::action::Action;
use iamkeys::tui::state::{Board, State};
use iamkeys::tui::ui::{self, ViewState};
use iamkeys::tui::update::update;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Modifier;

const SIZES: [(u16, u16); 4] = [(60, 20), (80, 24), (120, 40), (200, 50)];

fn render(state: &State, w: u16, h: u16, monochrome: bool) -> (Terminal<TestBackend>, ViewState) {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    let mut view = ViewState {
        monochrome,
        ..ViewState::default()
    };
    terminal.draw(|f| ui::draw(f, state, &mut view)).unwrap();
    (terminal, view)
}

/// Each row and the attributes left on it without colour (R reverse, B bold, D dim).
fn with_attributes(terminal: &Terminal<TestBackend>) -> String {
    let buffer = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..buffer.area.height {
        let (mut line, mut marks) = (String::new(), [false; 3]);
        for x in 0..buffer.area.width {
            let cell = &buffer[(x, y)];
            assert_eq!(
                cell.fg,
                ratatui::style::Color::Reset,
                "a colour without colour"
            );
            line.push_str(cell.symbol());
            for (at, m) in [Modifier::REVERSED, Modifier::BOLD, Modifier::DIM]
                .iter()
                .enumerate()
            {
                marks[at] |= cell.modifier.contains(*m);
            }
        }
        let marks: String = ["R", "B", "D"]
            .iter()
            .zip(marks)
            .filter(|(_, on)| *on)
            .map(|(m, _)| *m)
            .collect();
        out.push_str(&format!("{line}|{marks}\n"));
    }
    out
}

fn tokens(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| c.is_whitespace() || "│┃,()“”|".contains(c))
        .filter(|t| t.chars().count() >= 3)
}

/// No word on screen is the start of a finding, a user name or a path
/// without being one itself or ending in `…`.
fn assert_nothing_cut(text: &str, state: &State) {
    let mut whole: Vec<String> = Finding::ALL
        .iter()
        .flat_map(|f| [f.name().to_string(), f.short().to_string()])
        .collect();
    for u in &state.inventory.users {
        whole.push(u.user.name.clone());
        whole.push(u.user.path.clone());
    }
    // Words of the screen that begin like a name.
    whole.extend(
        [
            "iamkeys", "never", "inactive", "exempt", "root", "iam", "this",
        ]
        .map(String::from),
    );
    for token in tokens(text) {
        if token.contains('…') || whole.iter().any(|w| w == token) {
            continue;
        }
        for w in &whole {
            assert!(
                !w.starts_with(token),
                "{token:?} is {w:?} cut without …:\n{text}"
            );
        }
    }
}

/// Each key row names its own owner whole (or cut with `…`), never another user.
fn assert_rows_name_their_owner(text: &str, state: &State) {
    for u in &state.inventory.users {
        for e in u.key_entries() {
            let Some(line) = text.lines().find(|l| l.contains(&e.key.id)) else {
                continue;
            };
            let name = &u.user.name;
            let shown = tokens(line).next().unwrap_or_default();
            if shown.starts_with("AKIA") {
                continue; // the keys pane: no owner column
            }
            assert!(
                names(shown, name),
                "{} is shown as {shown:?}:\n{line}",
                name
            );
        }
    }
}

/// The users table's rows: each names its user whole or cut with `…`.
fn assert_users_rows_whole(text: &str, state: &State, view: &ViewState, rows: usize) {
    let lines: Vec<&str> = text.lines().collect();
    for (i, &at) in state
        .screen
        .view
        .iter()
        .skip(view.users_offset)
        .take(rows)
        .enumerate()
    {
        let name = &state.inventory.users[at].user.name;
        let line = lines[5 + i];
        let shown = tokens(line.trim_start_matches(['┃', '│', '▶', ' ']))
            .next()
            .unwrap_or_default();
        assert!(names(shown, name), "{name} is shown as {shown:?}:\n{line}");
    }
}

/// Whether `shown` is `name`, whole or cut with `…` (its start and its end).
fn names(shown: &str, name: &str) -> bool {
    match shown.split_once('…') {
        None => shown == name,
        Some((head, tail)) => {
            name.starts_with(head) && name.ends_with(tail) && head.len() + tail.len() < name.len()
        }
    }
}

fn on_user(state: &mut State, name: &str) {
    while state.selected_user().unwrap().user.name != name {
        update(state, Action::Move(iamkeys::tui::action::Motion::Down));
    }
    update(state, Action::OpenKeys);
}

#[test]
fn the_users_view_at_every_size_cuts_nothing_without_an_ellipsis() {
    for (w, h) in SIZES {
        let mut state = realistic_state();
        on_user(&mut state, "ivan.smith-00115");
        let (terminal, view) = render(&state, w, h, false);
        let text = terminal.backend().to_string();
        assert_nothing_cut(&text, &state);
        assert_rows_name_their_owner(&text, &state);
        assert_users_rows_whole(
            &text,
            &state,
            &view,
            ui::users_table_rows(h).min(state.screen.view.len()),
        );
        assert!(text.contains("AKIAIVAN115000000001"), "{text}");
        insta::assert_snapshot!(format!("widths_users_{w}x{h}"), terminal.backend());
        let (plain, _) = render(&state, w, h, true);
        let plain = with_attributes(&plain);
        assert_nothing_cut(&plain, &state);
        insta::assert_snapshot!(format!("widths_users_{w}x{h}_no_color"), plain);
    }
}

#[test]
fn the_keys_view_at_every_size_cuts_nothing_without_an_ellipsis() {
    for (w, h) in SIZES {
        let mut state = realistic_state();
        update(&mut state, Action::ShowBoard(Board::Keys));
        let (terminal, _) = render(&state, w, h, false);
        let text = terminal.backend().to_string();
        assert_nothing_cut(&text, &state);
        assert_rows_name_their_owner(&text, &state);
        insta::assert_snapshot!(format!("widths_keys_{w}x{h}"), terminal.backend());
        let (plain, _) = render(&state, w, h, true);
        let plain = with_attributes(&plain);
        assert_nothing_cut(&plain, &state);
        insta::assert_snapshot!(format!("widths_keys_{w}x{h}_no_color"), plain);
    }
}

#[test]
fn findings_that_do_not_fit_are_whole_most_urgent_first_with_a_count() {
    let row_of = |state: &State, w, h| {
        let (terminal, _) = render(state, w, h, false);
        let text = terminal.backend().to_string();
        text.lines()
            .find(|l| l.contains("AKIAIVAN115000000001"))
            .unwrap()
            .to_string()
    };
    let mut state = realistic_state();
    update(&mut state, Action::ShowBoard(Board::Keys));
    // never-used, unused, rotation-due, two-active: at 60 columns the most
    // urgent that fits is shown (never-used is said by the last-used
    // column), the rest counted.
    let row = row_of(&state, 60, 20);
    assert!(
        row.contains("idle +2") || row.contains("unused +2"),
        "{row}"
    );
    update(&mut state, Action::ShowBoard(Board::Users));
    on_user(&mut state, "ivan.smith-00115");
    let row = row_of(&state, 200, 50);
    assert!(
        row.contains("never-used, unused, rotation-due, two-active"),
        "{row}"
    );
}

/// Item 8: the bulk plan fits the screen, scrolls with j/k/PgDn while the
/// count field keeps its text, and no key line wraps.
#[test]
fn the_bulk_plan_scrolls_while_the_count_keeps_its_text_and_no_line_wraps() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use iamkeys::tui::dialog::Dialog;
    let key = |code| Action::DialogEdit(KeyEvent::new(code, KeyModifiers::NONE));
    let mut state = realistic_state();
    update(&mut state, Action::ShowBoard(Board::Keys));
    update(&mut state, Action::MarkAll);
    update(
        &mut state,
        Action::BulkStart(iamkeys::io::bulk::BulkKind::Deactivate),
    );
    let Some(Dialog::BulkPlan(plan)) = &state.screen.dialog else {
        panic!("{:?}", state.screen.dialog);
    };
    let count = plan.lines.len();
    let ids: Vec<String> = plan.lines.iter().map(|l| l.key_id.clone()).collect();
    assert!(count > 10, "{count}");
    update(&mut state, key(KeyCode::Char('1')));
    for (w, h) in SIZES {
        let (terminal, _) = render(&state, w, h, false);
        let text = terminal.backend().to_string();
        // The count of what is not shown is on screen, and no key line wraps:
        // each id shown has its user on the same line.
        assert!(text.contains(&format!(" of {count}")), "{w}x{h}:\n{text}");
        for line in &plan_lines(&state) {
            if let Some(row) = text.lines().find(|l| l.contains(&line.0)) {
                let user_start: String = line.1.chars().take(6).collect();
                assert!(row.contains(&user_start), "{w}x{h}: {row}");
            }
        }
        assert_nothing_cut(&dialog_text(&text), &state);
    }
    insta::assert_snapshot!("bulk_plan_60x20", render(&state, 60, 20, false).0.backend());
    // j, PgDn scroll; the field keeps "1".
    let shown_first = |state: &State| {
        let (terminal, _) = render(state, 60, 20, false);
        let text = terminal.backend().to_string();
        ids.iter()
            .position(|id| text.contains(id.as_str()))
            .unwrap()
    };
    assert_eq!(shown_first(&state), 0);
    update(&mut state, key(KeyCode::Char('j')));
    assert_eq!(shown_first(&state), 1);
    update(&mut state, key(KeyCode::PageDown));
    assert!(shown_first(&state) > 1);
    update(&mut state, key(KeyCode::Char('k')));
    let Some(Dialog::BulkPlan(plan)) = &state.screen.dialog else {
        panic!()
    };
    assert_eq!(plan.typed.value(), "1", "the count keeps its text");
    // A day is a day.
    let day = plan
        .lines
        .iter()
        .find(|l| l.user == "ivan.smith-001")
        .unwrap();
    assert!(day.last_use.starts_with("1 day ago"), "{}", day.last_use);
}

/// The text inside the dialog's box (what is under it is cut by its border).
fn dialog_text(text: &str) -> String {
    let lines: Vec<Vec<char>> = text.lines().map(|l| l.chars().collect()).collect();
    let (top, left) = lines
        .iter()
        .enumerate()
        .find_map(|(y, l)| l.iter().position(|c| *c == '┌').map(|x| (y, x)))
        .unwrap();
    let right = left + lines[top][left..].iter().position(|c| *c == '┐').unwrap();
    lines[top + 1..]
        .iter()
        .take_while(|l| l.get(left) == Some(&'│'))
        .map(|l| l[left + 1..right].iter().collect::<String>() + "\n")
        .collect()
}

fn plan_lines(state: &State) -> Vec<(String, String)> {
    match &state.screen.dialog {
        Some(iamkeys::tui::dialog::Dialog::BulkPlan(plan)) => plan
            .lines
            .iter()
            .map(|l| (l.key_id.clone(), l.user.clone()))
            .collect(),
        _ => Vec::new(),
    }
}
