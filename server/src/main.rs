//! `ccmadmin`: the console's binary (the phone simulator is the separate tool `phone-sim`).

use std::process::ExitCode;

use clap::Parser;

use server::cli::{Cli, Command, UserCommand};
use server::{backup, commands, serve, verify};

fn main() -> ExitCode {
    server::process::start("ccmadmin");
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
            Command::BuildFiles => commands::build_files(&cli.settings)
                .await
                .map_err(|e| e.to_string()),
            Command::Backup(args) => backup::backup(&cli.settings, args)
                .await
                .map_err(|e| e.to_string()),
            Command::Restore {
                file,
                data_only,
                passphrase_file,
            } => backup::restore(&cli.settings, &file, data_only, passphrase_file.as_deref())
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
