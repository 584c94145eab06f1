//! `phone-sim`: simulated SIP phones for the tests and the load tests — a tool beside the
//! console, not part of it. The phones register with a console, answer its resets, fetch and
//! check their files over TFTP as a phone would (the same signature checks as
//! `ccmadmin verify`), and report the security mode they run with.

mod sim;

use std::process::ExitCode;

use clap::Parser;

use server::cli::Settings;

/// The simulator's command line: the console's settings (its data dir holds the device
/// credential key and the console's certificate) and the simulator's own options.
#[derive(Debug, Parser)]
#[command(name = "phone-sim", version, about)]
pub struct Cli {
    /// Where the console's files are, as `ccmadmin` reads them.
    #[command(flatten)]
    pub settings: Settings,
    /// The phones.
    #[command(flatten)]
    pub args: sim::PhoneSimArgs,
}

fn main() -> ExitCode {
    server::process::start("phone-sim");
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("phone-sim: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(sim::run(&cli.settings, &cli.args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("phone-sim: {e}");
            ExitCode::FAILURE
        }
    }
}
