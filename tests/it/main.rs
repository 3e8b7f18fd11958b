//! Integration tests: one binary, a module per area.
mod cli;
mod emulator;
mod fixtures;
mod git_http;
mod git_https;
mod git_source;
mod git_ssh;
mod notify;
mod read_cloudwatch_logs;
mod read_ssm_backup;
mod schemas;
mod smoke;
mod state;
mod validate;
mod write_cloudwatch_logs;
mod write_ssm_backup;
