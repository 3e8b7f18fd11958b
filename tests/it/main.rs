//! Integration tests: one binary, a module per area.
mod emulator;
mod schemas;
mod smoke;
mod validate;
