//! driftless: ops-as-code for AWS operations, reconciled from git.
