//! Attacks that got through the jobs' defences, each pinned by the real
//! binary against the emulator.

use crate::common;

use std::time::Duration;

use iamkeys::emulator::{Seed, SeedKey, SeedUser};

fn one_user_org() -> Seed {
    Seed {
        users: vec![SeedUser {
            name: "red00".into(),
            path: "/red/".into(),
            created_days_ago: 500.0,
            keys: vec![SeedKey {
                status: "Active".into(),
                created_days_ago: 300.0,
                last_used: None,
                description: None,
            }],
        }],
        ..Seed::default()
    }
}

/// A FIFO among the saved rotations (where the dashboard lists the users
/// with a rotation in progress) is skipped, not waited on: the dashboard
/// still quits.
#[test]
fn a_fifo_among_the_saved_rotations_never_keeps_the_dashboard_from_quitting() {
    let emulator = common::start_emulator(&one_user_org());
    let dir = tempfile::tempdir().unwrap();
    let rotations = common::test_state_home().join("iamkeys").join("rotations");
    std::fs::create_dir_all(&rotations).unwrap();
    let fifo = rotations.join("123456789012-red99.json");
    let _ = std::fs::remove_file(&fifo);
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let mut tui = common::PtySession::as_outsider(&emulator.endpoint, &[], dir.path(), 32, 200);
    tui.wait_for("red00", Duration::from_secs(30));
    tui.wait_for("loaded", Duration::from_secs(30));
    tui.send("q");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mut exited = false;
    while !exited && std::time::Instant::now() < deadline {
        exited = tui.exited().is_some();
        std::thread::sleep(Duration::from_millis(100));
    }
    if !exited {
        tui.signal("KILL");
    }
    let _ = std::fs::remove_file(&fifo);
    assert!(exited, "the dashboard hangs on quit: {}", tui.contents());
}
