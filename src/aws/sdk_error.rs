//! IAM's and STS's SDK errors as the crate's [`IamError`], keeping IAM's code.

use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_iam::operation::RequestId;

use crate::core::IamError;
use crate::core::error::error_chain;

/// `IamError::from_sdk(…)`: the conversion lives here so the core never sees SDK types.
pub trait FromSdk {
    /// Converts any SDK error, keeping IAM's code where the service sent one.
    fn from_sdk<E, R>(operation: &'static str, err: SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug + 'static,
        SdkError<E, R>: RequestId;
}

impl FromSdk for IamError {
    fn from_sdk<E, R>(operation: &'static str, err: SdkError<E, R>) -> Self
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
        let mut error = IamError::new(operation, code, message);
        error.request_id = request_id.map(|id| crate::core::sanitize::owned(&id));
        tracing::debug!(operation, code = %error.code, request_id = ?error.request_id, "IAM error");
        error
    }
}
