//! Integration tests: one binary, a module per area.
mod cli;
mod emulator;
mod read_cloudwatch_logs;
mod read_ssm_backup;
mod schemas;
mod smoke;
mod validate;
mod write_cloudwatch_logs;
mod write_ssm_backup;
