//! rtdoctor's integration tests: one binary (link time on 2 cores), one
//! module per concern. They run the real `rtdoctor` binary against real
//! listeners on loopback: python3 child processes and sockets of this
//! test process.

mod support;

mod backend;
mod bundle;
mod check_ids;
mod cli;
mod config_file;
mod contract;
mod declared;
mod escaping;
mod false_alarms;
mod flood;
mod fuzz;
mod generated;
mod heartbeat;
mod hostile;
mod input_files;
mod inputs;
mod kill;
mod listen;
mod local_checks;
mod misreports;
mod net_path;
mod payload;
mod peers;
mod pipes;
mod ports;
mod proxies;
mod reports;
mod rootcause;
mod run_bound;
mod secrets;
mod smoke;
mod socket_table;
mod socketio;
mod stack;
mod target_path;
mod terminal;
mod tls;
mod websocket;
mod websocket_idle;
