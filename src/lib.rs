//! rtdoctor's engine, as a library for the `rtdoctor` binary and its tests:
//! checks and their registry, the platform seam (`os`), the runner and
//! renderers.

#![forbid(unsafe_code)]

pub mod bundle;
pub mod catalogue;
pub mod check;
pub mod cli;
pub mod commands;
pub mod config;
pub mod discover;
pub mod docs;
pub mod error;
pub mod escape;
pub mod holders;
pub mod input_file;
pub mod interrupt;
pub mod kill;
pub mod machine;
pub mod net;
pub mod notice;
pub mod options;
pub mod os;
pub mod ports;
pub mod probe;
pub mod protocol;
pub mod redact;
pub mod render;
pub mod report;
pub mod resolve;
pub mod runner;
pub mod secret;
pub mod settings;
pub mod stdio;
pub mod style;
pub mod suggest;
pub mod target;
pub mod wait;
