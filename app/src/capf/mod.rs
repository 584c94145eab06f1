//! The Certificate Authority Proxy Function (ssr only; `docs/FORMATS.md`, "CAPF protocol"): the
//! wire format, the phones' raw-RSA certificate proof, the LSC profile and the certificate
//! checks, and CAPF's side of a session. The TLS listener runs in the server (`server::capf`);
//! the store side is `service::capf`.

pub mod codec;
pub mod lsc;
pub mod proof;
pub mod session;
