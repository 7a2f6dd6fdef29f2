//! System facts for `system.json`: this machine's OS, kernel, memory,
//! load, disk, open-file limit, and the versions of the real-time
//! packages installed here.

use std::collections::BTreeMap;

use serde::Serialize;

use super::packages::{Python, node_packages, python_packages};

#[derive(Serialize)]
pub(super) struct System {
    rtdoctor: &'static str,
    os: Option<String>,
    kernel: Option<String>,
    arch: &'static str,
    hostname: Option<String>,
    cpus: Option<usize>,
    memory_total_bytes: Option<u64>,
    memory_available_bytes: Option<u64>,
    load_average: Option<[f64; 3]>,
    disk_free_bytes: Option<u64>,
    nofile_limit: Option<(u64, u64)>,
    node_packages: BTreeMap<String, String>,
    /// The interpreter asked for `python_packages`, and why that one.
    python: String,
    python_packages: BTreeMap<String, String>,
}

pub(super) fn system(python: &Python, notes: &mut Vec<String>) -> System {
    let os = crate::os::native();
    let mut memory = (None, None);
    if let Ok(mut sys) = sysinfo::System::new() {
        sys.refresh_memory();
        memory = (Some(sys.total_memory()), Some(sys.available_memory()));
    }
    let disk_free_bytes = nix::sys::statvfs::statvfs(".")
        .ok()
        .map(|s| s.blocks_available() * s.fragment_size());
    System {
        rtdoctor: env!("CARGO_PKG_VERSION"),
        os: sysinfo::System::long_os_version().ok(),
        kernel: sysinfo::System::kernel_version().ok(),
        arch: std::env::consts::ARCH,
        hostname: sysinfo::System::host_name().ok(),
        cpus: std::thread::available_parallelism().ok().map(|n| n.get()),
        memory_total_bytes: memory.0,
        memory_available_bytes: memory.1,
        load_average: sysinfo::System::load_average()
            .ok()
            .map(|l| [l.one, l.five, l.fifteen]),
        disk_free_bytes,
        nofile_limit: os.nofile_limit(),
        node_packages: node_packages(),
        python: python.describe(),
        python_packages: python_packages(python, notes),
    }
}
