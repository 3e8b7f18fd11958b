//! Integration tests: one binary, a module per area.
mod emulator;
mod read_cloudwatch_logs;
mod read_ssm_backup;
mod schemas;
mod smoke;
mod validate;
