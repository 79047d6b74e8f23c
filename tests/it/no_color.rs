//! Issue 20 item 5: under `NO_COLOR` no colour command reaches the terminal,
//! so the reverse and bold that mark the selection and the focused button
//! survive. These tests read the bytes the dashboard sends and replay them
//! through a small terminal model (and, end to end, through the pty's vt100).

use std::collections::HashMap;

use crate::common;

use common::fixtures::sample_state;
use crossterm::style::Colored;
use iamkeys::tui::action::Action;
use iamkeys::tui::state::{Board, State};
use iamkeys::tui::ui::{self, ViewState};
use iamkeys::tui::update::update;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;
use ratatui::{TerminalOptions, Viewport};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Attrs {
    bold: bool,
    dim: bool,
    reverse: bool,
}

/// What a terminal makes of the bytes of one frame.
#[derive(Debug, Default)]
struct Replay {
    cells: HashMap<(u16, u16), (char, Attrs)>,
    /// SGR colour commands seen (38, 48, 39, 49, …).
    colour_commands: usize,
    /// Full resets (`ESC[m`, `ESC[0m`) with text printed after them.
    resets_before_text: usize,
}

impl Replay {
    fn of(bytes: &[u8]) -> Replay {
        let text = String::from_utf8_lossy(bytes);
        let mut replay = Replay::default();
        let (mut row, mut col) = (0u16, 0u16);
        let mut attrs = Attrs::default();
        let mut reset_pending = false;
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '\x1b' {
                if reset_pending {
                    replay.resets_before_text += 1;
                    reset_pending = false;
                }
                replay.cells.insert((row, col), (c, attrs));
                col += 1;
                continue;
            }
            assert_eq!(chars.next(), Some('['), "only CSI sequences are expected");
            let mut params = String::new();
            let final_byte = loop {
                match chars.next() {
                    Some(p) if ('\x40'..='\x7e').contains(&p) => break p,
                    Some(p) => params.push(p),
                    None => panic!("a cut escape sequence"),
                }
            };
            match final_byte {
                'H' => {
                    let mut at = params.split(';').map(|n| n.parse::<u16>().unwrap_or(1));
                    row = at.next().unwrap_or(1) - 1;
                    col = at.next().unwrap_or(1) - 1;
                }
                'm' => {
                    let codes: Vec<&str> = params.split(';').collect();
                    match codes[0] {
                        "" | "0" => {
                            attrs = Attrs::default();
                            reset_pending = true;
                        }
                        "1" => attrs.bold = true,
                        "2" => attrs.dim = true,
                        "22" => (attrs.bold, attrs.dim) = (false, false),
                        "7" => attrs.reverse = true,
                        "27" => attrs.reverse = false,
                        "38" | "48" | "39" | "49" | "58" | "59" => replay.colour_commands += 1,
                        code if code.len() == 2
                            && (code.starts_with('3') || code.starts_with('4')) =>
                        {
                            replay.colour_commands += 1
                        }
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        replay
    }

    /// The row's text from column 0.
    fn line(&self, row: u16, width: u16) -> String {
        (0..width)
            .map(|c| self.cells.get(&(row, c)).map_or(' ', |(ch, _)| *ch))
            .collect()
    }

    fn row_of(&self, needle: &str, width: u16, height: u16) -> u16 {
        (0..height)
            .find(|&r| self.line(r, width).contains(needle))
            .unwrap_or_else(|| panic!("{needle:?} is not on screen"))
    }

    fn attrs(&self, row: u16, col: u16) -> Attrs {
        self.cells
            .get(&(row, col))
            .map_or(Attrs::default(), |(_, a)| *a)
    }
}

/// The bytes one frame of `state` sends to a terminal of `width`×`height`.
fn frame_bytes(state: &State, width: u16, height: u16, monochrome: bool) -> Vec<u8> {
    let sent = Sink::default();
    let backend = CrosstermBackend::new(sent.clone());
    let mut terminal = Terminal::with_options(
        backend,
        TerminalOptions {
            viewport: Viewport::Fixed(Rect::new(0, 0, width, height)),
        },
    )
    .unwrap();
    let mut view = ViewState {
        monochrome,
        ..ViewState::default()
    };
    terminal.draw(|f| ui::draw(f, state, &mut view)).unwrap();
    drop(terminal);
    sent.0.lock().unwrap().clone()
}

/// Where the backend writes: kept to be read after the frame.
#[derive(Clone, Default)]
struct Sink(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Columns `from..to` of `row`, as characters in screen order.
fn span(line: &str, needle: &str) -> (u16, u16) {
    let from = line.chars().position(|c| c == '▶').unwrap_or(0);
    let chars: Vec<char> = line.chars().collect();
    let to = chars
        .iter()
        .rposition(|c| *c == '│' || *c == '┃')
        .unwrap_or(chars.len());
    assert!(line.contains(needle), "{line}");
    (from as u16, to as u16)
}

fn loaded() -> State {
    let mut state = sample_state();
    state.inventory.load.generation = 1;
    state
}

#[test]
fn no_colour_command_is_sent_and_the_selected_rows_and_focused_button_keep_their_attribute() {
    // What crossterm does when NO_COLOR is set: a colour command becomes `ESC[m`.
    Colored::set_ansi_color_disabled(true);
    let (w, h) = (100, 30);
    let mut state = loaded();
    update(&mut state, Action::OpenKeys);

    // The fault: drawn with colours, each colour command resets the row's reverse.
    let coloured = Replay::of(&frame_bytes(&state, w, h, false));
    let row = coloured.row_of("AKIACAROL00000000001", w, h);
    let (from, to) = span(&coloured.line(row, w), "AKIACAROL00000000001");
    assert!(
        (from..to).any(|c| !coloured.attrs(row, c).reverse),
        "the colour frame was expected to lose the reverse under NO_COLOR"
    );
    assert!(coloured.resets_before_text > 0);

    // Without colour: no colour command, no reset inside a run, every cue kept.
    let plain = Replay::of(&frame_bytes(&state, w, h, true));
    assert_eq!(plain.colour_commands, 0);
    assert_eq!(plain.resets_before_text, 0, "a reset inside the frame");
    // The focused keys pane's selected row is reversed from its marker to the border.
    let row = plain.row_of("AKIACAROL00000000001", w, h);
    let line = plain.line(row, w);
    let (from, to) = span(&line, "▶");
    for c in from..to {
        assert!(plain.attrs(row, c).reverse, "column {c} of {line:?}");
    }
    // The users pane, not focused, keeps its selected row bold.
    let row = plain.row_of("▶ carol.ops", w, h);
    let line = plain.line(row, w);
    let (from, to) = span(&line, "carol.ops");
    for c in from..to {
        assert!(plain.attrs(row, c).bold, "column {c} of {line:?}");
    }
    // The inactive key's row is dim (grey, without colour).
    let row = plain.row_of("AKIACAROL00000000002", w, h);
    let col = plain.line(row, w).find("AKIACAROL00000000002").unwrap();
    let col = plain.line(row, w)[..col].chars().count() as u16;
    assert!(plain.attrs(row, col).dim);

    // The focused dialog button is reversed, the other is not.
    update(&mut state, Action::DeleteKey);
    let bytes = frame_bytes(&state, w, h, true);
    let dialog = Replay::of(&bytes);
    assert_eq!(dialog.colour_commands, 0);
    assert_eq!(dialog.resets_before_text, 0);
    let row = dialog.row_of("[ Cancel ]", w, h);
    let line = dialog.line(row, w);
    let at = |needle: &str| line[..line.find(needle).unwrap()].chars().count() as u16;
    let cancel = at("[ Cancel ]");
    for c in cancel..cancel + 10 {
        assert!(dialog.attrs(row, c).reverse, "column {c} of {line:?}");
    }
    let deactivate = at("[ Deactivate ]");
    assert!(!dialog.attrs(row, deactivate + 2).reverse, "{line:?}");

    // The keys view's selected row.
    let mut state = loaded();
    update(&mut state, Action::ShowBoard(Board::Keys));
    let plain = Replay::of(&frame_bytes(&state, 120, 30, true));
    assert_eq!(plain.colour_commands, 0);
    let row = plain.row_of("▶", 120, 30);
    let line = plain.line(row, 120);
    let (from, to) = span(&line, "AKIA");
    for c in from..to {
        assert!(plain.attrs(row, c).reverse, "column {c} of {line:?}");
    }
}

#[test]
fn the_real_binary_under_no_color_sends_no_colour_and_reverses_the_selected_row() {
    let emulator = common::start_emulator(&common::small_org());
    let cwd = tempfile::tempdir().unwrap();
    let tui = common::PtySession::as_outsider(
        &emulator.endpoint,
        &[("NO_COLOR", "1")],
        cwd.path(),
        30,
        120,
    );
    let screen = tui.wait_for("loaded 30 users", std::time::Duration::from_secs(60));
    let row = screen
        .lines()
        .position(|l| l.contains('▶'))
        .unwrap_or_else(|| panic!("no selection marker:\n{screen}")) as u16;
    let cells = tui.row_cells(row);
    let text: String = cells.iter().map(|c| c.text.as_str()).collect();
    let from = cells.iter().position(|c| c.text == "▶").unwrap();
    let to = cells.iter().rposition(|c| c.text == "┃").unwrap();
    for (i, cell) in cells[from..to].iter().enumerate() {
        assert!(
            cell.inverse,
            "cell {} of {text:?} lost its reverse",
            from + i
        );
    }
    for r in 0..30 {
        assert!(
            tui.row_cells(r).iter().all(|c| !c.coloured),
            "row {r} has colour under NO_COLOR"
        );
    }
}
