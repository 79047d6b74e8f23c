//! The dashboard driver: the loop, tasks, the pure `update`, the keymap and the views.

pub mod action;
pub mod app;
pub mod clipboard;
pub mod dialog;
pub mod keymap;
pub mod screen_mode;
pub mod state;
pub mod tasks;
pub mod ui;
pub mod update;
pub mod wizard;
