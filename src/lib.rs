//! iamkeys: a terminal dashboard for the access keys of every IAM user.
//! See `DESIGN.md` of the project for the shape: keymap → `update` → effects on
//! tasks → results as actions; `ui` draws `State` and nothing else.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod aws;
pub mod cli;
pub mod core;
pub mod io;
pub mod tickets;
pub mod tui;
