//! The event loop: the only owner of the terminal and the channels. It turns
//! terminal events, ticks and task results into actions, feeds them to
//! `update`, starts the effects it returns on tokio tasks, and draws.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::signal::unix::{SignalKind, signal};

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture, Event,
    EventStream, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEventKind,
};
use futures_util::StreamExt;
use jiff::Timestamp;
use ratatui::DefaultTerminal;
use tokio::sync::mpsc;
use zeroize::Zeroizing;

use crate::aws::IamClient;
use crate::aws::inventory::LoadOptions;
use crate::tui::action::{Action, Effect};
use crate::tui::clipboard::osc52;

use crate::tui::state::State;
use crate::tui::tasks::Tasks;
use crate::tui::ui::{self, ViewState};
use crate::tui::update::update;

const TICK: Duration = Duration::from_millis(250);

/// Set when a background task panicked; the loop then restores nothing itself
/// (main does) but stops drawing and ends with the report.
static PANICKED: AtomicBool = AtomicBool::new(false);
/// Whether the mouse is captured (taken again after a suspend).
static MOUSE: AtomicBool = AtomicBool::new(false);
static PANIC_REPORT: Mutex<Option<String>> = Mutex::new(None);

/// Chains a panic hook, after `ratatui::init`. A panic on the UI thread goes to
/// the previous hooks (ratatui's restores the terminal, color-eyre's reports).
/// A panic in a background task must not restore the terminal from another
/// thread in the middle of a frame: it is recorded, and the loop ends, leaving
/// main to restore the terminal and print it.
pub fn flag_panics() {
    let previous = std::panic::take_hook();
    let ui_thread = std::thread::current().id();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().id() == ui_thread {
            // ratatui's hook (in `previous`) leaves raw mode and the alternate screen.
            let _ = crossterm::execute!(
                std::io::stdout(),
                DisableBracketedPaste,
                DisableMouseCapture
            );
            previous(info);
            return;
        }
        let report = info.to_string().replace('\n', " ");
        tracing::error!(%report, "a background task panicked");
        if let Ok(mut slot) = PANIC_REPORT.lock() {
            slot.get_or_insert(report);
        }
        PANICKED.store(true, Ordering::SeqCst);
    }));
}
/// Results applied before the next frame is drawn, so bursts cost one frame.
const MAX_BATCH: usize = 4096;

/// Takes the terminal: raw mode, the alternate screen, bracketed paste (so a
/// paste arrives as one event, never as keystrokes), and the mouse unless
/// `mouse` is false (`--no-mouse`).
pub fn enter_terminal(mouse: bool) -> std::io::Result<DefaultTerminal> {
    let terminal = ratatui::try_init()?;
    crossterm::execute!(std::io::stdout(), EnableBracketedPaste)?;
    if mouse {
        crossterm::execute!(std::io::stdout(), EnableMouseCapture)?;
    }
    MOUSE.store(mouse, Ordering::SeqCst);
    Ok(terminal)
}

/// Gives the terminal back as it was found. Safe to call more than once.
pub fn leave_terminal() {
    let _ = crossterm::execute!(
        std::io::stdout(),
        DisableBracketedPaste,
        DisableMouseCapture,
        crossterm::cursor::Show
    );
    ratatui::restore();
}

/// Ctrl-Z or SIGTSTP: give the terminal back, stop until SIGCONT (`fg`), then
/// take it again and redraw everything.
#[allow(unsafe_code)]
fn suspend(terminal: &mut DefaultTerminal) -> std::io::Result<()> {
    leave_terminal();
    // SAFETY: raise() has no memory-safety preconditions. SIGSTOP cannot be
    // caught: the process stops here and goes on from here after SIGCONT.
    unsafe {
        libc::raise(libc::SIGSTOP);
    }
    crossterm::terminal::enable_raw_mode()?;
    crossterm::execute!(
        std::io::stdout(),
        crossterm::terminal::EnterAlternateScreen,
        EnableBracketedPaste,
        crossterm::terminal::Clear(crossterm::terminal::ClearType::All)
    )?;
    if MOUSE.load(Ordering::SeqCst) {
        crossterm::execute!(std::io::stdout(), EnableMouseCapture)?;
    }
    terminal.hide_cursor()?;
    // The screen is blank now: an empty frame makes ratatui's idea of it blank
    // too, so the next frame is drawn whole. (`Terminal::clear` would ask the
    // terminal for the cursor position, which not every terminal answers.)
    terminal.draw(|_| {})?;
    Ok(())
}

/// Runs the dashboard until the user quits. Returns the signal that ended it, if one did.
pub async fn run(
    terminal: &mut DefaultTerminal,
    state: State,
    client: IamClient,
    options: LoadOptions,
    journal: crate::io::journal::Journal,
) -> color_eyre::Result<Option<i32>> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let runner = crate::io::runner::Runner {
        client,
        session: state.context.session.clone(),
        journal,
        read_only: state.context.read_only,
        account: state.context.identity.account.clone(),
        caller_arn: state.context.identity.arn.clone(),
    };
    let mut app = App {
        state,
        view: ViewState::default(),
        tasks: Tasks::new(runner, options, tx),
        clipboard: Vec::new(),
        suspend: false,
    };
    let size = terminal.size()?;
    app.dispatch(Action::Resize {
        width: size.width,
        height: size.height,
    });
    app.dispatch(Action::Refresh);

    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(TICK);
    // Asked to stop from outside (kill, a closed terminal): quit cleanly so the terminal is restored.
    let mut terminate = signal(SignalKind::terminate())?;
    let mut hangup = signal(SignalKind::hangup())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut quit_signal = signal(SignalKind::quit())?;
    // Handling SIGTSTP replaces its default (stop at once, terminal left raw).
    let mut stop = signal(SignalKind::from_raw(libc::SIGTSTP))?;
    // An event that arrived right after a burst of keys, handled next.
    let mut pending: Option<Input> = None;
    while !app.state.should_quit {
        if PANICKED.load(Ordering::SeqCst) {
            app.tasks.stop();
            let report = PANIC_REPORT
                .lock()
                .ok()
                .and_then(|r| r.clone())
                .unwrap_or_default();
            return Err(color_eyre::eyre::eyre!(
                "a background task panicked: {report}"
            ));
        }
        if std::mem::take(&mut app.suspend) {
            suspend(terminal)?;
        }
        for sequence in app.clipboard.drain(..) {
            use std::io::Write;
            let backend = terminal.backend_mut();
            backend.write_all(sequence.as_bytes())?;
            backend.flush()?;
        }
        terminal.draw(|frame| ui::draw(frame, &app.state, &mut app.view))?;
        if let Some(input) = pending.take() {
            // The event that ended the last burst.
            app.dispatch(Action::Tick(Timestamp::now()));
            for action in translate(&app.state, &app.view, input) {
                app.dispatch(action);
            }
            continue;
        }
        let action = tokio::select! {
            event = events.next() => match event {
                Some(Ok(event)) => {
                    let input = gather_burst(event, &mut events, &mut pending).await?;
                    // What a key does can depend on the time (a dialog that just opened).
                    app.dispatch(Action::Tick(Timestamp::now()));
                    let mut actions = translate(&app.state, &app.view, input);
                    let last = actions.pop();
                    for action in actions {
                        app.dispatch(action);
                    }
                    last
                }
                Some(Err(err)) => return Err(err.into()),
                None => Some(Action::Quit),
            },
            Some(action) = rx.recv() => Some(action),
            _ = tick.tick() => {
                app.dispatch(Action::IamHealth(app.tasks.health()));
                Some(Action::Tick(Timestamp::now()))
            }
            _ = terminate.recv() => Some(Action::Terminate(libc::SIGTERM)),
            _ = hangup.recv() => Some(Action::Terminate(libc::SIGHUP)),
            _ = interrupt.recv() => Some(Action::Terminate(libc::SIGINT)),
            _ = quit_signal.recv() => Some(Action::Terminate(libc::SIGQUIT)),
            _ = stop.recv() => Some(Action::Suspend),
        };
        if let Some(action) = action {
            app.dispatch(action);
        }
        for _ in 0..MAX_BATCH {
            match rx.try_recv() {
                Ok(action) => app.dispatch(action),
                Err(_) => break,
            }
        }
    }
    app.tasks.stop();
    Ok(app.state.exit_signal)
}

struct App {
    state: State,
    view: ViewState,
    tasks: Tasks,
    /// OSC 52 sequences to write to the terminal before the next frame.
    clipboard: Vec<Zeroizing<String>>,
    /// Suspend before the next frame.
    suspend: bool,
}

impl App {
    fn dispatch(&mut self, action: Action) {
        for effect in update(&mut self.state, action) {
            match effect {
                Effect::CopyToClipboard(text) => self.clipboard.push(osc52(text.expose())),
                Effect::Suspend => self.suspend = true,
                effect => self.tasks.start(effect),
            }
        }
    }
}

/// Keys that follow each other closer than this are a burst: no person types
/// that fast (a key held down repeats every 30 ms or so), a terminal pasting
/// without bracketed paste does.
const BURST_GAP: Duration = Duration::from_millis(3);

/// What came from the terminal: one event, or keys that came in a burst.
#[derive(Debug)]
enum Input {
    Event(Event),
    Burst(Vec<KeyEvent>),
}

/// Reads on after `first` while key presses keep coming within
/// [`BURST_GAP`]; keys already queued together count as a burst too. A
/// non-key event that ends a burst is left in `pending` for the next turn.
async fn gather_burst(
    first: Event,
    events: &mut EventStream,
    pending: &mut Option<Input>,
) -> std::io::Result<Input> {
    let Event::Key(key) = first else {
        return Ok(Input::Event(first));
    };
    if key.kind == KeyEventKind::Release {
        return Ok(Input::Event(first));
    }
    let mut keys = vec![key];
    loop {
        match tokio::time::timeout(BURST_GAP, events.next()).await {
            Ok(Some(Ok(Event::Key(next)))) => {
                if next.kind != KeyEventKind::Release {
                    keys.push(next);
                }
            }
            Ok(Some(Ok(other))) => {
                *pending = Some(Input::Event(other));
                break;
            }
            Ok(Some(Err(err))) => return Err(err),
            // The stream ended, or the burst did: the loop sees the end next turn.
            Ok(None) | Err(_) => break,
        }
    }
    Ok(if keys.len() == 1 {
        Input::Event(Event::Key(key))
    } else {
        Input::Burst(keys)
    })
}

/// The text a burst of keys types: characters, line breaks and tabs; other
/// keys (arrows, Ctrl-x) type nothing.
fn burst_text(keys: &[KeyEvent]) -> String {
    keys.iter()
        .filter(|k| {
            !k.modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
        })
        .filter_map(|k| match k.code {
            KeyCode::Char(c) => Some(c),
            KeyCode::Enter => Some('\n'),
            KeyCode::Tab => Some('\t'),
            _ => None,
        })
        .collect()
}

/// What a burst means: text, as a paste (into the open text field, or
/// ignored with a word on the status line), never commands. Only Ctrl-C
/// keeps its meaning, so a person can always get out.
fn burst_actions(state: &State, keys: &[KeyEvent]) -> Vec<Action> {
    let mut actions = vec![Action::Paste(burst_text(keys))];
    let ctrl_c = keys
        .iter()
        .find(|k| k.code == KeyCode::Char('c') && k.modifiers.contains(KeyModifiers::CONTROL));
    if let Some(&key) = ctrl_c {
        actions.extend(state.context.keymap.action_for(state.input_mode(), key));
    }
    actions
}

/// What terminal input means to the app. A mouse event means what it
/// points at on the last frame drawn.
fn translate(state: &State, view: &ViewState, input: Input) -> Vec<Action> {
    match input {
        Input::Event(event) => translate_event(state, view, event).into_iter().collect(),
        Input::Burst(keys) => burst_actions(state, &keys),
    }
}

fn translate_event(state: &State, view: &ViewState, event: Event) -> Option<Action> {
    match event {
        Event::Key(key) => state.context.keymap.action_for(state.input_mode(), key),
        Event::Resize(width, height) => Some(Action::Resize { width, height }),
        Event::Paste(text) => Some(Action::Paste(text)),
        Event::Mouse(mouse) => {
            let (pane, row) = view.hit(mouse.column, mouse.row)?;
            match mouse.kind {
                MouseEventKind::Down(crossterm::event::MouseButton::Left) => {
                    Some(Action::Click { pane, row: row? })
                }
                MouseEventKind::ScrollDown => Some(Action::Wheel { pane, down: true }),
                MouseEventKind::ScrollUp => Some(Action::Wheel { pane, down: false }),
                _ => None,
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn a_burst_is_text_never_commands() {
        let typed: Vec<KeyEvent> = "hello world"
            .chars()
            .map(|c| key(KeyCode::Char(c), KeyModifiers::NONE))
            .chain([
                key(KeyCode::Enter, KeyModifiers::NONE),
                key(KeyCode::Down, KeyModifiers::NONE),
                key(KeyCode::Char('d'), KeyModifiers::CONTROL),
                key(KeyCode::Char('X'), KeyModifiers::SHIFT),
            ])
            .collect();
        assert_eq!(burst_text(&typed), "hello world\nX");
        let state = State::new(crate::tui::state::Context::default(), Timestamp::UNIX_EPOCH);
        assert_eq!(
            burst_actions(&state, &typed),
            [Action::Paste("hello world\nX".into())]
        );
        // Ctrl-C still quits, after the text.
        let with_ctrl_c = [
            key(KeyCode::Char(' '), KeyModifiers::NONE),
            key(KeyCode::Char('c'), KeyModifiers::CONTROL),
        ];
        assert_eq!(
            burst_actions(&state, &with_ctrl_c),
            [Action::Paste(" ".into()), Action::Quit]
        );
    }
}
