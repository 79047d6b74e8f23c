#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The one integration-test binary: every suite is a module, so the SDK is
//! linked once (13 binaries used to link it 13 times). Run one suite with
//! `cargo test --test it SUITE::` (e.g. `cargo test --test it faults::`).

mod common;

mod consistency;
mod dialog_transitions;
mod e2e_mutations;
mod e2e_pty;
mod evidence;
mod faults;
mod hostile;
mod hostile_input;
mod inventory_emulator;
mod inventory_paging;
mod inventory_report;
mod jobs;
mod journal_safety;
mod no_color;
mod org;
mod policies;
mod properties;
mod rebound_keys;
mod red_team;
mod render;
mod render_bench;
mod request_count;
mod rotate_safety;
mod selection_and_sort;
mod update_transitions;
mod widths;
mod wizard_safety;
