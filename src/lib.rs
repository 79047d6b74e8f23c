//! iamkeys: a terminal dashboard for the access keys of every IAM user.
//! See `DESIGN.md` of the project for the shape: keymap → `update` → effects on
//! tasks → results as actions; `ui` draws `State` and nothing else.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod action;
pub mod app;
pub mod bulk;
pub mod change;
pub mod cli;
pub mod clipboard;
pub mod config;
pub mod dialog;
pub mod emulator;
pub mod entries;
pub mod filter;
pub mod hardening;
pub mod headless;
pub mod iam;
pub mod journal;
pub mod keymap;
pub mod list;
pub mod logging;
pub mod policy;
pub mod private_file;
pub mod rotation;
pub mod runner;
pub mod sanitize;
pub mod screen_mode;
pub mod secret_file;
pub mod state;
pub mod tasks;
pub mod tickets;
pub mod ui;
pub mod update;
pub mod wizard;
