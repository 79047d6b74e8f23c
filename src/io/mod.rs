//! Files and the one door every change goes through: the [`runner`] (read-only
//! refusal and the write-ahead journal around every IAM change), the
//! [`journal`], the secret, rotation-state and config files (the trusted-file
//! rules once, in [`private_file`]), logging, and [`bulk`] execution.

pub mod bulk;
pub mod config;
pub mod hardening;
pub mod journal;
pub mod logging;
pub mod private_file;
pub mod rotation;
pub mod runner;
pub mod secret_file;
