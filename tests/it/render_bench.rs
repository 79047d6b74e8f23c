//! Benchmark, not a test: one frame's render time and the cost of moving,
//! filtering and sorting with 10,000 users loaded. Prints figures; asserts no
//! timings. Run it optimised:
//!
//!     cargo test --release --test it render_bench -- --ignored --nocapture

use crate::common;

use std::time::{Duration, Instant};

use common::fixtures::{self, now};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use iamkeys::core::model::KeyStatus;
use iamkeys::tui::action::{Action, Motion};
use iamkeys::tui::state::{Fetch, State};
use iamkeys::tui::ui::{self, ViewState};
use iamkeys::tui::update::update;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn big_state(users: usize) -> State {
    let mut state = State::new(fixtures::context(), now());
    let entries = (0..users)
        .map(|i| {
            let name = format!("user{i:05}");
            let keys = (0..(i % 3))
                .map(|k| {
                    fixtures::key(
                        &name,
                        &format!("AKIA{i:010}{k:06}"),
                        if k == 0 {
                            KeyStatus::Active
                        } else {
                            KeyStatus::Inactive
                        },
                        (i % 2000) as i64,
                        (i % 7 != 0).then_some(((i % 400) as i64, "s3", "eu-west-1")),
                    )
                })
                .collect();
            fixtures::entry(fixtures::user(&name, "/bench/", 3000), Fetch::Ready(keys))
        })
        .collect();
    state.set_users(entries);
    update(
        &mut state,
        Action::Resize {
            width: 160,
            height: 50,
        },
    );
    state
}

fn time<R>(runs: u32, mut f: impl FnMut() -> R) -> Duration {
    let started = Instant::now();
    for _ in 0..runs {
        std::hint::black_box(f());
    }
    started.elapsed() / runs
}

#[test]
#[ignore = "benchmark: run with --release -- --ignored --nocapture"]
fn frame_and_interaction_costs_with_10000_users() {
    let mut state = big_state(10_000);
    let mut terminal = Terminal::new(TestBackend::new(160, 50)).unwrap();
    let mut view = ViewState::default();
    let frame = time(200, || {
        terminal.draw(|f| ui::draw(f, &state, &mut view)).unwrap();
    });
    let step = time(1000, || update(&mut state, Action::Move(Motion::Down)));
    let sort = time(20, || update(&mut state, Action::CycleSort));
    update(&mut state, Action::StartFilter);
    let key = |c| Action::FilterEdit(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
    let backspace = Action::FilterEdit(KeyEvent::new(KeyCode::Backspace, KeyModifiers::NONE));
    let filter = time(20, || {
        update(&mut state, key('9'));
        update(&mut state, backspace.clone());
    }) / 2;
    println!(
        "10,000 users, 160x50: frame {frame:?}, move {step:?}, sort {sort:?}, filter keystroke {filter:?}"
    );
}
