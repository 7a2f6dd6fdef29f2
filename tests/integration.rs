//! rtdoctor's integration tests: one binary (link time on 2 cores), one
//! module per concern. They run the real `rtdoctor` binary against real
//! listeners on loopback: python3 child processes and sockets of this
//! test process.

#[path = "integration/support.rs"]
mod support;

#[path = "integration/bundle.rs"]
mod bundle;
#[path = "integration/cli.rs"]
mod cli;
#[path = "integration/config_file.rs"]
mod config_file;
#[path = "integration/declared.rs"]
mod declared;
#[path = "integration/escaping.rs"]
mod escaping;
#[path = "integration/flood.rs"]
mod flood;
#[path = "integration/fuzz.rs"]
mod fuzz;
#[path = "integration/generated.rs"]
mod generated;
#[path = "integration/hostile.rs"]
mod hostile;
#[path = "integration/input_files.rs"]
mod input_files;
#[path = "integration/inputs.rs"]
mod inputs;
#[path = "integration/kill.rs"]
mod kill;
#[path = "integration/listen.rs"]
mod listen;
#[path = "integration/local_checks.rs"]
mod local_checks;
#[path = "integration/misreports.rs"]
mod misreports;
#[path = "integration/peers.rs"]
mod peers;
#[path = "integration/pipes.rs"]
mod pipes;
#[path = "integration/ports.rs"]
mod ports;
#[path = "integration/reports.rs"]
mod reports;
#[path = "integration/run_bound.rs"]
mod run_bound;
#[path = "integration/secrets.rs"]
mod secrets;
#[path = "integration/smoke.rs"]
mod smoke;
#[path = "integration/socket_table.rs"]
mod socket_table;
#[path = "integration/socketio.rs"]
mod socketio;
#[path = "integration/tls.rs"]
mod tls;
#[path = "integration/websocket.rs"]
mod websocket;
