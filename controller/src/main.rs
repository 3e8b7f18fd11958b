//! The `driftless` command line.
fn main() {}
