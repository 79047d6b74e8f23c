//! The event loop: the only owner of the terminal and the channels. It turns
//! terminal events, ticks and task results into actions, feeds them to
//! `update`, starts the effects it returns on tokio tasks, and draws.

use std::time::Duration;

use crossterm::event::{Event, EventStream};
use futures_util::StreamExt;
use jiff::Timestamp;
use ratatui::DefaultTerminal;
use tokio::sync::mpsc::{self, UnboundedSender};
use tokio::task::JoinHandle;

use crate::action::{Action, Effect};
use crate::iam::{IamClient, inventory};
use crate::keymap;
use crate::state::State;
use crate::ui::{self, ViewState};
use crate::update::update;

const TICK: Duration = Duration::from_millis(250);
/// Results applied before the next frame is drawn, so bursts cost one frame.
const MAX_BATCH: usize = 4096;

/// Runs the dashboard until the user quits.
pub async fn run(
    terminal: &mut DefaultTerminal,
    state: State,
    client: IamClient,
    concurrency: usize,
) -> color_eyre::Result<()> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut app = App {
        state,
        view: ViewState::default(),
        tasks: Tasks {
            client,
            concurrency,
            tx,
            loader: None,
        },
    };
    let size = terminal.size()?;
    app.dispatch(Action::Resize {
        width: size.width,
        height: size.height,
    });
    app.dispatch(Action::Refresh);

    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(TICK);
    while !app.state.should_quit {
        terminal.draw(|frame| ui::draw(frame, &app.state, &mut app.view))?;
        let action = tokio::select! {
            event = events.next() => match event {
                Some(Ok(event)) => translate(&app.state, event),
                Some(Err(err)) => return Err(err.into()),
                None => Some(Action::Quit),
            },
            Some(action) = rx.recv() => Some(action),
            _ = tick.tick() => Some(Action::Tick(Timestamp::now())),
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
    Ok(())
}

struct App {
    state: State,
    view: ViewState,
    tasks: Tasks,
}

impl App {
    fn dispatch(&mut self, action: Action) {
        for effect in update(&mut self.state, action) {
            self.tasks.start(effect, self.state.now);
        }
    }
}

/// What a terminal event means to the app.
fn translate(state: &State, event: Event) -> Option<Action> {
    match event {
        Event::Key(key) => keymap::action_for(state.mode, key),
        Event::Resize(width, height) => Some(Action::Resize { width, height }),
        _ => None,
    }
}

/// Background work: every effect runs on its own tokio task and posts its
/// results back through `tx`.
struct Tasks {
    client: IamClient,
    concurrency: usize,
    tx: UnboundedSender<Action>,
    loader: Option<JoinHandle<()>>,
}

impl Tasks {
    fn start(&mut self, effect: Effect, _now: Timestamp) {
        match effect {
            Effect::LoadInventory { generation } => {
                // A newer load supersedes the old one: stop its requests.
                self.stop();
                let tx = self.tx.clone();
                tracing::info!(generation, "loading inventory");
                self.loader = Some(tokio::spawn(inventory::load(
                    self.client.clone(),
                    self.concurrency,
                    move |event| {
                        // The receiver only goes away when the app is quitting.
                        let _ = tx.send(Action::Inventory { generation, event });
                    },
                )));
            }
        }
    }

    fn stop(&mut self) {
        if let Some(loader) = self.loader.take() {
            loader.abort();
        }
    }
}
