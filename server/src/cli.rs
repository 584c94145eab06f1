//! The command line: every setting is a flag and an environment variable.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// ccmadmin — the security administration console of a CallManager cluster.
#[derive(Debug, Parser)]
#[command(
    name = "ccmadmin",
    version,
    about = "ccmadmin — the security administration console of a CallManager cluster"
)]
pub struct Cli {
    /// Settings shared by every command.
    #[command(flatten)]
    pub settings: Settings,
    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Settings shared by every command.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Address and port of the HTTPS listener.
    #[arg(
        long,
        env = "CCMADMIN_BIND",
        default_value = "127.0.0.1:8443",
        global = true
    )]
    pub bind: SocketAddr,
    /// Folder of the SQLite store, the generated certificate and the built files.
    #[arg(
        long,
        env = "CCMADMIN_DATA_DIR",
        default_value = "./data",
        global = true
    )]
    pub data_dir: PathBuf,
    /// Store URL: `sqlite:…` or `postgres://…`; default the SQLite file `ccmadmin.db` in the data dir.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,
    /// PEM certificate chain for HTTPS (with --tls-key); default a generated self-signed one.
    #[arg(long, env = "CCMADMIN_TLS_CERT", global = true)]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for HTTPS (with --tls-cert).
    #[arg(long, env = "CCMADMIN_TLS_KEY", global = true)]
    pub tls_key: Option<PathBuf>,
    /// Password of CCMAdministrator when the first start creates it; default a generated one,
    /// printed once, which must be changed at first login.
    #[arg(
        long,
        env = "CCMADMIN_BOOTSTRAP_PASSWORD",
        global = true,
        hide_env_values = true
    )]
    pub bootstrap_password: Option<String>,
    /// UDP address of the TFTP server that serves the built files.
    #[arg(
        long,
        env = "CCMADMIN_TFTP_BIND",
        default_value = "127.0.0.1:6969",
        global = true
    )]
    pub tftp_bind: SocketAddr,
    /// Whether this node runs the TFTP side (the file pipeline and the TFTP server); in a
    /// deployment of several nodes one node does.
    #[arg(
        long = "tftp-side",
        env = "CCMADMIN_TFTP",
        default_value_t = true,
        action = clap::ArgAction::Set,
        global = true
    )]
    pub tftp: bool,
    /// The server (System > Cisco CallManager) whose services this node runs; default the
    /// publisher.
    #[arg(long = "server", env = "CCMADMIN_SERVER", global = true)]
    pub node: Option<String>,
    /// The IPv4 address this node is known by to phones, for the publisher the first start of an
    /// empty store creates; default the HTTPS bind address (127.0.0.1 when that is unspecified).
    #[arg(long, env = "CCMADMIN_NODE_ADDRESS", global = true)]
    pub node_address: Option<std::net::Ipv4Addr>,
    /// UDP address Cisco CallManager sends device resets (SIP NOTIFY) from.
    #[arg(
        long,
        env = "CCMADMIN_SIP_BIND",
        default_value = "127.0.0.1:5060",
        global = true
    )]
    pub sip_bind: SocketAddr,
    /// SIP timer T1 in milliseconds (RFC 3261: 500); a NOTIFY times out after 64·T1.
    #[arg(long, env = "CCMADMIN_SIP_T1_MS", default_value_t = 500, global = true)]
    pub sip_t1_ms: u64,
    /// SIP proxies trusted to register a device contact other than their own address
    /// (comma-separated IP addresses); a device registering directly registers the address it
    /// connects from.
    #[arg(
        long,
        env = "CCMADMIN_SIP_TRUSTED_PROXIES",
        value_delimiter = ',',
        global = true
    )]
    pub sip_trusted_proxies: Vec<std::net::IpAddr>,
    /// TLS address of the Cisco CTL Provider service.
    #[arg(
        long,
        env = "CCMADMIN_CTL_PROVIDER_BIND",
        default_value = "127.0.0.1:2444",
        global = true
    )]
    pub ctl_provider_bind: SocketAddr,
    /// TLS address of Cisco CallManager's SIP registrar (the secured SIP port).
    #[arg(
        long,
        env = "CCMADMIN_SIP_TLS_BIND",
        default_value = "127.0.0.1:5061",
        global = true
    )]
    pub sip_tls_bind: SocketAddr,
    /// TLS address of Cisco Certificate Authority Proxy Function (publisher only); unset:
    /// loopback on the CAPF Phone Port enterprise parameter.
    #[arg(long, env = "CCMADMIN_CAPF_BIND", global = true)]
    pub capf_bind: Option<SocketAddr>,
    /// Folder of the built browser files (`pkg/`, favicon).
    #[arg(
        long,
        env = "CCMADMIN_SITE_ROOT",
        default_value = "target/site",
        global = true
    )]
    pub site_root: PathBuf,
    /// Most HTTPS connections open at once; a connection beyond them is closed at once.
    #[arg(
        long,
        env = "CCMADMIN_MAX_CONNECTIONS",
        default_value_t = crate::limits::MAX_CONNECTIONS,
        global = true
    )]
    pub max_connections: usize,
    /// Seconds a client has to send a request head (and, on a new connection, its first
    /// request) before it is disconnected; also how long an idle HTTP/1 connection stays open.
    #[arg(
        long,
        env = "CCMADMIN_HEADER_TIMEOUT_SECS",
        default_value_t = crate::limits::HEADER_READ_TIMEOUT.as_secs(),
        global = true
    )]
    pub header_timeout_secs: u64,
    /// Seconds a page, server function or API call has to be answered, reading its body
    /// included; past them the answer is 503.
    #[arg(
        long,
        env = "CCMADMIN_REQUEST_TIMEOUT_SECS",
        default_value_t = crate::limits::REQUEST_TIMEOUT.as_secs(),
        global = true
    )]
    pub request_timeout_secs: u64,
    /// The largest CSV file Bulk Administration imports, in bytes (64 MiB by default).
    #[arg(
        long,
        env = "CCMADMIN_IMPORT_MAX_BYTES",
        default_value_t = app::domain::bat::ImportLimits::default().max_bytes,
        global = true
    )]
    pub import_max_bytes: usize,
    /// The most data rows a CSV file Bulk Administration imports may have.
    #[arg(
        long,
        env = "CCMADMIN_IMPORT_MAX_ROWS",
        default_value_t = app::domain::bat::ImportLimits::default().max_rows,
        global = true
    )]
    pub import_max_rows: usize,
}

impl Settings {
    /// The request head timeout in effect (at least a second).
    pub fn header_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.header_timeout_secs.max(1))
    }

    /// The per-request timeout in effect (at least a second).
    pub fn request_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.request_timeout_secs.max(1))
    }

    /// The address the first start gives this node's server entry.
    pub fn node_address(&self) -> std::net::Ipv4Addr {
        self.node_address.unwrap_or(match self.bind.ip() {
            std::net::IpAddr::V4(v4) if !v4.is_unspecified() => v4,
            _ => std::net::Ipv4Addr::LOCALHOST,
        })
    }

    /// The store URL in effect.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) if !url.is_empty() => url.clone(),
            _ => format!(
                "sqlite:{}?mode=rwc",
                self.data_dir.join("ccmadmin.db").display()
            ),
        }
    }
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Migrate the store and serve the console over HTTPS (the default).
    Serve,
    /// Bring the store's schema up to date and exit.
    Migrate,
    /// Manage administrator accounts from the host.
    #[command(subcommand)]
    User(UserCommand),
    /// Fill an empty store with a realistic demo cluster (the same for the same N).
    Demo {
        /// How many phones (1 to 100,000).
        #[arg(long, default_value_t = 200)]
        phones: u64,
    },
    /// Build the TFTP files for the store once, in the foreground, and print what it took.
    BuildFiles,
    /// Write an encrypted backup of the whole console (store, keys, certificates, the TFTP
    /// folder with the CTL file) while it serves; or check one (`backup verify FILE`).
    Backup(BackupArgs),
    /// Restore a backup into this console (stopped, on every node): checked whole first, built
    /// beside the current store, switched to only when complete.
    Restore {
        /// The backup file.
        file: PathBuf,
        /// Restore the store and the cluster's security tokens with the phones' CTL file: this
        /// node keeps its own keys, and the CTL update, the restarts and the resets R16 requires
        /// are recorded.
        #[arg(long)]
        data_only: bool,
        /// Read the passphrase from this file's first line instead of asking.
        #[arg(long, value_name = "FILE")]
        passphrase_file: Option<PathBuf>,
    },
    /// Read a signed file (`.sgn`) or a CTL file, print its header, and check its signature
    /// against the trust anchor given (`--cert` or `--ctl`): exit 0 valid, 1 invalid,
    /// 2 unreadable, 3 not checked (no trust anchor given; a certificate inside the file checked
    /// is never trusted).
    Verify {
        /// The file.
        file: PathBuf,
        /// The signer's certificate (PEM or DER), trusted.
        #[arg(long, conflicts_with = "ctl")]
        cert: Option<PathBuf>,
        /// A trusted CTL file: a signed file is checked against its TFTP records, a CTL file
        /// against its token (SAST) records.
        #[arg(long, value_name = "CTLFILE")]
        ctl: Option<PathBuf>,
    },
}

/// `ccmadmin backup …`
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct BackupArgs {
    /// Check a backup instead of writing one.
    #[command(subcommand)]
    pub command: Option<BackupCommand>,
    /// The file to write (replaced atomically when it exists).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Read the passphrase from this file's first line instead of asking.
    #[arg(long, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
}

/// `ccmadmin backup verify …`
#[derive(Debug, Subcommand)]
pub enum BackupCommand {
    /// Decrypt a backup and check every entry's hash, without restoring anything: exit 0 when
    /// it is whole.
    Verify {
        /// The backup file.
        file: PathBuf,
        /// Read the passphrase from this file's first line instead of asking.
        #[arg(long, value_name = "FILE")]
        passphrase_file: Option<PathBuf>,
    },
}

/// `ccmadmin user …`
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Set a user's password: typed twice at a terminal, or one line on standard input. Ends the
    /// user's sessions.
    Passwd {
        /// The user ID.
        name: String,
        /// Generate a random password, print it, and make the user change it at next login.
        #[arg(long)]
        generate: bool,
    },
}
