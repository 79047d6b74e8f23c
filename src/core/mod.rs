//! The model and the rules, with no AWS SDK, tokio, ratatui or crossterm:
//! what a user, key, last use, finding, filter, change and account are. Both
//! drivers (`cli`, `tui`) use it; it imports nothing else of the crate.
//! `.ci/core-alone` compiles and tests it as a crate of its own to keep it so.
//!
//! A new finding goes in [`policy`] (the `Finding` enum, its name and the rule
//! in `Policy::key_findings`): the filter's `is:`, `--fail-on`, `list` and the
//! views pick it up from there.

pub mod change;
pub mod entries;
pub mod error;
pub mod evidence;
pub mod filter;
pub mod inventory;
pub mod key_sort;
pub mod model;
pub mod org;
pub mod policy;
pub mod sanitize;
pub mod wording;

pub use error::{ErrorKind, IamError};
