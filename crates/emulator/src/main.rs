//! `entra-emulator`: run the Entra ID + Graph emulator from the command line.

use aadsync_emulator::{Emulator, EmulatorConfig, GeneratorConfig, generate, load_fixture};
use std::process::ExitCode;

const USAGE: &str = "usage: entra-emulator [--port N] [--fixture FILE | --users N --groups M --seed S] [--write-fixture FILE]

  --port N           port on 127.0.0.1 (default 0: any free port)
  --fixture FILE     serve the tenant in FILE (JSON, see crates/emulator/fixtures/README.md)
  --users N          generate N users (default 300) …
  --groups M         … and M groups (default 25) …
  --seed S           … from seed S (default 1); the same seed gives the same tenant
  --write-fixture F  write the tenant to F as a fixture and exit
  --tls              serve https with a generated CA …
  --ca-file F        … and write the CA certificate (PEM) to F for clients to trust
  --demo-hints       show the demo credentials and second-factor code on the login pages";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("entra-emulator: {message}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// What the command line asks for.
struct Options {
    port: u16,
    fixture: Option<String>,
    write: Option<String>,
    tls: bool,
    ca_file: Option<String>,
    demo_hints: bool,
    generator: GeneratorConfig,
}

fn run(args: &[String]) -> Result<(), String> {
    let Some(options) = parse(args)? else {
        println!("{USAGE}");
        return Ok(());
    };
    let tenant = match &options.fixture {
        Some(path) => load_fixture(std::path::Path::new(path))?,
        None => generate(options.generator),
    };
    if let Some(path) = &options.write {
        return write_fixture(&tenant, path);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(serve(tenant, options))
}

/// The options, or `None` for `--help`.
fn parse(args: &[String]) -> Result<Option<Options>, String> {
    let mut options = Options {
        port: 0,
        fixture: None,
        write: None,
        tls: false,
        ca_file: None,
        demo_hints: false,
        generator: GeneratorConfig {
            users: 300,
            groups: 25,
            seed: 1,
        },
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().cloned().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--port" => options.port = number(value("--port")?, "--port")?,
            "--fixture" => options.fixture = Some(value("--fixture")?),
            "--users" => options.generator.users = number(value("--users")?, "--users")?,
            "--groups" => options.generator.groups = number(value("--groups")?, "--groups")?,
            "--seed" => options.generator.seed = number(value("--seed")?, "--seed")?,
            "--write-fixture" => options.write = Some(value("--write-fixture")?),
            "--tls" => options.tls = true,
            "--ca-file" => options.ca_file = Some(value("--ca-file")?),
            "--demo-hints" => options.demo_hints = true,
            "-h" | "--help" => return Ok(None),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Some(options))
}

fn number<T: std::str::FromStr>(value: String, name: &str) -> Result<T, String> {
    value.parse().map_err(|_| format!("{name} needs a number"))
}

fn write_fixture(tenant: &aadsync_emulator::Tenant, path: &str) -> Result<(), String> {
    let json = serde_json::to_string_pretty(tenant).map_err(|e| e.to_string())?;
    std::fs::write(path, json + "\n").map_err(|e| format!("{path}: {e}"))?;
    println!(
        "wrote {} users and {} groups to {path}",
        tenant.users.len(),
        tenant.groups.len()
    );
    Ok(())
}

/// Serves until Ctrl-C, after printing where (and, with TLS, writing the CA to trust).
async fn serve(tenant: aadsync_emulator::Tenant, options: Options) -> Result<(), String> {
    let mut cfg = EmulatorConfig::new(tenant);
    cfg.port = options.port;
    cfg.tls = options.tls || options.ca_file.is_some();
    cfg.demo_hints = options.demo_hints;
    let emulator = Emulator::start(cfg).await.map_err(|e| e.to_string())?;
    println!("tenant            {}", emulator.tenant_id());
    println!("authority         {}", emulator.authority());
    println!("Microsoft Graph   {}/v1.0", emulator.base_url());
    #[cfg(feature = "control")]
    println!("control API       {}/_emulator/", emulator.base_url());
    if let Some(pem) = emulator.ca_pem() {
        let path = options
            .ca_file
            .unwrap_or_else(|| "entra-emulator-ca.pem".to_owned());
        std::fs::write(&path, pem).map_err(|e| format!("{path}: {e}"))?;
        println!(
            "CA certificate    {path} (trust it, e.g. REQUESTS_CA_BUNDLE or NODE_EXTRA_CA_CERTS)"
        );
    }
    println!("press Ctrl-C to stop");
    tokio::signal::ctrl_c().await.map_err(|e| e.to_string())?;
    emulator.stop();
    Ok(())
}
