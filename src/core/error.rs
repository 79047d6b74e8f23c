//! A typed IAM error that keeps the AWS error code and message.

/// The code of a change iamkeys refused after re-reading the server.
const PRECONDITION: &str = "PreconditionFailed";

/// Kinds of failure the rest of the app tells apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    AccessDenied,
    NoSuchEntity,
    LimitExceeded,
    Throttled,
    /// The request may not have reached IAM, or its answer was lost (reset, timeout).
    Unreachable,
    /// IAM's 5xx or a garbled reply: worth another try.
    Transient,
    ConcurrentModification,
    /// iamkeys refused: the server's state no longer allows the change.
    Precondition,
    /// The credentials were rejected.
    Credentials,
    Other,
}

impl ErrorKind {
    /// Worth trying a read again: throttling, a dropped connection, a timeout, a 5xx.
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            ErrorKind::Throttled | ErrorKind::Unreachable | ErrorKind::Transient
        )
    }
}

/// A failed IAM (or STS) call: which operation, IAM's error code, and its message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{operation} failed: {code}: {message}")]
pub struct IamError {
    pub operation: &'static str,
    /// IAM's error code (`AccessDenied`, `NoSuchEntity`, `Throttling`, …), or one of
    /// ours for failures that never reached IAM (`NetworkError`, `Timeout`, `BadResponse`).
    pub code: String,
    pub message: String,
    /// IAM's request id, for AWS support and the logs.
    pub request_id: Option<String>,
}

impl IamError {
    pub fn new(
        operation: &'static str,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        let code = code.into();
        let message = message.into();
        Self {
            operation,
            // Codes and messages can come from a hostile endpoint: made safe here, once.
            code: crate::core::sanitize::owned(&code),
            message: crate::core::sanitize::owned(&message),
            request_id: None,
        }
    }

    /// What kind of failure this is; code outside `iam` matches on this, never on code strings.
    pub fn kind(&self) -> ErrorKind {
        match self.code.as_str() {
            "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation" => {
                ErrorKind::AccessDenied
            }
            "NoSuchEntity" => ErrorKind::NoSuchEntity,
            "LimitExceeded" => ErrorKind::LimitExceeded,
            "Throttling"
            | "ThrottlingException"
            | "RequestLimitExceeded"
            | "TooManyRequestsException" => ErrorKind::Throttled,
            "NetworkError" | "Timeout" => ErrorKind::Unreachable,
            "BadResponse" | "ServiceFailure" | "ServiceUnavailable" | "InternalFailure" => {
                ErrorKind::Transient
            }
            "ConcurrentModification" => ErrorKind::ConcurrentModification,
            PRECONDITION => ErrorKind::Precondition,
            "InvalidClientTokenId" | "SignatureDoesNotMatch" | "ExpiredToken" => {
                ErrorKind::Credentials
            }
            _ => ErrorKind::Other,
        }
    }

    /// A refusal of ours: what the server holds no longer allows the change.
    pub fn precondition(operation: &'static str, why: impl Into<String>) -> Self {
        Self::new(operation, PRECONDITION, why)
    }
}

/// An error and its sources as one line (`a: b: c`), each message once.
pub fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(err);
    while let Some(e) = next {
        let text = e
            .to_string()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}
