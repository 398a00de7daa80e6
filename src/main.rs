//! The `bourg` command: `serve` the layers over HTTP, or `check` that they load.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use bourg::{AppState, Catalog};
use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    version,
    about = "Bourg: a map server for town-centre revitalisation in France"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Load every layer and serve them over HTTP.
    Serve {
        /// Folder of layer files (*.toml).
        #[arg(long, env = "BOURG_LAYERS", default_value = "layers")]
        layers: PathBuf,
        /// Address to listen on.
        #[arg(long, env = "BOURG_ADDR", default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        /// Folder of the web UI, served at `/`.
        #[arg(long, env = "BOURG_WEB", default_value = "web")]
        web: PathBuf,
    },
    /// Load every layer, print what was found, and exit non-zero on any error.
    Check {
        /// Folder of layer files (*.toml).
        #[arg(long, env = "BOURG_LAYERS", default_value = "layers")]
        layers: PathBuf,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("BOURG_LOG").unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve { layers, addr, web } => serve(layers, addr, web),
        Command::Check { layers } => check(layers),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn serve(layers: PathBuf, addr: SocketAddr, web: PathBuf) -> anyhow::Result<()> {
    let catalog = Catalog::load(&layers)?;
    let features: usize = catalog.layers().map(|l| l.features.len()).sum();
    tracing::info!(
        layers = catalog.len(),
        features,
        ms = catalog.load_time.as_millis() as u64,
        "catalogue loaded"
    );
    let state = AppState {
        catalog: Arc::new(catalog),
        web_dir: web,
    };
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        tracing::info!("serving on http://{addr}");
        axum::serve(listener, bourg::router(state))
            .with_graceful_shutdown(shutdown_signal())
            .await
            .context("server failed")
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

fn check(layers: PathBuf) -> anyhow::Result<()> {
    let catalog = Catalog::load(&layers)?;
    println!(
        "{:<24} {:>9} {:>7} {:>7} {:>7} {:>8}  bounds (WGS84 W,S,E,N)",
        "layer", "features", "empty", "invalid", "range", "repaired"
    );
    for layer in catalog.layers() {
        let r = &layer.report;
        let bounds = layer
            .bounds
            .map(|b| {
                let [w, s, e, n] = b.to_array();
                format!("{w:.5},{s:.5},{e:.5},{n:.5}")
            })
            .unwrap_or_else(|| "-".to_owned());
        println!(
            "{:<24} {:>9} {:>7} {:>7} {:>7} {:>8}  {bounds}",
            layer.id(),
            r.features,
            r.empty.count,
            r.invalid.count,
            r.out_of_range.count,
            r.repaired.count,
        );
        let tallies = [
            ("empty", &r.empty),
            ("invalid", &r.invalid),
            ("out of range", &r.out_of_range),
            ("repaired", &r.repaired),
        ];
        for (what, tally) in tallies {
            for example in &tally.examples {
                println!("    {what}: {example}");
            }
        }
        for (property, tally) in &r.invalid_values {
            println!("    {} value(s) of {property} became null", tally.count);
            for example in &tally.examples {
                println!("      {example}");
            }
        }
        for join in &r.joins {
            println!(
                "    join {}: {} rows, {} features matched, {} unmatched features, {} unmatched rows{}",
                join.table,
                join.rows,
                join.matched,
                join.unmatched_features,
                join.unmatched_rows,
                if join.unmatched_keys.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", join.unmatched_keys.join(", "))
                }
            );
        }
    }
    println!(
        "{} layers loaded in {} ms",
        catalog.len(),
        catalog.load_time.as_millis()
    );
    Ok(())
}
