//! Commands without a terminal UI that change IAM: `deactivate`, `delete`,
//! `undo`, `rotate`. They share the dashboard's loader, filter, findings and
//! the runner (the choke point that refuses in read-only mode and journals).

pub mod ask;
pub mod bulk;
pub mod credentials_file;
pub mod rotate;
pub mod undo;

/// Exit codes of the commands that change IAM.
pub const EXIT_OK: u8 = 0;
/// A key (or more) could not be changed, or the load failed.
pub const EXIT_FAILED: u8 = 1;
/// Not confirmed, bad arguments, or refused (read-only mode).
pub const EXIT_REFUSED: u8 = 2;
