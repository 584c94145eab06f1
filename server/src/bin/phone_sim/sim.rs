//! `phone-sim`: simulated SIP phones on this node, for tests and load tests. Each phone
//! registers its UDP contact with the console, answers the console's service-control NOTIFYs
//! with 200, and on a reset or restart fetches its config file over TFTP, checks the signature
//! against the CTL it holds, and registers again reporting the security mode it now runs with.
//! The phones share a few UDP sockets and are told apart by the Request-URI's user part. Like a
//! provisioning tool, the simulator runs on the console's node: it reads the node's registration
//! key to make each phone's credential.

use std::collections::{HashMap, VecDeque};
use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use app::domain::hex::lower as hex;
use app::domain::security::SecurityMode;
use app::domain::sip::{self, DeviceAction};
use app::error::AppError;
use app::service::registrations;
use app::tftp::ctl::{self, DecodedRecord};
use app::tftp::{sgn, trust, TftpDirs, CTL_FILE};
use serde_json::{json, Value};
use tokio::net::UdpSocket;
use tokio::signal::unix::{signal, Signal, SignalKind};
use tokio::sync::Mutex;
use tokio::task::JoinSet;

use server::capf_client::{self, Authentication, Held, PhoneCertificates, Quirks};
use server::cli::Settings;
use server::sip_client;
use server::tftp_client::{self, TftpClientError};

/// The block size the phones ask for (what fits an Ethernet frame).
const BLKSIZE: u16 = 1428;
/// How long a TFTP step waits for the server.
const TFTP_TIMEOUT: Duration = Duration::from_secs(2);
/// Registrations in flight at start.
const IN_FLIGHT: usize = 32;
/// The wait before a registration answered 503 is sent again.
const RETRY_AFTER: Duration = Duration::from_secs(1);
/// How many recent Call-IDs a phone remembers to recognise retransmissions.
const REMEMBERED: usize = 32;
/// The last MAC address.
const LAST_MAC: u64 = 0xFFFF_FFFF_FFFF;
/// The largest SIP datagram read.
const DATAGRAM: usize = 65_535;

/// `phone-sim` options.
#[derive(Debug, Clone, clap::Args)]
pub struct PhoneSimArgs {
    /// How many phones.
    #[arg(long, default_value_t = 20)]
    pub count: u32,
    /// MAC of the first phone (12 hex digits); the next ones count up.
    #[arg(long, default_value = "0A0000000001")]
    pub first_mac: String,
    /// The TFTP server.
    // The id is not `tftp`: that is a global argument of `Settings` (`--tftp-side`), and clap
    // copies a global's value into a subcommand argument with the same id (a type mismatch,
    // hence a panic). The same goes for `--phone-bind` beside the global `--bind`.
    #[arg(long = "tftp", id = "tftp_server", default_value = "127.0.0.1:6969")]
    pub tftp: SocketAddr,
    /// The console's base URL.
    #[arg(long, default_value = "https://127.0.0.1:8443")]
    pub console: String,
    /// Address the phones' SIP sockets bind to.
    #[arg(long = "phone-bind", id = "phone_bind", default_value = "127.0.0.1")]
    pub bind: IpAddr,
    /// UDP sockets shared by the phones (a phone is told apart by its Request-URI).
    #[arg(long, default_value_t = 16)]
    pub sockets: u32,
    /// Answer NOTIFYs without fetching config files (for load tests).
    #[arg(long)]
    pub no_fetch: bool,
    /// The CTL file the phones hold at start, instead of the TFTP server's: phones that kept
    /// their CTL while their console was lost and restored.
    #[arg(long = "held-ctl", id = "held_ctl")]
    pub held_ctl: Option<PathBuf>,
    /// Phones that hold no CTL and never take one (a phone whose CTL was never installed): they
    /// take plain files, trust no CAPF and cannot open TLS (R13).
    #[arg(long = "without-ctl", id = "without_ctl", conflicts_with = "held_ctl")]
    pub without_ctl: bool,
    /// CAPF's address, instead of the one the config file names (its publisher and CAPF Phone
    /// Port).
    #[arg(long = "capf", id = "capf_server")]
    pub capf: Option<SocketAddr>,
    /// Authentication strings the users type on their phones: lines `device,string`.
    #[arg(long = "capf-strings", id = "capf_strings")]
    pub capf_strings: Option<PathBuf>,
    /// Cisco CallManager's SIP address (UDP): after a reset each phone sends its REGISTER there
    /// (a Non-Secure phone, or a secure one that cannot open TLS).
    #[arg(long = "sip", id = "sip_server")]
    pub sip: Option<SocketAddr>,
    /// Cisco CallManager's secured SIP port: an Authenticated or Encrypted phone that holds a
    /// CTL listing CallManager registers over TLS there with its LSC (else its MIC).
    #[arg(long = "sip-tls", id = "sip_tls_server")]
    pub sip_tls: Option<SocketAddr>,
    /// The simulated manufacturer's CA (PEM; its key beside it as `.key`), made when missing;
    /// every phone's MIC is issued by it. Default: `phone-sim-maker-ca.pem` in the data dir.
    #[arg(long = "manufacturer-ca", id = "manufacturer_ca")]
    pub manufacturer_ca: Option<PathBuf>,
}

/// Why the simulator stopped.
#[derive(Debug, thiserror::Error)]
pub enum PhoneSimError {
    /// `--first-mac` is not 12 hexadecimal digits.
    #[error("--first-mac {0:?} is not 12 hexadecimal digits")]
    BadMac(String),
    /// The phones' MAC addresses would run past FFFFFFFFFFFF.
    #[error("{count} phones from {first} run past FFFFFFFFFFFF")]
    MacOverflow {
        /// The first MAC address.
        first: String,
        /// How many phones were asked for.
        count: u32,
    },
    /// An option that must be at least 1 is 0.
    #[error("{0} must be at least 1")]
    Zero(&'static str),
    /// The node's registration key cannot be read.
    #[error("cannot read the registration key: {0}")]
    Key(#[source] AppError),
    /// The console's certificate cannot be read.
    #[error("cannot read the console's certificate {}: {source}", .path.display())]
    Certificate {
        /// The certificate file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The console's certificate file holds no certificate.
    #[error("{} holds no PEM certificate", .0.display())]
    NoCertificate(PathBuf),
    /// The HTTPS client cannot be made.
    #[error("cannot make the HTTPS client: {0}")]
    Client(#[source] reqwest::Error),
    /// The simulated manufacturer's CA cannot be made or read.
    #[error("the manufacturer CA {}: {reason}", .path.display())]
    Maker {
        /// Its file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The authentication strings cannot be read.
    #[error("--capf-strings {}: {reason}", .path.display())]
    Strings {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The CTL file cannot be fetched.
    #[error("cannot fetch the CTL file: {0}")]
    CtlFetch(#[source] TftpClientError),
    /// The CTL file does not verify with its own SAST records.
    #[error("the CTL file is refused: {0}")]
    Ctl(String),
    /// A SIP socket cannot be bound.
    #[error("cannot bind a SIP socket on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// A phone cannot register.
    #[error("{device} cannot register: {source}")]
    Register {
        /// The phone.
        device: String,
        /// Why.
        source: RegisterError,
    },
    /// A registration task ended abnormally.
    #[error("a registration task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// Signals cannot be watched, or standard output cannot be written.
    #[error("{what}: {source}")]
    Io {
        /// What failed.
        what: &'static str,
        /// Why.
        source: std::io::Error,
    },
}

/// Why the console did not take a registration.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    /// The request did not reach the console, or its answer could not be read.
    #[error("{0}")]
    Http(#[from] reqwest::Error),
    /// The console refused the credential (401).
    #[error("the console refused the registration credential")]
    Unauthorized,
    /// The console refused the registration (422 or any other answer).
    #[error("the console answered {status}: {message}")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// The console's `error` text, or the start of its answer.
        message: String,
    },
}

/// Runs the phones until SIGINT/SIGTERM.
pub async fn run(settings: &Settings, args: &PhoneSimArgs) -> Result<(), PhoneSimError> {
    if args.count == 0 {
        return Err(PhoneSimError::Zero("--count"));
    }
    if args.sockets == 0 {
        return Err(PhoneSimError::Zero("--sockets"));
    }
    let names = phone_names(&args.first_mac, args.count)?;
    let (mut interrupt, mut terminate) = watch_signals()?;
    let key = registrations::load_key(&TftpDirs::under(&settings.data_dir))
        .map_err(PhoneSimError::Key)?;
    let console = Console::new(settings, &args.console, args.bind)?;
    let ctl = if args.without_ctl {
        None
    } else {
        initial_ctl(args.tftp, args.held_ctl.as_deref()).await?
    };
    let sockets = bind_sockets(args.bind, args.count.min(args.sockets)).await?;
    let maker_path = args
        .manufacturer_ca
        .clone()
        .unwrap_or_else(|| settings.data_dir.join("phone-sim-maker-ca.pem"));
    let maker = manufacturer(&maker_path)?;
    let strings = match &args.capf_strings {
        Some(path) => capf_strings(path)?,
        None => HashMap::new(),
    };
    let capf = Capf {
        maker,
        strings,
        address: args.capf,
        sip: (args.sip, args.sip_tls),
    };
    let sim = Arc::new(Sim::new(names, &key, sockets, ctl, console, capf, args)?);
    let mut loops = JoinSet::new();
    for index in 0..sim.sockets.len() {
        loops.spawn(receive_loop(Arc::clone(&sim), index));
    }
    register_all(&sim).await?;
    let contacts: Vec<String> = sim
        .sockets
        .iter()
        .map(|(_, addr)| addr.to_string())
        .collect();
    say(&format!(
        "phone-sim: {} phones registered, SIP on udp {}",
        sim.phones.len(),
        contacts.join(" ")
    ))
    .map_err(|source| PhoneSimError::Io {
        what: "cannot write to standard output",
        source,
    })?;
    tokio::select! {
        _ = interrupt.recv() => {}
        _ = terminate.recv() => {}
    }
    Ok(())
}

/// The simulated manufacturer's CA in `path` (certificate) and `path.key` (key), made when
/// missing.
fn manufacturer(path: &std::path::Path) -> Result<Held, PhoneSimError> {
    let failed = |reason: String| PhoneSimError::Maker {
        path: path.to_owned(),
        reason,
    };
    let key_path = path.with_extension("key");
    if path.exists() {
        let cert = std::fs::read(path).map_err(|e| failed(e.to_string()))?;
        let key = std::fs::read(&key_path).map_err(|e| failed(e.to_string()))?;
        let der = openssl::x509::X509::from_pem(&cert)
            .and_then(|c| c.to_der())
            .map_err(|e| failed(e.to_string()))?;
        let key =
            openssl::pkey::PKey::private_key_from_pem(&key).map_err(|e| failed(e.to_string()))?;
        return Ok(Held { der, key });
    }
    let ca = capf_client::new_manufacturer_ca(
        "Simulated Phone Maker CA",
        chrono::Utc::now() - chrono::Duration::days(1),
    )
    .map_err(|e| failed(e.to_string()))?;
    let key = ca
        .key
        .private_key_to_pem_pkcs8()
        .map_err(|e| failed(e.to_string()))?;
    app::tftp::keys::write_new_private(&key_path, &key).map_err(|e| failed(e.to_string()))?;
    let pem = openssl::x509::X509::from_der(&ca.der)
        .and_then(|c| c.to_pem())
        .map_err(|e| failed(e.to_string()))?;
    std::fs::write(path, pem).map_err(|e| failed(e.to_string()))?;
    Ok(ca)
}

/// The most authentication strings read.
const MAX_STRINGS: usize = 200_000;

/// `device,string` lines: what each phone's user types when asked.
fn capf_strings(path: &std::path::Path) -> Result<HashMap<String, String>, PhoneSimError> {
    let failed = |reason: String| PhoneSimError::Strings {
        path: path.to_owned(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| failed(e.to_string()))?;
    let mut out = HashMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let (device, string) = line
            .split_once(',')
            .ok_or_else(|| failed(format!("line {} is not device,string", n + 1)))?;
        out.insert(device.trim().to_ascii_uppercase(), string.trim().to_owned());
        if out.len() > MAX_STRINGS {
            return Err(failed(format!("more than {MAX_STRINGS} lines")));
        }
    }
    Ok(out)
}

/// The phones' names: `SEP` and the 12 uppercase hex digits of `first_mac` + i.
fn phone_names(first_mac: &str, count: u32) -> Result<Vec<String>, PhoneSimError> {
    let bad = || PhoneSimError::BadMac(first_mac.to_owned());
    if first_mac.len() != 12 || !first_mac.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad());
    }
    let first = u64::from_str_radix(first_mac, 16).map_err(|_| bad())?;
    if first + u64::from(count) > LAST_MAC + 1 {
        return Err(PhoneSimError::MacOverflow {
            first: first_mac.to_ascii_uppercase(),
            count,
        });
    }
    Ok((0..u64::from(count))
        .map(|i| format!("SEP{:012X}", first + i))
        .collect())
}

/// SIGINT and SIGTERM, watched from the start so neither is missed.
fn watch_signals() -> Result<(Signal, Signal), PhoneSimError> {
    let io = |source| PhoneSimError::Io {
        what: "cannot watch signals",
        source,
    };
    Ok((
        signal(SignalKind::interrupt()).map_err(io)?,
        signal(SignalKind::terminate()).map_err(io)?,
    ))
}

/// Prints one line on standard output at once: tests read it through a pipe.
fn say(line: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")?;
    out.flush()
}

/// Prints a phone's line; a closed standard output only goes to the log.
fn tell(line: &str) {
    if let Err(e) = say(line) {
        tracing::warn!("cannot write to standard output: {e}");
    }
}

async fn bind_sockets(
    ip: IpAddr,
    count: u32,
) -> Result<Vec<(UdpSocket, SocketAddr)>, PhoneSimError> {
    let addr = SocketAddr::new(ip, 0);
    let bind_error = |source| PhoneSimError::Bind { addr, source };
    let mut sockets = Vec::new();
    for _ in 0..count {
        let socket = UdpSocket::bind(addr).await.map_err(bind_error)?;
        let local = socket.local_addr().map_err(bind_error)?;
        sockets.push((socket, local));
    }
    Ok(sockets)
}

/// The CTL every phone holds at start: `held` when given, else the TFTP server's; none when the
/// TFTP server has no CTL file (a non-secure cluster); an error when the file does not verify
/// with its own SAST records.
async fn initial_ctl(
    tftp: SocketAddr,
    held: Option<&std::path::Path>,
) -> Result<Option<Ctl>, PhoneSimError> {
    if let Some(path) = held {
        let bytes = std::fs::read(path).map_err(|source| PhoneSimError::Io {
            what: "cannot read the held CTL file",
            source,
        })?;
        return accept_ctl(&bytes, None)
            .map(Some)
            .map_err(PhoneSimError::Ctl);
    }
    match tftp_client::get(tftp, CTL_FILE, Some(BLKSIZE), TFTP_TIMEOUT).await {
        Ok(bytes) => accept_ctl(&bytes, None)
            .map(Some)
            .map_err(PhoneSimError::Ctl),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(PhoneSimError::CtlFetch(e)),
    }
}

/// The records of a CTL a phone holds.
type Ctl = Arc<[DecodedRecord]>;

/// The records of CTL file `bytes` when it is signed by a SAST record of `held` (the CTL the
/// phone holds), or of itself when the phone holds none; else why not.
fn accept_ctl(bytes: &[u8], held: Option<&[DecodedRecord]>) -> Result<Ctl, String> {
    let parsed = sgn::parse(bytes).map_err(|e| format!("not a CTL file: {e}"))?;
    if !trust::is_ctl(&parsed) {
        return Err("a signed file, not a CTL file".to_owned());
    }
    let records =
        ctl::decode(&parsed.content).map_err(|e| format!("its records cannot be read: {e}"))?;
    let trusted = held.unwrap_or(&records);
    if trust::signed_by_any(&parsed, trusted) {
        Ok(records.into())
    } else {
        Err(format!(
            "no trusted SAST record with serial number {} signed it",
            hex(&parsed.header.serial)
        ))
    }
}

/// The content of signed file `bytes` when a TFTP (or CallManager+TFTP) record of `ctl` signed
/// it; None when it cannot be read, is a CTL file, or does not verify.
fn signed_content(bytes: &[u8], ctl: &[DecodedRecord]) -> Option<Vec<u8>> {
    let parsed = sgn::parse(bytes).ok()?;
    (!trust::is_ctl(&parsed) && trust::signed_by_any(&parsed, ctl)).then_some(parsed.content)
}

/// The `deviceSecurityMode` of a config file; Non Secure when it has none.
fn mode_of(content: &[u8]) -> SecurityMode {
    let text = String::from_utf8_lossy(content);
    text.split_once("<deviceSecurityMode>")
        .and_then(|(_, rest)| rest.split_once("</deviceSecurityMode>"))
        .and_then(|(value, _)| value.trim().parse::<u8>().ok())
        .and_then(|value| {
            SecurityMode::ALL
                .into_iter()
                .find(|m| m.file_value() == value)
        })
        .unwrap_or(SecurityMode::NonSecure)
}

fn element<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let (_, rest) = text.split_once(open.as_str())?;
    let (value, _) = rest.split_once(close.as_str())?;
    Some(value.trim())
}

/// The CAPF request of a config file: `<capfAuthMode>` when not 0, and CAPF's address (the
/// process node and phone port of its `<capfList>`).
fn capf_request_of(content: &[u8]) -> Option<(u8, Option<SocketAddr>)> {
    let text = String::from_utf8_lossy(content);
    let mode: u8 = element(&text, "capfAuthMode")?.parse().ok()?;
    if mode == 0 {
        return None;
    }
    let address = element(&text, "processNodeName")
        .zip(element(&text, "phonePort"))
        .and_then(|(node, port)| format!("{node}:{port}").parse().ok());
    Some((mode, address))
}

/// What a phone reports after fetching its config file.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Report {
    /// The file it took (or refused).
    file: String,
    signature: Signature,
    /// The mode it runs with now.
    mode: SecurityMode,
    /// What its CAPF session gave, when its file asked for one.
    capf: Option<String>,
}

/// How a config file was signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Signature {
    Valid,
    Invalid,
    Unsigned,
}

impl Signature {
    fn label(self) -> &'static str {
        match self {
            Signature::Valid => "valid",
            Signature::Invalid => "invalid",
            Signature::Unsigned => "unsigned",
        }
    }
}

/// What a phone holds and runs with.
#[derive(Debug)]
struct PhoneState {
    ctl: Option<Ctl>,
    mode: SecurityMode,
    /// Its MIC (issued when first needed) and LSC.
    certificates: PhoneCertificates,
    /// The CAPF request of the last file it took: its `<capfAuthMode>` and where CAPF is.
    capf_request: Option<(u8, Option<SocketAddr>)>,
}

impl PhoneState {
    /// Takes a signed config file: its mode when the signature verifies, else the file is
    /// refused and the mode stays.
    fn take_signed(&mut self, file: String, bytes: &[u8], ctl: &[DecodedRecord]) -> Report {
        let signature = match signed_content(bytes, ctl) {
            Some(content) => {
                self.mode = mode_of(&content);
                self.capf_request = capf_request_of(&content);
                Signature::Valid
            }
            None => Signature::Invalid,
        };
        Report {
            file,
            signature,
            mode: self.mode,
            capf: None,
        }
    }

    /// Takes a plain config file and its mode.
    fn take_plain(&mut self, file: String, bytes: &[u8]) -> Report {
        self.mode = mode_of(bytes);
        self.capf_request = capf_request_of(bytes);
        Report {
            file,
            signature: Signature::Unsigned,
            mode: self.mode,
            capf: None,
        }
    }
}

/// A file a phone could not fetch.
#[derive(Debug, thiserror::Error)]
#[error("cannot fetch {file}: {error}")]
struct FetchFailure {
    file: String,
    error: TftpClientError,
}

/// The Call-IDs a phone answered lately, with the To tag it answered with.
#[derive(Debug, Default)]
struct Dialogs {
    recent: VecDeque<(String, String)>,
}

impl Dialogs {
    fn tag_of(&self, call_id: &str) -> Option<&str> {
        self.recent
            .iter()
            .find(|(id, _)| id == call_id)
            .map(|(_, tag)| tag.as_str())
    }

    fn remember(&mut self, call_id: &str, tag: &str) {
        if self.recent.len() >= REMEMBERED {
            self.recent.pop_front();
        }
        self.recent.push_back((call_id.to_owned(), tag.to_owned()));
    }
}

/// The answer to one request, and the action to run (the first time a Call-ID is seen).
struct Decision {
    code: u16,
    reason: &'static str,
    to_tag: String,
    run: Option<DeviceAction>,
}

/// Decides the answer to a request for a phone (`dialogs` None: not one of ours): 200 to a
/// service-control NOTIFY (`action`), the action running once per Call-ID; 501 to any other
/// request; 404 for an unknown user; nothing to an ACK.
fn decide(
    dialogs: Option<&mut Dialogs>,
    method: &str,
    call_id: Option<&str>,
    action: Option<DeviceAction>,
    fresh_tag: &str,
) -> Option<Decision> {
    if method.eq_ignore_ascii_case("ACK") {
        return None;
    }
    let answer = |code, reason| Decision {
        code,
        reason,
        to_tag: fresh_tag.to_owned(),
        run: None,
    };
    let Some(dialogs) = dialogs else {
        return Some(answer(404, "Not Found"));
    };
    let Some(action) = action else {
        return Some(answer(501, "Not Implemented"));
    };
    let Some(call_id) = call_id.filter(|id| !id.is_empty()) else {
        return Some(answer(400, "Bad Request"));
    };
    if let Some(tag) = dialogs.tag_of(call_id) {
        return Some(Decision {
            to_tag: tag.to_owned(),
            ..answer(200, "OK")
        });
    }
    dialogs.remember(call_id, fresh_tag);
    Some(Decision {
        run: Some(action),
        ..answer(200, "OK")
    })
}

/// One simulated phone.
struct Phone {
    name: String,
    credential: String,
    /// The socket it answers on, and that socket's address (its contact).
    socket: usize,
    contact: SocketAddr,
    dialogs: Mutex<Dialogs>,
    /// Locked for a whole reset or restart: one phone's actions run one after the other.
    state: Mutex<PhoneState>,
}

/// The console's registration endpoint.
struct Console {
    client: reqwest::Client,
    url: String,
}

impl Console {
    /// A client trusting only the console's certificate (the configured one, else the one the
    /// console generated in the data folder). Its names include 127.0.0.1 and localhost, so the
    /// host name is checked as usual. It connects from `bind`, the phones' address: the console
    /// takes a registration only from the contact's own address.
    fn new(settings: &Settings, base: &str, bind: IpAddr) -> Result<Self, PhoneSimError> {
        let path = settings
            .tls_cert
            .clone()
            .unwrap_or_else(|| server::tls::generated_paths(&settings.data_dir).0);
        let pem = std::fs::read(&path).map_err(|source| PhoneSimError::Certificate {
            path: path.clone(),
            source,
        })?;
        let certificates =
            reqwest::Certificate::from_pem_bundle(&pem).map_err(PhoneSimError::Client)?;
        if certificates.is_empty() {
            return Err(PhoneSimError::NoCertificate(path));
        }
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .tls_built_in_root_certs(false)
            .local_address(bind)
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(30));
        for certificate in certificates {
            builder = builder.add_root_certificate(certificate);
        }
        Ok(Self {
            client: builder.build().map_err(PhoneSimError::Client)?,
            url: format!("{}/api/v1/registrations", base.trim_end_matches('/')),
        })
    }

    /// Posts a registration, again every second while the console answers 503.
    async fn register(&self, credential: &str, body: &Value) -> Result<(), RegisterError> {
        loop {
            let response = self
                .client
                .post(&self.url)
                .bearer_auth(credential)
                .json(body)
                .send()
                .await?;
            match response.status().as_u16() {
                200..=299 => return Ok(()),
                503 => tokio::time::sleep(RETRY_AFTER).await,
                401 => return Err(RegisterError::Unauthorized),
                status => {
                    let text = response.text().await.unwrap_or_default();
                    return Err(refusal(status, &text));
                }
            }
        }
    }
}

/// A refused registration: the console's `error` text, else the start of its answer.
fn refusal(status: u16, text: &str) -> RegisterError {
    let message = serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|v| v.get("error").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| text.chars().take(200).collect());
    RegisterError::Refused { status, message }
}

/// A registration body: the contact, and the report after a reset or restart.
fn registration(device: &str, contact: SocketAddr, report: Option<&Report>) -> Value {
    let mut body = json!({
        "device": device,
        "address": contact.ip().to_string(),
        "port": contact.port(),
        "transport": "udp",
    });
    if let (Some(report), Some(fields)) = (report, body.as_object_mut()) {
        fields.insert("running_mode".to_owned(), report.mode.label().into());
        fields.insert("config_file".to_owned(), report.file.clone().into());
        fields.insert("signature".to_owned(), report.signature.label().into());
    }
    body
}

/// Everything the phones share.
struct Sim {
    phones: Vec<Phone>,
    by_name: HashMap<String, usize>,
    sockets: Vec<(UdpSocket, SocketAddr)>,
    console: Console,
    tftp: SocketAddr,
    fetch: bool,
    without_ctl: bool,
    capf: Capf,
}

/// What the phones need for CAPF.
struct Capf {
    /// The manufacturer's CA, which issues the MICs.
    maker: Held,
    /// The strings the users type, by device.
    strings: HashMap<String, String>,
    /// CAPF's address when given on the command line.
    address: Option<SocketAddr>,
    /// Cisco CallManager's SIP addresses: UDP, TLS.
    sip: (Option<SocketAddr>, Option<SocketAddr>),
}

impl Sim {
    fn new(
        names: Vec<String>,
        key: &[u8],
        sockets: Vec<(UdpSocket, SocketAddr)>,
        ctl: Option<Ctl>,
        console: Console,
        capf: Capf,
        args: &PhoneSimArgs,
    ) -> Result<Self, PhoneSimError> {
        let mut phones = Vec::with_capacity(names.len());
        let mut by_name = HashMap::with_capacity(names.len());
        for (index, name) in names.into_iter().enumerate() {
            let socket = index % sockets.len().max(1);
            let (_, contact) = sockets
                .get(socket)
                .ok_or(PhoneSimError::Zero("--sockets"))?;
            by_name.insert(name.clone(), index);
            phones.push(Phone {
                credential: registrations::credential(key, &name),
                name: name.clone(),
                socket,
                contact: *contact,
                dialogs: Mutex::new(Dialogs::default()),
                state: Mutex::new(PhoneState {
                    ctl: ctl.clone(),
                    mode: SecurityMode::NonSecure,
                    certificates: PhoneCertificates {
                        name: name.clone(),
                        mic: None,
                        lsc: None,
                    },
                    capf_request: None,
                }),
            });
        }
        Ok(Self {
            phones,
            by_name,
            sockets,
            console,
            tftp: args.tftp,
            fetch: !args.no_fetch,
            without_ctl: args.without_ctl,
            capf,
        })
    }

    /// The phone `user` names, when it answers on socket `socket`.
    fn phone_on(&self, socket: usize, user: &str) -> Option<(usize, &Phone)> {
        let index = *self.by_name.get(user.to_ascii_uppercase().as_str())?;
        let phone = self.phones.get(index)?;
        (phone.socket == socket).then_some((index, phone))
    }

    async fn register(&self, phone: &Phone, report: Option<&Report>) -> Result<(), RegisterError> {
        let body = registration(&phone.name, phone.contact, report);
        self.console.register(&phone.credential, &body).await
    }

    async fn fetch(&self, file: &str) -> Result<Vec<u8>, TftpClientError> {
        tftp_client::get(self.tftp, file, Some(BLKSIZE), TFTP_TIMEOUT).await
    }

    /// On a reset: takes the TFTP server's CTL when a SAST the phone trusts signed it. A phone
    /// keeps the CTL it holds when the server has none or one it does not trust.
    async fn refresh_ctl(&self, phone: &Phone, state: &mut PhoneState) -> Result<(), FetchFailure> {
        if self.without_ctl {
            return Ok(());
        }
        match self.fetch(CTL_FILE).await {
            Ok(bytes) => match accept_ctl(&bytes, state.ctl.as_deref()) {
                Ok(records) => state.ctl = Some(records),
                Err(reason) => tracing::warn!("{}: {CTL_FILE} refused: {reason}", phone.name),
            },
            Err(e) if e.is_not_found() => {}
            Err(error) => {
                return Err(FetchFailure {
                    file: CTL_FILE.to_owned(),
                    error,
                })
            }
        }
        Ok(())
    }

    /// Fetches the phone's config file: the signed one when it holds a CTL (the plain one when
    /// the server has no signed one), else the plain one.
    async fn fetch_config(
        &self,
        phone: &Phone,
        state: &mut PhoneState,
    ) -> Result<Report, FetchFailure> {
        let plain = format!("{}.cnf.xml", phone.name);
        if let Some(ctl) = state.ctl.clone() {
            let signed = format!("{plain}.sgn");
            match self.fetch(&signed).await {
                Ok(bytes) => return Ok(state.take_signed(signed, &bytes, &ctl)),
                Err(e) if e.is_not_found() => {}
                Err(error) => {
                    return Err(FetchFailure {
                        file: signed,
                        error,
                    })
                }
            }
        }
        match self.fetch(&plain).await {
            Ok(bytes) => Ok(state.take_plain(plain, &bytes)),
            Err(error) => Err(FetchFailure { file: plain, error }),
        }
    }

    /// Runs a reset or restart of phone `index` and prints what came of it.
    async fn act(&self, index: usize, action: DeviceAction) {
        let Some(phone) = self.phones.get(index) else {
            return;
        };
        let mut state = phone.state.lock().await;
        let line = match self.refresh(phone, &mut state, action).await {
            Ok(report) => match self.register(phone, Some(&report)).await {
                Ok(()) => format!(
                    "{} {}: {} signature {}, running {}{}{}",
                    phone.name,
                    action.key(),
                    report.file,
                    report.signature.label(),
                    report.mode.label(),
                    report
                        .capf
                        .as_ref()
                        .map(|c| format!("; {c}"))
                        .unwrap_or_default(),
                    self.sip_register(phone, &mut state)
                        .await
                        .map(|s| format!("; {s}"))
                        .unwrap_or_default()
                ),
                Err(e) => format!("{} {}: cannot register: {e}", phone.name, action.key()),
            },
            Err(failure) => format!("{} {}: {failure}", phone.name, action.key()),
        };
        tell(&line);
    }

    /// A reset fetches the CTL again, then the config file; a restart only the config file.
    async fn refresh(
        &self,
        phone: &Phone,
        state: &mut PhoneState,
        action: DeviceAction,
    ) -> Result<Report, FetchFailure> {
        if action == DeviceAction::Reset {
            self.refresh_ctl(phone, state).await?;
        }
        let mut report = self.fetch_config(phone, state).await?;
        if let Some((mode, address)) = state.capf_request.take() {
            report.capf = Some(self.enrol(state, mode, address).await);
        }
        Ok(report)
    }

    /// Gives the phone its MIC (2048-bit, by the simulated maker) when it has none yet.
    async fn ensure_mic(&self, state: &mut PhoneState) -> Result<(), String> {
        if state.certificates.mic.is_some() {
            return Ok(());
        }
        let maker = Held {
            der: self.capf.maker.der.clone(),
            key: self.capf.maker.key.clone(),
        };
        let name = state.certificates.name.clone();
        let from = chrono::Utc::now() - chrono::Duration::hours(1);
        let issued =
            tokio::task::spawn_blocking(move || capf_client::issue_mic(&maker, &name, 2048, from))
                .await;
        match issued {
            Ok(Ok(mic)) => {
                state.certificates.mic = Some(mic);
                Ok(())
            }
            Ok(Err(e)) => Err(format!("cannot make its MIC: {e}")),
            Err(e) => Err(format!("cannot make its MIC: {e}")),
        }
    }

    /// The phone's SIP REGISTER after a reset (R13, R14): over TLS with its LSC (else its MIC)
    /// when it runs Authenticated or Encrypted and holds a CTL listing CallManager; else over
    /// UDP. Says how it went; `None` when no SIP address was given.
    async fn sip_register(&self, phone: &Phone, state: &mut PhoneState) -> Option<String> {
        let (udp, tls) = self.capf.sip;
        let callmanagers: Vec<Vec<u8>> = state
            .ctl
            .iter()
            .flat_map(|ctl| ctl.iter())
            .filter(|r| matches!(r.role, ctl::Role::CallManager | ctl::Role::CallManagerTftp))
            .map(|r| r.certificate.clone())
            .collect();
        let secure = state.mode != SecurityMode::NonSecure;
        if let (true, false, Some(tls)) = (secure, callmanagers.is_empty(), tls) {
            if state.certificates.lsc.is_none() {
                if let Err(e) = self.ensure_mic(state).await {
                    return Some(format!("sip {e}"));
                }
            }
            let (with, certificate) = match (&state.certificates.lsc, &state.certificates.mic) {
                (Some(lsc), _) => ("LSC", lsc),
                (None, Some(mic)) => ("MIC", mic),
                (None, None) => return Some("sip: no certificate".to_owned()),
            };
            return Some(
                match sip_client::register_tls(
                    tls,
                    &callmanagers,
                    Some(certificate),
                    &phone.name,
                    phone.contact,
                )
                .await
                {
                    Ok(r) => format!("sip tls with {with}: {} {}", r.code, r.reason),
                    Err(e) => format!("sip tls with {with} failed: {e}"),
                },
            );
        }
        let udp = udp?;
        Some(
            match sip_client::register_udp(udp, &phone.name, phone.contact).await {
                Ok(r) => format!("sip udp: {} {}", r.code, r.reason),
                Err(e) => format!("sip udp failed: {e}"),
            },
        )
    }

    /// The CAPF session a phone runs after a reset whose file carries a pending operation
    /// (FORMATS.md: By Null String and By Existing Certificate at once; By Authentication
    /// String once its user typed the string). Says how it ended.
    async fn enrol(&self, state: &mut PhoneState, mode: u8, named: Option<SocketAddr>) -> String {
        let name = state.certificates.name.clone();
        let authentication = match mode {
            1 => match self.capf.strings.get(&name) {
                Some(s) => Authentication::String(s.clone()),
                None => return "capf waits for the authentication string".to_owned(),
            },
            2 => Authentication::Null,
            3 => Authentication::PreferLsc,
            4 => Authentication::PreferMic,
            other => return format!("capf mode {other} unknown"),
        };
        // CAPF is trusted through the CTL's CAPF record only.
        let Some(capf_certificate) = state.ctl.as_ref().and_then(|ctl| {
            ctl.iter()
                .find(|r| r.role == ctl::Role::Capf)
                .map(|r| r.certificate.clone())
        }) else {
            return "capf not trusted: no CTL with a CAPF record".to_owned();
        };
        let Some(address) = self.capf.address.or(named) else {
            return "capf address unknown".to_owned();
        };
        if let Err(e) = self.ensure_mic(state).await {
            return format!("capf {e}");
        }
        match capf_client::session(
            address,
            &capf_certificate,
            &mut state.certificates,
            &authentication,
            Quirks::default(),
        )
        .await
        {
            Ok(ended) => match ended.reason {
                None => "capf busy, retry later".to_owned(),
                Some(reason) => {
                    let lsc = state.certificates.lsc.as_ref().map_or_else(
                        || "no LSC".to_owned(),
                        |h| format!("LSC {}", app::tftp::keys::fingerprint(&h.der)),
                    );
                    format!("capf ended {reason} {}, holds {lsc}", ended.info)
                }
            },
            Err(e) => format!("capf failed: {e}"),
        }
    }
}

/// Registers every phone, [`IN_FLIGHT`] at a time; the first failure stops the simulator.
async fn register_all(sim: &Arc<Sim>) -> Result<(), PhoneSimError> {
    let mut tasks: JoinSet<Result<(), PhoneSimError>> = JoinSet::new();
    for index in 0..sim.phones.len() {
        if tasks.len() >= IN_FLIGHT {
            if let Some(done) = tasks.join_next().await {
                done??;
            }
        }
        let sim = Arc::clone(sim);
        tasks.spawn(async move {
            let Some(phone) = sim.phones.get(index) else {
                return Ok(());
            };
            sim.register(phone, None)
                .await
                .map_err(|source| PhoneSimError::Register {
                    device: phone.name.clone(),
                    source,
                })
        });
    }
    while let Some(done) = tasks.join_next().await {
        done??;
    }
    Ok(())
}

/// Answers the requests arriving on socket `index`, for as long as the simulator runs.
async fn receive_loop(sim: Arc<Sim>, index: usize) {
    let Some((socket, _)) = sim.sockets.get(index) else {
        return;
    };
    let mut buf = vec![0u8; DATAGRAM];
    let mut answered: u64 = 0;
    loop {
        let (n, peer) = match socket.recv_from(&mut buf).await {
            Ok(x) => x,
            Err(e) => {
                tracing::debug!("SIP socket {index}: receive failed: {e}");
                continue;
            }
        };
        answered = answered.wrapping_add(1);
        let tag = format!("sim{}.{index}.{answered}", std::process::id());
        let datagram = buf.get(..n).unwrap_or_default();
        answer(&sim, index, socket, datagram, peer, &tag).await;
    }
}

/// Answers one datagram; an unreadable one is ignored. A first NOTIFY starts its action.
async fn answer(
    sim: &Arc<Sim>,
    index: usize,
    socket: &UdpSocket,
    datagram: &[u8],
    peer: SocketAddr,
    tag: &str,
) {
    let Some(request) = sip::parse_request(datagram) else {
        return;
    };
    let phone = sim.phone_on(index, &request.uri_user);
    let method = request.method.as_str();
    let call_id = request.header("Call-ID");
    let action = sip::action_of(&request);
    let decision = match phone {
        Some((_, p)) => decide(
            Some(&mut *p.dialogs.lock().await),
            method,
            call_id,
            action,
            tag,
        ),
        None => decide(None, method, call_id, action, tag),
    };
    let Some(decision) = decision else {
        return;
    };
    let response = sip::response_to(&request, decision.code, decision.reason, &decision.to_tag);
    if let Err(e) = socket.send_to(response.as_bytes(), peer).await {
        tracing::debug!("SIP socket {index}: cannot answer {peer}: {e}");
    }
    if let (Some(action), Some((phone_index, _)), true) = (decision.run, phone, sim.fetch) {
        let sim = Arc::clone(sim);
        tokio::spawn(async move { sim.act(phone_index, action).await });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use app::tftp::ctl::Role;
    use app::tftp::keys::{self, CertificateRequest, SigningIdentity};
    use app::tftp::sgn::{HashAlgorithm, HeaderKind};

    #[test]
    fn the_options_do_not_collide_with_the_global_settings() {
        use clap::Parser;
        let cli = crate::Cli::try_parse_from([
            "phone-sim",
            "--bind",
            "127.0.0.1:9443",
            "--tftp-side",
            "false",
            "--sip-bind",
            "127.0.0.1:5070",
            "--phone-bind",
            "127.0.0.2",
            "--tftp",
            "127.0.0.1:7000",
            "--count",
            "3",
            "--no-fetch",
        ])
        .unwrap();
        let args = cli.args;
        assert_eq!(
            cli.settings.bind,
            "127.0.0.1:9443".parse::<SocketAddr>().unwrap()
        );
        assert!(!cli.settings.tftp);
        assert_eq!(
            cli.settings.sip_bind,
            "127.0.0.1:5070".parse::<SocketAddr>().unwrap()
        );
        assert_eq!(args.bind, "127.0.0.2".parse::<IpAddr>().unwrap());
        assert_eq!(args.tftp, "127.0.0.1:7000".parse::<SocketAddr>().unwrap());
        assert_eq!((args.count, args.sockets, args.no_fetch), (3, 16, true));
        assert_eq!(args.first_mac, "0A0000000001");
        let args = crate::Cli::try_parse_from(["phone-sim"]).unwrap().args;
        assert_eq!(args.bind, "127.0.0.1".parse::<IpAddr>().unwrap());
        assert_eq!(args.tftp, "127.0.0.1:6969".parse::<SocketAddr>().unwrap());
        assert_eq!(args.console, "https://127.0.0.1:8443");
    }

    #[test]
    fn phones_are_named_from_the_first_mac_counting_up_in_uppercase() {
        assert_eq!(
            phone_names("0a00000000fe", 3).unwrap(),
            ["SEP0A00000000FE", "SEP0A00000000FF", "SEP0A0000000100"]
        );
        assert_eq!(
            phone_names("FFFFFFFFFFFE", 2).unwrap(),
            ["SEPFFFFFFFFFFFE", "SEPFFFFFFFFFFFF"]
        );
        assert!(matches!(
            phone_names("FFFFFFFFFFFE", 3),
            Err(PhoneSimError::MacOverflow { count: 3, .. })
        ));
        for bad in [
            "",
            "0A000000001",
            "0A00000000011",
            "0A000000000G",
            "+A0000000001",
            "0A:00:00:00:00:01",
        ] {
            assert!(
                matches!(phone_names(bad, 1), Err(PhoneSimError::BadMac(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_notify_is_answered_200_every_time_and_acted_on_once_per_call_id() {
        let mut dialogs = Dialogs::default();
        let first = decide(
            Some(&mut dialogs),
            "NOTIFY",
            Some("c1"),
            Some(DeviceAction::Reset),
            "t1",
        )
        .unwrap();
        assert_eq!((first.code, first.reason), (200, "OK"));
        assert_eq!(first.run, Some(DeviceAction::Reset));
        let again = decide(
            Some(&mut dialogs),
            "NOTIFY",
            Some("c1"),
            Some(DeviceAction::Reset),
            "t2",
        )
        .unwrap();
        assert_eq!((again.code, again.to_tag.as_str()), (200, "t1"));
        assert_eq!(again.run, None);
        let next = decide(
            Some(&mut dialogs),
            "NOTIFY",
            Some("c2"),
            Some(DeviceAction::Restart),
            "t3",
        )
        .unwrap();
        assert_eq!((next.code, next.run), (200, Some(DeviceAction::Restart)));

        let options = decide(Some(&mut dialogs), "OPTIONS", Some("c3"), None, "t4").unwrap();
        assert_eq!((options.code, options.reason), (501, "Not Implemented"));
        assert_eq!(options.run, None);
        let stranger = decide(None, "NOTIFY", Some("c4"), Some(DeviceAction::Reset), "t5").unwrap();
        assert_eq!((stranger.code, stranger.run), (404, None));
        assert!(decide(Some(&mut dialogs), "ACK", Some("c1"), None, "t6").is_none());
    }

    #[test]
    fn call_ids_are_remembered_within_a_bound() {
        let mut dialogs = Dialogs::default();
        for i in 0..REMEMBERED + 5 {
            dialogs.remember(&format!("c{i}"), "t");
        }
        assert_eq!(dialogs.recent.len(), REMEMBERED);
        assert!(dialogs.tag_of("c0").is_none());
        assert!(dialogs.tag_of(&format!("c{}", REMEMBERED + 4)).is_some());
    }

    /// A file sends the phone to CAPF only while `<capfAuthMode>` is not 0, at the address its
    /// `<capfList>` names.
    #[test]
    fn the_capf_request_is_read_from_the_file() {
        let file = |mode: u8| {
            format!(
                "<device>\n  <capfAuthMode>{mode}</capfAuthMode>\n  <capfList>\n    <capf>\n      \
                 <phonePort>3804</phonePort>\n      <processNodeName>10.0.0.1</processNodeName>\n    \
                 </capf>\n  </capfList>\n</device>\n"
            )
        };
        assert_eq!(capf_request_of(file(0).as_bytes()), None);
        assert_eq!(
            capf_request_of(file(2).as_bytes()),
            Some((2, Some("10.0.0.1:3804".parse().unwrap())))
        );
        assert_eq!(capf_request_of(b"<device/>"), None);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("strings");
        std::fs::write(&path, "sep0a0000000001, 73519\n\nSEP0A0000000002,111\n").unwrap();
        let strings = capf_strings(&path).unwrap();
        assert_eq!(strings["SEP0A0000000001"], "73519");
        assert_eq!(strings.len(), 2);
        std::fs::write(&path, "SEP0A0000000001 73519\n").unwrap();
        assert!(capf_strings(&path)
            .unwrap_err()
            .to_string()
            .contains("line 1 is not device,string"));
    }

    #[test]
    fn the_registration_body_carries_the_report_after_a_reset() {
        let contact: SocketAddr = "127.0.0.1:40000".parse().unwrap();
        assert_eq!(
            registration("SEP0A0000000001", contact, None),
            json!({"device": "SEP0A0000000001", "address": "127.0.0.1", "port": 40000, "transport": "udp"})
        );
        let report = Report {
            file: "SEP0A0000000001.cnf.xml.sgn".to_owned(),
            signature: Signature::Valid,
            mode: SecurityMode::Encrypted,
            capf: None,
        };
        let body = registration("SEP0A0000000001", contact, Some(&report));
        assert_eq!(body["running_mode"], "Encrypted");
        assert_eq!(body["config_file"], "SEP0A0000000001.cnf.xml.sgn");
        assert_eq!(body["signature"], "valid");
        assert!(matches!(
            refusal(422, r#"{"error": "port: is required", "field": "port"}"#),
            RegisterError::Refused { status: 422, message } if message == "port: is required"
        ));
    }

    fn identity(dir: &std::path::Path, name: &str) -> Arc<SigningIdentity> {
        let file = format!("{name}.pem");
        let request = CertificateRequest {
            common_name: name.to_owned(),
            unit: "test".to_owned(),
            organization: "phone-sim".to_owned(),
            names: vec![name.to_ascii_lowercase()],
            years: 1,
            ca: false,
        };
        let der = keys::generate(dir, &file, &request, chrono::Utc::now()).unwrap();
        SigningIdentity::load(&dir.join(file), &der).unwrap()
    }

    fn signed(kind: HeaderKind, content: &[u8], name: &str, by: &SigningIdentity) -> Vec<u8> {
        sgn::build(
            kind,
            content,
            name,
            1,
            HashAlgorithm::Sha1,
            &by.info,
            |data| by.sign(HashAlgorithm::Sha1, data),
        )
        .unwrap()
    }

    fn ctl_file(records: &[(&Arc<SigningIdentity>, Role)], by: &SigningIdentity) -> Vec<u8> {
        let records: Vec<ctl::Record> = records
            .iter()
            .map(|(who, role)| ctl::Record {
                role: *role,
                dns_name: who.info.subject.clone(),
                ip_address: String::new(),
                certificate: who.certificate.clone(),
            })
            .collect();
        signed(
            HeaderKind::Ctl,
            &ctl::encode(&records).unwrap(),
            CTL_FILE,
            by,
        )
    }

    #[test]
    fn ctls_and_signed_files_are_checked_against_the_ctl_held() {
        let dir = tempfile::tempdir().unwrap();
        let (sast1, sast2, tftp, rogue) = (
            identity(dir.path(), "SAST1"),
            identity(dir.path(), "SAST2"),
            identity(dir.path(), "TFTP"),
            identity(dir.path(), "ROGUE"),
        );
        let first = ctl_file(
            &[
                (&sast1, Role::Sast),
                (&sast2, Role::Sast),
                (&tftp, Role::Tftp),
            ],
            &sast1,
        );
        let held = accept_ctl(&first, None).unwrap();
        assert_eq!(held.len(), 3);
        let next = ctl_file(&[(&sast2, Role::Sast), (&tftp, Role::Tftp)], &sast2);
        assert!(accept_ctl(&next, Some(&*held)).is_ok());
        let foreign = ctl_file(&[(&rogue, Role::Sast), (&tftp, Role::Tftp)], &rogue);
        assert!(accept_ctl(&foreign, Some(&*held)).is_err());
        assert!(accept_ctl(&foreign, None).is_ok());
        let mut tampered = first.clone();
        if let Some(last) = tampered.last_mut() {
            *last ^= 1;
        }
        assert!(accept_ctl(&tampered, None).is_err());
        assert!(accept_ctl(b"garbage", None).is_err());

        let cnf = b"<device>\n  <deviceSecurityMode>3</deviceSecurityMode>\n</device>\n";
        let name = "SEP0A0000000001.cnf.xml";
        let mut state = PhoneState {
            ctl: Some(held.clone()),
            mode: SecurityMode::NonSecure,
            certificates: PhoneCertificates {
                name: "SEP0A0000000001".to_owned(),
                mic: None,
                lsc: None,
            },
            capf_request: None,
        };
        let good = state.take_signed(
            format!("{name}.sgn"),
            &signed(HeaderKind::Signed, cnf, name, &tftp),
            &held,
        );
        assert_eq!(
            (good.signature, good.mode),
            (Signature::Valid, SecurityMode::Encrypted)
        );
        let other = b"<deviceSecurityMode>1</deviceSecurityMode>";
        let bad = state.take_signed(
            format!("{name}.sgn"),
            &signed(HeaderKind::Signed, other, name, &rogue),
            &held,
        );
        assert_eq!(
            (bad.signature, bad.mode),
            (Signature::Invalid, SecurityMode::Encrypted)
        );
        let by_sast = state.take_signed(
            format!("{name}.sgn"),
            &signed(HeaderKind::Signed, other, name, &sast1),
            &held,
        );
        assert_eq!(by_sast.signature, Signature::Invalid);
        let plain = state.take_plain(
            name.to_owned(),
            b"<deviceSecurityMode>2</deviceSecurityMode>",
        );
        assert_eq!(
            (plain.signature, plain.mode),
            (Signature::Unsigned, SecurityMode::Authenticated)
        );
        assert_eq!(mode_of(b"<device/>"), SecurityMode::NonSecure);
        assert_eq!(
            mode_of(b"<deviceSecurityMode>9</deviceSecurityMode>"),
            SecurityMode::NonSecure
        );
    }
}
