//! The commands besides `serve` and `verify`: `migrate`, `user passwd`, `demo` and `build-files`.

use std::io::{BufRead, IsTerminal};

use app::error::AppError;
use app::service::{auth, password};

use crate::cli::Settings;
use crate::serve::{open_store, ServeError};

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The store could not be opened.
    #[error(transparent)]
    Serve(#[from] ServeError),
    /// The operation was refused.
    #[error("{0}")]
    Refused(#[from] AppError),
    /// The password could not be read.
    #[error("cannot read the password: {0}")]
    Input(#[from] std::io::Error),
    /// The two typed passwords differ.
    #[error("the two passwords differ; nothing was changed")]
    Mismatch,
}

/// `ccmadmin migrate`: opening the store runs every pending migration.
pub async fn migrate(settings: &Settings) -> Result<(), CommandError> {
    open_store(settings).await?;
    println!("store is up to date");
    Ok(())
}

/// `ccmadmin user passwd NAME [--generate]`.
pub async fn passwd(settings: &Settings, name: &str, generate: bool) -> Result<(), CommandError> {
    let state = open_store(settings).await?;
    let (new_password, must_change) = if generate {
        (password::generate(), true)
    } else {
        (read_password()?, false)
    };
    auth::set_password_from_host(&state, name, &new_password, must_change).await?;
    if generate {
        println!(
            "New one-time password of {name}: {new_password}\nIt must be changed at next login."
        );
    } else {
        println!("Password of {name} changed; their sessions were ended.");
    }
    Ok(())
}

fn read_password() -> Result<String, CommandError> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("New password: ")?;
        let second = rpassword::prompt_password("Repeat it: ")?;
        if first != second {
            return Err(CommandError::Mismatch);
        }
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }
}

/// `ccmadmin demo --phones N`.
pub async fn demo(settings: &Settings, phones: u64) -> Result<(), CommandError> {
    let state = open_store(settings).await?;
    let started = std::time::Instant::now();
    let made = app::service::demo::generate(
        &state,
        &app::service::authz::Internal::at_start("command"),
        phones,
    )
    .await?;
    println!(
        "demo cluster: {} servers, {} device pools, {} phones, {} other devices ({:.1} s)",
        made.servers,
        made.pools,
        made.phones,
        made.other_devices,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `ccmadmin build-files`: one build of the TFTP folder for the store, in the foreground; prints
/// the files, how many were written and signed, the time and the signing rate.
pub async fn build_files(settings: &Settings) -> Result<(), CommandError> {
    let state = open_store(settings).await?;
    let target = app::store::files::latest_change(&state.db)
        .await
        .map_err(AppError::from)?;
    let started = std::time::Instant::now();
    let report = crate::pipeline::build(&state, target).await?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "built {} files: {} written, {} signed, {} removed in {secs:.2} s ({:.0} signatures/s)",
        report.total,
        report.written,
        report.signed,
        report.removed,
        report.signed as f64 / secs.max(1e-9)
    );
    Ok(())
}
