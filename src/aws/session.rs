//! Connecting: build the SDK configuration from the standard credential chain
//! (or the demo's emulator), then check it before any screen opens.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_iam::config::{Credentials, ProvideCredentials};

use super::client::IamClient;
use super::credentials::ResolvedOnce;
use super::mfa::TerminalPrompt;
use super::profiles::Profiles;
use crate::core::error::error_chain;
use crate::core::model::{SessionKeys, user_of_arn};
use crate::tui::state::Context;

/// Where to connect. Everything left `None` comes from the standard chain
/// (`AWS_*` variables, `~/.aws/config` and `credentials`, SSO, assume-role, IMDS).
#[derive(Clone, Debug, Default)]
pub struct Target {
    pub profile: Option<String>,
    pub region: Option<String>,
    pub endpoint: Option<String>,
    /// Fixed credentials (the demo's emulator user); `None` uses the chain.
    pub static_credentials: Option<(String, String)>,
}

/// A failure before the dashboard opens: one line of what went wrong and a hint.
#[derive(Debug, thiserror::Error)]
#[error("{what}\n  hint: {hint}")]
pub struct StartupError {
    pub what: String,
    pub hint: String,
}

impl StartupError {
    fn new(what: impl Into<String>, hint: impl Into<String>) -> Self {
        Self {
            what: what.into(),
            hint: hint.into(),
        }
    }
}

/// Resolves configuration and credentials and asks STS who we are.
pub async fn connect(target: &Target) -> Result<(IamClient, Context), StartupError> {
    let profiles = Profiles::load().await.map_err(|err| {
        StartupError::new(
            format!("cannot read the AWS config files: {err}"),
            "fix the file named above ([profile NAME] sections of `key = value` lines), \
             or point AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE at good ones",
        )
    })?;
    let from_env_profile = std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty());
    // The profile the SDK will use: `--profile`, else AWS_PROFILE, else `default`.
    let selected = target
        .profile
        .clone()
        .or_else(|| from_env_profile.clone())
        .unwrap_or_else(|| "default".to_string());
    if target.static_credentials.is_none()
        && let Some(named) = target.profile.as_ref().or(from_env_profile.as_ref())
    {
        // A profile that does not exist would fall through the chain to the
        // instance metadata service: on EC2, the instance role, quietly.
        profiles
            .check_exists(named)
            .map_err(|what| StartupError::new(what, profile_hint(target)))?;
    }

    let mut loader = aws_config::defaults(BehaviorVersion::latest()).timeout_config(
        TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(3))
            .operation_attempt_timeout(Duration::from_secs(20))
            // All attempts of one request together: an IAM that accepts
            // connections and never answers is reported within this.
            .operation_timeout(Duration::from_secs(30))
            .build(),
    );
    let user_retries = profiles.sets_retries(&selected);
    if !user_retries {
        loader = loader.retry_config(RetryConfig::standard().with_max_attempts(DEFAULT_ATTEMPTS));
    }
    if let Some(profile) = &target.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = &target.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(endpoint) = &target.endpoint {
        loader = loader.endpoint_url(endpoint);
    }
    if let Some((id, secret)) = &target.static_credentials {
        loader =
            loader.credentials_provider(Credentials::new(id, secret, None, None, "iamkeys-demo"));
    }
    let config = loader.load().await;
    let region = config.region().map(|r| r.to_string()).ok_or_else(|| {
        StartupError::new(
            "no AWS region is configured",
            "pass --region (IAM is global: any region of your partition works, e.g. us-east-1) or set AWS_REGION",
        )
    })?;

    let (provider, from_profile) =
        credentials_provider(target, &profiles, &selected, &config).await?;
    let provider = ResolvedOnce::new(provider);
    let credentials = provider.provide_credentials().await.map_err(|e| {
        StartupError::new(
            format!(
                "cannot load AWS credentials: {}",
                credentials_failure(target, &selected, &e)
            ),
            credentials_hint(target),
        )
    })?;
    let config = config
        .to_builder()
        .credentials_provider(SharedCredentialsProvider::new(provider))
        // Renewing a session may wait for a person to type an MFA code: the
        // requests wait with it (the SDK gives a load 5 s by default).
        .identity_cache(
            aws_config::identity::IdentityCache::lazy()
                .load_timeout(std::time::Duration::from_secs(15 * 60))
                .build(),
        )
        .build();
    let mut client = IamClient::from_config(&config);
    if user_retries {
        client.set_user_attempts(config.retry_config().map(|r| r.max_attempts()));
    }
    let identity = client.caller_identity().await.map_err(|e| {
        let hint = match e.code.as_str() {
            "NetworkError" | "Timeout" => format!(
                "check the network and {}",
                target
                    .endpoint
                    .as_deref()
                    .map_or("the region".to_string(), |url| format!("that {url} is reachable"))
            ),
            "InvalidClientTokenId" | "SignatureDoesNotMatch" | "ExpiredToken" => {
                "the credentials were rejected: refresh them (aws sso login, new keys) or pick another --profile".to_string()
            }
            _ => "check the credentials and their permissions (sts:GetCallerIdentity)".to_string(),
        };
        StartupError::new(format!("cannot reach AWS: {e}"), hint)
    })?;
    let session = SessionKeys {
        signing: Some(credentials.access_key_id().to_string()),
        source: from_profile
            .then(|| profiles.source_key(&selected))
            .flatten(),
        user: user_of_arn(&identity.arn).map(str::to_string),
    };
    let context = Context {
        identity,
        profile: target.profile.clone().or(from_env_profile),
        region: Some(region),
        endpoint: target.endpoint.clone(),
        session,
        read_only: false,
        policy: Default::default(),
        keymap: Default::default(),
    };
    Ok((client, context))
}

/// Attempts per request (the first and three retries) unless the user set their own.
const DEFAULT_ATTEMPTS: u32 = 4;

/// The provider the session signs with, and whether it comes from the profile
/// files (so that a `source_profile` key stands behind it).
///
/// As in the AWS CLI, a profile named with `--profile` wins over credentials
/// in the environment; a role profile with `mfa_serial` asks for a code.
async fn credentials_provider(
    target: &Target,
    profiles: &Profiles,
    selected: &str,
    config: &aws_config::SdkConfig,
) -> Result<(SharedCredentialsProvider, bool), StartupError> {
    let chain = || {
        config.credentials_provider().ok_or_else(|| {
            StartupError::new(
                "no AWS credentials provider is configured",
                credentials_hint(target),
            )
        })
    };
    if target.static_credentials.is_some() {
        return Ok((chain()?, false));
    }
    let env_has_keys = std::env::var("AWS_ACCESS_KEY_ID").is_ok_and(|v| !v.is_empty());
    if target.profile.is_none() && env_has_keys {
        return Ok((chain()?, false));
    }
    if let Some(role) = profiles.role(selected)
        && let Some(serial) = role.mfa_serial.clone()
    {
        let source = match &role.source_profile {
            // Its own source (aws-sdk-rust#527): its static keys sign
            // AssumeRole, with the MFA code, as the AWS CLI does. The profile
            // provider would assume the role itself first, without MFA.
            Some(source) if source == selected => match profiles.static_keys(source) {
                Some(keys) => SharedCredentialsProvider::new(keys),
                None => {
                    return Err(StartupError::new(
                        format!(
                            "profile '{selected}' is its own source_profile but holds no aws_access_key_id and aws_secret_access_key"
                        ),
                        "put the long-term key in the profile, or name another source_profile",
                    ));
                }
            },
            Some(source) => profile_provider(config, source),
            None => {
                return Err(StartupError::new(
                    format!("profile '{selected}' needs MFA but names no source_profile"),
                    "iamkeys asks for MFA codes for role profiles with source_profile; for credential_source, \
                     assume the role first (aws sts assume-role) and export the credentials",
                ));
            }
        };
        let credentials = super::mfa::assume_role(config, source.clone(), &role, &serial, &mut TerminalPrompt)
            .await
            .map_err(|what| {
                StartupError::new(
                    format!("cannot assume the role of profile '{selected}': {what}"),
                    format!(
                        "run iamkeys in a terminal to type the code for {serial}, or refresh the AWS CLI's cache (aws sts get-caller-identity --profile {selected})"
                    ),
                )
            })?;
        // Renewed with a new code before it expires (see mfa_session).
        let renewing = super::mfa_session::MfaRoleProvider::new(
            config.clone(),
            source,
            role,
            serial,
            credentials,
        );
        return Ok((SharedCredentialsProvider::new(renewing), true));
    }
    match &target.profile {
        Some(profile) => Ok((profile_provider(config, profile), true)),
        None => Ok((chain()?, profiles.role(selected).is_some())),
    }
}

/// The credentials of profile `name` alone (no environment variables first).
fn profile_provider(config: &aws_config::SdkConfig, name: &str) -> SharedCredentialsProvider {
    let provider_config = aws_config::provider_config::ProviderConfig::default()
        .with_region(config.region().cloned());
    SharedCredentialsProvider::new(
        aws_config::profile::ProfileFileCredentialsProvider::builder()
            .configure(&provider_config)
            .profile_name(name)
            .build(),
    )
}

/// The credential chain reports every provider it tried, the last (instance
/// metadata) first; say the cause that matters first.
fn credentials_failure(
    target: &Target,
    selected: &str,
    err: &(dyn std::error::Error + 'static),
) -> String {
    let full = error_chain(err);
    if full.contains("FeatureNotEnabled")
        || full.contains("feature") && full.contains("not enabled")
    {
        return format!(
            "profile '{selected}' needs a credential source this build of iamkeys lacks: {full}"
        );
    }
    match &target.profile {
        Some(p) if full.contains(&format!("profile `{p}` was not defined")) => {
            format!("profile '{p}' is not defined in the AWS config or credentials files")
        }
        _ if full.contains("no credentials found in chain")
            || full.contains("IMDS is disabled")
            || full.contains("no providers in chain provided credentials") =>
        {
            format!(
                "no credentials found: no AWS_ACCESS_KEY_ID in the environment, no credentials for profile '{selected}' \
                 in the AWS config or credentials files, no web identity or container credentials, \
                 and instance metadata {}",
                if std::env::var("AWS_EC2_METADATA_DISABLED")
                    .is_ok_and(|v| v.eq_ignore_ascii_case("true"))
                {
                    "is disabled (AWS_EC2_METADATA_DISABLED)"
                } else {
                    "gave none"
                }
            )
        }
        _ => full,
    }
}

fn profile_hint(target: &Target) -> String {
    match &target.profile {
        Some(p) => format!(
            "`aws configure list-profiles` lists the profiles; add [profile {p}] to ~/.aws/config to make one"
        ),
        None => "AWS_PROFILE names it: unset AWS_PROFILE or set it to one of the profiles listed"
            .to_string(),
    }
}

fn credentials_hint(target: &Target) -> String {
    match &target.profile {
        Some(p) => format!(
            "check that profile '{p}' exists in ~/.aws/config or ~/.aws/credentials (aws configure list-profiles), or run `aws sso login --profile {p}`"
        ),
        None => "set AWS_PROFILE or pass --profile, export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or try `iamkeys --demo`".to_string(),
    }
}
