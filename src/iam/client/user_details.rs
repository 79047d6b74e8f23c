//! What the details dialog shows of a user, read when it opens: groups,
//! policies, MFA devices and the console password.

use super::{IamClient, Pages, no_retries, text, timestamp};
use crate::iam::error::{ErrorKind, IamError};
use crate::iam::model::{ConsolePassword, UserDetails};

/// Pages of names: IAM caps groups (10 a user, raisable) and policies (10–20)
/// far below this even at one name a page.
const NAME_PAGES: usize = 100;

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
        let op = "ListGroupsForUser";
        let mut pages = Pages::new(op, NAME_PAGES);
        let (mut names, mut marker) = (Vec::new(), None);
        loop {
            let _permit = self.permit().await;
            let out = send_read!(
                self,
                self.iam
                    .list_groups_for_user()
                    .user_name(user)
                    .set_marker(marker)
            )
            .map_err(|e| IamError::from_sdk(op, e))?;
            names.extend(out.groups().iter().map(|g| text(g.group_name())));
            match (out.is_truncated(), out.marker()) {
                (true, Some(next)) => marker = Some(pages.next(next)?),
                _ => return Ok(names),
            }
        }
    }

    async fn attached_policies_of(&self, user: &str) -> Result<Vec<String>, IamError> {
        let op = "ListAttachedUserPolicies";
        let mut pages = Pages::new(op, NAME_PAGES);
        let (mut names, mut marker) = (Vec::new(), None);
        loop {
            let _permit = self.permit().await;
            let out = send_read!(
                self,
                self.iam
                    .list_attached_user_policies()
                    .user_name(user)
                    .set_marker(marker)
            )
            .map_err(|e| IamError::from_sdk(op, e))?;
            names.extend(
                out.attached_policies()
                    .iter()
                    .filter_map(|p| p.policy_name())
                    .map(text),
            );
            match (out.is_truncated(), out.marker()) {
                (true, Some(next)) => marker = Some(pages.next(next)?),
                _ => return Ok(names),
            }
        }
    }

    async fn inline_policies_of(&self, user: &str) -> Result<Vec<String>, IamError> {
        let op = "ListUserPolicies";
        let mut pages = Pages::new(op, NAME_PAGES);
        let (mut names, mut marker) = (Vec::new(), None);
        loop {
            let _permit = self.permit().await;
            let out = send_read!(
                self,
                self.iam
                    .list_user_policies()
                    .user_name(user)
                    .set_marker(marker)
            )
            .map_err(|e| IamError::from_sdk(op, e))?;
            names.extend(out.policy_names().iter().map(|n| text(n)));
            match (out.is_truncated(), out.marker()) {
                (true, Some(next)) => marker = Some(pages.next(next)?),
                _ => return Ok(names),
            }
        }
    }

    async fn mfa_devices_of(&self, user: &str) -> Result<Vec<String>, IamError> {
        let op = "ListMFADevices";
        let mut pages = Pages::new(op, NAME_PAGES);
        let (mut serials, mut marker) = (Vec::new(), None);
        loop {
            let _permit = self.permit().await;
            let out = send_read!(
                self,
                self.iam
                    .list_mfa_devices()
                    .user_name(user)
                    .set_marker(marker)
            )
            .map_err(|e| IamError::from_sdk(op, e))?;
            serials.extend(out.mfa_devices().iter().map(|d| text(d.serial_number())));
            match (out.is_truncated(), out.marker()) {
                (true, Some(next)) => marker = Some(pages.next(next)?),
                _ => return Ok(serials),
            }
        }
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
