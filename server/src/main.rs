//! `ccmadmin`: the console's single binary.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use server::cli::{Cli, Command, UserCommand};
use server::{commands, serve, verify};

fn main() -> ExitCode {
    // Every file and folder the console creates — the SQLite store and its WAL, keys, built
    // files — is its owner's only: nothing it writes is read by another user.
    let _previous = rustix::process::umask(rustix::fs::Mode::RWXG | rustix::fs::Mode::RWXO);
    if rustls::crypto::ring::default_provider()
        .install_default()
        .is_err()
    {
        eprintln!("ccmadmin: a TLS crypto provider was already installed");
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    raise_open_files_limit();
    let cli = Cli::parse();
    if let Some(Command::Verify { file, cert, ctl }) = &cli.command {
        let anchor = match (cert, ctl) {
            (Some(cert), _) => Some(verify::TrustAnchor::Certificate(cert)),
            (None, Some(ctl)) => Some(verify::TrustAnchor::Ctl(ctl)),
            (None, None) => None,
        };
        return ExitCode::from(verify::verify(file, anchor));
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("ccmadmin: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => serve::serve(&cli.settings).await.map_err(|e| e.to_string()),
            Command::Migrate => commands::migrate(&cli.settings)
                .await
                .map_err(|e| e.to_string()),
            Command::Demo { phones } => commands::demo(&cli.settings, phones)
                .await
                .map_err(|e| e.to_string()),
            Command::User(UserCommand::Passwd { name, generate }) => {
                commands::passwd(&cli.settings, &name, generate)
                    .await
                    .map_err(|e| e.to_string())
            }
            Command::PhoneSim(args) => server::phone_sim::run(&cli.settings, &args)
                .await
                .map_err(|e| e.to_string()),
            Command::BuildFiles => commands::build_files(&cli.settings)
                .await
                .map_err(|e| e.to_string()),
            Command::Verify { .. } => Ok(()),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("ccmadmin: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Raises the soft limit of open files to the hard one: the TFTP pipeline holds a batch of
/// unnamed files open until they are linked, and every TFTP transfer and HTTPS connection holds
/// one more. (Where it cannot, the pipeline falls back to named temporary files.)
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
