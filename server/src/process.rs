//! What every binary of this package sets up first: a private umask, the TLS crypto provider,
//! the log, and the open files limit.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// Makes every file the process creates its owner's only, installs ring as rustls' crypto
/// provider (before any TLS is configured), logs to standard error at `RUST_LOG` (default
/// `info`) and raises the open files limit; `program` names the binary in the one complaint.
pub fn start(program: &str) {
    // Every file and folder the console creates — the SQLite store and its WAL, keys, built
    // files — is its owner's only: nothing it writes is read by another user.
    let _previous = rustix::process::umask(rustix::fs::Mode::RWXG | rustix::fs::Mode::RWXO);
    if rustls::crypto::ring::default_provider()
        .install_default()
        .is_err()
    {
        eprintln!("{program}: a TLS crypto provider was already installed");
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    raise_open_files_limit();
}

/// Raises the soft limit of open files to the hard one: the TFTP pipeline holds a batch of
/// unnamed files open until they are linked, and every TFTP transfer and HTTPS connection holds
/// one more, and each simulated phone fetching its files one socket. (Where it cannot, the
/// pipeline falls back to named temporary files.)
fn raise_open_files_limit() {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let limit = getrlimit(Resource::Nofile);
    if let (Some(current), Some(maximum)) = (limit.current, limit.maximum) {
        if current < maximum {
            let raised = Rlimit {
                current: Some(maximum),
                maximum: Some(maximum),
            };
            if let Err(e) = setrlimit(Resource::Nofile, raised) {
                tracing::warn!("cannot raise the open files limit: {e}");
            }
        }
    }
}

/// Replaces this process by a new run of the same binary (`/proc/self/exe`: the file this
/// process runs, even when its path was replaced by an upgrade since) with the same arguments and
/// environment: the restart into a restore made from the page. Every file this process opened
/// closes on the way (Rust opens them close-on-exec), the data folder's lock with them. Returns
/// only when the new run could not be started, with the reason.
pub fn exec_self() -> std::io::Error {
    use std::os::unix::process::CommandExt;
    let mut args = std::env::args_os();
    let mut command = std::process::Command::new("/proc/self/exe");
    if let Some(name) = args.next() {
        command.arg0(name);
    }
    command.args(args).exec()
}
