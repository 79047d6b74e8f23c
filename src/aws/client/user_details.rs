//! What the details dialog shows of a user, read when it opens: groups,
//! policies, MFA devices and the console password.

use super::{IamClient, Pages, no_retries, text, timestamp};
use crate::aws::sdk_error::FromSdk;
use crate::core::error::{ErrorKind, IamError};
use crate::core::model::{ConsolePassword, UserDetails};

/// Pages of names: IAM caps groups (10 a user, raisable) and policies (10–20)
/// far below this even at one name a page.
const NAME_PAGES: usize = 100;

/// Every page of a Marker/IsTruncated listing of names: `$request(marker)`
/// builds the request, `$names(&output)` takes the names out of a page.
macro_rules! names {
    ($client:expr, $op:expr, |$marker:ident| $request:expr, |$out:ident| $names:expr) => {{
        let op = $op;
        let mut pages = Pages::new(op, NAME_PAGES);
        let mut all = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let _permit = $client.permit().await;
            let $marker = marker.take();
            let $out = send_read!($client, $request).map_err(|e| IamError::from_sdk(op, e))?;
            all.extend($names);
            match ($out.is_truncated(), $out.marker()) {
                (true, Some(next)) => marker = Some(pages.next(next)?),
                _ => return Ok(all),
            }
        }
    }};
}

impl IamClient {
    /// Reads `user`'s groups, attached and inline policy names, MFA devices,
    /// and whether it has a console password and when it was last used.
    pub async fn user_details(&self, user: &str) -> Result<UserDetails, IamError> {
        let (groups, attached, inline, mfa, console) = tokio::try_join!(
            self.groups_of(user),
            self.attached_policies_of(user),
            self.inline_policies_of(user),
            self.mfa_devices_of(user),
            self.console_password_of(user),
        )?;
        Ok(UserDetails {
            groups,
            attached_policies: attached,
            inline_policies: inline,
            mfa_devices: mfa,
            console,
        })
    }

    async fn groups_of(&self, user: &str) -> Result<Vec<String>, IamError> {
        names!(
            self,
            "ListGroupsForUser",
            |marker| self
                .iam
                .list_groups_for_user()
                .user_name(user)
                .set_marker(marker),
            |out| out
                .groups()
                .iter()
                .map(|g| text(g.group_name()))
                .collect::<Vec<_>>()
        )
    }

    async fn attached_policies_of(&self, user: &str) -> Result<Vec<String>, IamError> {
        names!(
            self,
            "ListAttachedUserPolicies",
            |marker| self
                .iam
                .list_attached_user_policies()
                .user_name(user)
                .set_marker(marker),
            |out| out
                .attached_policies()
                .iter()
                .filter_map(|p| p.policy_name())
                .map(text)
                .collect::<Vec<_>>()
        )
    }

    async fn inline_policies_of(&self, user: &str) -> Result<Vec<String>, IamError> {
        names!(
            self,
            "ListUserPolicies",
            |marker| self
                .iam
                .list_user_policies()
                .user_name(user)
                .set_marker(marker),
            |out| out
                .policy_names()
                .iter()
                .map(|n| text(n))
                .collect::<Vec<_>>()
        )
    }

    async fn mfa_devices_of(&self, user: &str) -> Result<Vec<String>, IamError> {
        names!(
            self,
            "ListMFADevices",
            |marker| self
                .iam
                .list_mfa_devices()
                .user_name(user)
                .set_marker(marker),
            |out| out
                .mfa_devices()
                .iter()
                .map(|d| text(d.serial_number()))
                .collect::<Vec<_>>()
        )
    }

    /// GetLoginProfile says whether a console password exists (NoSuchEntity:
    /// none); GetUser says when it was last used.
    async fn console_password_of(&self, user: &str) -> Result<ConsolePassword, IamError> {
        let op = "GetLoginProfile";
        let profile = {
            let _permit = self.permit().await;
            send_read!(self, self.iam.get_login_profile().user_name(user))
                .map_err(|e| IamError::from_sdk(op, e))
        };
        match profile {
            Err(err) if err.kind() == ErrorKind::NoSuchEntity => return Ok(ConsolePassword::None),
            Err(err) => return Err(err),
            Ok(_) => {}
        }
        let op = "GetUser";
        let _permit = self.permit().await;
        let out = send_read!(self, self.iam.get_user().user_name(user))
            .map_err(|e| IamError::from_sdk(op, e))?;
        let last_used = match out.user().and_then(|u| u.password_last_used()) {
            Some(at) => Some(timestamp(op, at)?),
            None => None,
        };
        Ok(ConsolePassword::Enabled { last_used })
    }
}

impl IamClient {
    /// The ARN of `user` (GetUser).
    pub async fn user_arn(&self, user: &str) -> Result<String, IamError> {
        let op = "GetUser";
        let _permit = self.permit().await;
        let out = send_read!(self, self.iam.get_user().user_name(user))
            .map_err(|e| IamError::from_sdk(op, e))?;
        out.user()
            .map(|u| text(u.arn()))
            .ok_or_else(|| IamError::new(op, "BadResponse", "the reply holds no user"))
    }
}
