//! A typed IAM error that keeps the AWS error code and message.

use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_iam::operation::RequestId;

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
            code: crate::sanitize::owned(&code),
            message: crate::sanitize::owned(&message),
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

    /// Converts any SDK error, keeping IAM's code where the service sent one.
    pub fn from_sdk<E, R>(operation: &'static str, err: SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug + 'static,
        SdkError<E, R>: RequestId,
    {
        let request_id = err.request_id().map(str::to_string);
        let code = match &err {
            SdkError::ServiceError(service) => {
                // A reply without an error code is not one of IAM's: garbled or foreign.
                service.err().code().unwrap_or("BadResponse").to_string()
            }
            SdkError::TimeoutError(_) => "Timeout".to_string(),
            SdkError::DispatchFailure(_) => "NetworkError".to_string(),
            SdkError::ResponseError(_) => "BadResponse".to_string(),
            SdkError::ConstructionFailure(_) => "InvalidRequest".to_string(),
            _ => "UnknownError".to_string(),
        };
        let message = match &err {
            SdkError::ServiceError(service) => service
                .err()
                .message()
                .map(str::to_string)
                .unwrap_or_else(|| error_chain(&err)),
            _ => error_chain(&err),
        };
        let mut error = Self::new(operation, code, message);
        error.request_id = request_id.map(|id| crate::sanitize::owned(&id));
        tracing::debug!(operation, code = %error.code, request_id = ?error.request_id, "IAM error");
        error
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
