//! The account a target's credentials act in (STS GetCallerIdentity), for
//! `${target.accountId}` when driftless.yaml names none. The only place that names
//! `aws_sdk_sts` besides the role assumption aws-config does for `roleArn`.
//!
//! GetCallerIdentity needs no IAM permission (STS API reference: it answers even when
//! a policy denies it), so it is in `iam::CALLS` but in no policy statement.

use super::{AwsError, Clients};

/// The account of `clients`' credentials: asked once, then kept with the clients.
pub async fn account(clients: &Clients) -> Result<String, AwsError> {
    clients
        .account
        .get_or_try_init(|| async {
            let out = clients
                .sts
                .get_caller_identity()
                .send()
                .await
                .map_err(|e| {
                    AwsError::from_sdk(&clients.target, "sts", "GetCallerIdentity", None, e)
                })?;
            out.account.ok_or_else(|| AwsError::Setup {
                target: clients.target.clone(),
                message: "STS GetCallerIdentity named no account".into(),
                hint: "give the target an `accountId` in driftless.yaml".into(),
            })
        })
        .await
        .cloned()
}
