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

fn run(args: &[String]) -> Result<(), String> {
    let mut port = 0u16;
    let mut fixture = None;
    let mut write = None;
    let mut tls = false;
    let mut ca_file: Option<String> = None;
    let mut demo_hints = false;
    let mut config = GeneratorConfig {
        users: 300,
        groups: 25,
        seed: 1,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().cloned().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--port" => {
                port = value("--port")?
                    .parse()
                    .map_err(|_| "--port needs a number")?
            }
            "--fixture" => fixture = Some(value("--fixture")?),
            "--users" => {
                config.users = value("--users")?
                    .parse()
                    .map_err(|_| "--users needs a number")?
            }
            "--groups" => {
                config.groups = value("--groups")?
                    .parse()
                    .map_err(|_| "--groups needs a number")?
            }
            "--seed" => {
                config.seed = value("--seed")?
                    .parse()
                    .map_err(|_| "--seed needs a number")?
            }
            "--write-fixture" => write = Some(value("--write-fixture")?),
            "--tls" => tls = true,
            "--ca-file" => ca_file = Some(value("--ca-file")?),
            "--demo-hints" => demo_hints = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    let tenant = match fixture {
        Some(path) => load_fixture(std::path::Path::new(&path))?,
        None => generate(config),
    };
    if let Some(path) = write {
        let json = serde_json::to_string_pretty(&tenant).map_err(|e| e.to_string())?;
        std::fs::write(&path, json + "\n").map_err(|e| format!("{path}: {e}"))?;
        println!(
            "wrote {} users and {} groups to {path}",
            tenant.users.len(),
            tenant.groups.len()
        );
        return Ok(());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let mut cfg = EmulatorConfig::new(tenant);
        cfg.port = port;
        cfg.tls = tls || ca_file.is_some();
        cfg.demo_hints = demo_hints;
        let emulator = Emulator::start(cfg).await.map_err(|e| e.to_string())?;
        println!("tenant            {}", emulator.tenant_id());
        println!("authority         {}", emulator.authority());
        println!("Microsoft Graph   {}/v1.0", emulator.base_url());
        #[cfg(feature = "control")]
        println!("control API       {}/_emulator/", emulator.base_url());
        if let Some(pem) = emulator.ca_pem() {
            let path = ca_file.unwrap_or_else(|| "entra-emulator-ca.pem".to_owned());
            std::fs::write(&path, pem).map_err(|e| format!("{path}: {e}"))?;
            println!("CA certificate    {path} (trust it, e.g. REQUESTS_CA_BUNDLE or NODE_EXTRA_CA_CERTS)");
        }
        println!("press Ctrl-C to stop");
        tokio::signal::ctrl_c().await.map_err(|e| e.to_string())?;
        emulator.stop();
        Ok(())
    })
}
