//! Everything that talks to AWS. Only this module sees SDK types; it hands the
//! rest of the crate plain domain values ([`model`]) and a typed [`IamError`].

pub mod changes;
pub mod client;
pub mod credentials;
pub mod emulator;
pub mod health;
pub mod inventory;
pub mod mfa;
pub mod mfa_prompt;
pub mod mfa_session;
pub mod new_key;
pub mod pace;
pub mod profiles;
pub mod report;
pub mod retries;
pub mod sdk_error;
pub mod session;

pub use crate::core::{ErrorKind, IamError};
pub use client::IamClient;
