//! The dashboard driver. [`app`] owns the terminal and the loop; a key goes
//! through the [`keymap`] to an action; [`update`] (pure: no I/O, no clock) is
//! the only code that changes the [`state`] and returns effects; [`tasks`] run
//! them on tokio and post the replies back; [`ui`] draws the state.
//!
//! An in-app profile or account switch is an effect here: a task connects
//! (`aws::session::connect` for a profile, `aws::org::assume_into` for an
//! account) and posts the new session back; `update` swaps it in when its
//! first load arrives.

pub mod action;
pub mod app;
pub mod clipboard;
pub mod dialog;
pub mod keymap;
pub mod screen_mode;
pub mod state;
pub mod tasks;
pub mod tickets;
pub mod ui;
pub mod update;
pub mod wizard;
