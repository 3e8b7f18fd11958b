//! Integration tests: one binary, a module per area.
mod emulator;
mod smoke;
mod schemas;
mod validate;
