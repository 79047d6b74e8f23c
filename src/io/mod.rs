//! Files and the one door every change goes through: the runner, the journal,
//! secret, rotation-state and config files, logging.

pub mod bulk;
pub mod config;
pub mod hardening;
pub mod journal;
pub mod logging;
pub mod private_file;
pub mod rotation;
pub mod runner;
pub mod secret_file;
