//! `strata login` / `strata logout`: check credentials against a registry and keep them in
//! Docker's `config.json` (or its credential helper), as `docker login` does.

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use anyhow::{Context, Result};
use strata_registry::auth::{Credential, DockerConfig};

use crate::output::print;

/// Options of `login`.
#[derive(clap::Args)]
pub struct LoginArgs {
    /// Username.
    #[arg(short, long)]
    username: Option<String>,
    /// Password (prefer --password-stdin).
    #[arg(short, long)]
    password: Option<String>,
    /// Take the password from stdin.
    #[arg(long)]
    password_stdin: bool,
    /// The registry (default: Docker Hub).
    #[arg(value_name = "SERVER")]
    server: Option<String>,
}

/// Options of `logout`.
#[derive(clap::Args)]
pub struct LogoutArgs {
    /// The registry (default: Docker Hub).
    #[arg(value_name = "SERVER")]
    server: Option<String>,
}

fn domain(server: Option<&str>) -> String {
    let s = server.unwrap_or("docker.io");
    let s = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .unwrap_or(s);
    let host = s.split('/').next().unwrap_or(s);
    match host {
        "index.docker.io" | "registry-1.docker.io" | "" => "docker.io".to_string(),
        h => h.to_string(),
    }
}

/// Runs `login`.
pub fn run_login(args: LoginArgs, ctx: &super::Context) -> Result<ExitCode> {
    let domain = domain(args.server.as_deref());
    let username = match args.username {
        Some(u) => u,
        None => {
            if !std::io::stdin().is_terminal() || args.password_stdin {
                anyhow::bail!("Must provide --username with --password-stdin");
            }
            eprint!("Username: ");
            let mut u = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut u)
                .context("reading username")?;
            u.trim().to_string()
        }
    };
    let password = if args.password_stdin {
        let mut p = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut p)
            .context("reading password from stdin")?;
        p.trim_end_matches(['\n', '\r']).to_string()
    } else if let Some(p) = args.password {
        eprintln!("WARNING! Using --password via the CLI is insecure. Use --password-stdin.");
        p
    } else {
        anyhow::bail!("password required: use --password-stdin");
    };
    if username.is_empty() || password.is_empty() {
        anyhow::bail!("Username and password are required");
    }
    let cred = Credential {
        username,
        secret: password,
    };
    let client = strata_registry::client::Client::with_credential(
        &domain,
        ctx.registry.clone(),
        Some(cred.clone()),
    );
    client.ping().map_err(|e| {
        anyhow::anyhow!("Error response from daemon: login attempt to {domain} failed: {e}")
    })?;
    let mut cfg = DockerConfig::load_from(&crate::settings::docker_config_dir())?;
    cfg.store(&domain, &cred)?;
    print("Login Succeeded\n");
    Ok(ExitCode::SUCCESS)
}

/// Runs `logout`.
pub fn run_logout(args: LogoutArgs) -> Result<ExitCode> {
    let domain = domain(args.server.as_deref());
    let mut cfg = DockerConfig::load_from(&crate::settings::docker_config_dir())?;
    let shown = if domain == "docker.io" {
        strata_registry::auth::HUB_KEY.to_string()
    } else {
        domain.clone()
    };
    if cfg.erase(&domain)? {
        print(&format!("Removing login credentials for {shown}\n"));
    } else {
        print(&format!("Not logged in to {shown}\n"));
    }
    Ok(ExitCode::SUCCESS)
}
