//! The model and the rules, with no AWS SDK, tokio, ratatui or crossterm:
//! what a user, key, last use, finding, filter and change are. Both drivers use it.

pub mod change;
pub mod entries;
pub mod error;
pub mod filter;
pub mod model;
pub mod policy;
pub mod sanitize;

pub use error::{ErrorKind, IamError};
