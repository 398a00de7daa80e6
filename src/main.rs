//! The `bourg` command: `serve` the layers over HTTP, `check` that they load, `export` their
//! tiles to a PMTiles or MBTiles archive, or `synth`esise the synthetic RPLS and vacancy files.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use bourg::{AppState, Catalog, LoadOptions, Settings};
use clap::{Args, Parser, Subcommand};
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
#[allow(clippy::large_enum_variant)] // parsed once
enum Command {
    /// Load every layer and serve them over HTTP.
    Serve {
        /// Folder of layer files (*.toml).
        #[arg(long, env = "BOURG_LAYERS", default_value = "layers/france")]
        layers: PathBuf,
        /// Address to listen on.
        #[arg(long, env = "BOURG_ADDR", default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        /// Folder of the web UI, served at `/` (for development: files are read again when they
        /// change); without it, the UI compiled into the binary.
        #[arg(long, env = "BOURG_WEB", value_name = "DIR", value_parser = existing_folder)]
        web: Option<PathBuf>,
        /// Memory for cached tiles, in MiB (0 disables the cache).
        #[arg(long, env = "BOURG_TILE_CACHE_MB", default_value_t = 256)]
        tile_cache_mb: u64,
        /// `Cache-Control` header sent with tiles.
        #[arg(
            long,
            env = "BOURG_TILE_CACHE_CONTROL",
            default_value = "public, max-age=300"
        )]
        tile_cache_control: String,
        /// CPU-bound requests (tiles, items pages, sheets, site rankings) computed at once; the
        /// others wait their turn (0: twice the number of cores).
        #[arg(long, env = "BOURG_CPU_WORK", default_value_t = 0)]
        cpu_work: usize,
        /// Do not watch the layer files; reload with `POST /admin/reload` or SIGHUP.
        #[arg(long, env = "BOURG_NO_WATCH")]
        no_watch: bool,
        /// Quiet time after the last change of a layer file before the layers reload, in
        /// milliseconds.
        #[arg(long, env = "BOURG_WATCH_DEBOUNCE_MS", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(10..=600_000))]
        watch_debounce_ms: u64,
        /// Serve as one of several replicas behind a load balancer: ratings in the shared
        /// PostgreSQL database (`--database postgres://…`, required), no file watching, nothing
        /// written to disk (the prepared-catalogue cache is read, never written). Roll new data
        /// out by restarting replicas, or with `POST /admin/reload` on each.
        #[arg(long, env = "BOURG_REPLICA")]
        replica: bool,
        #[command(flatten)]
        limits: LimitArgs,
        #[command(flatten)]
        cache: CacheArgs,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Manage the organisations and members who rate residences (qualification du parc).
    Admin {
        #[command(subcommand)]
        what: AdminCommand,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Load every layer, print what was found, and exit non-zero on any error.
    Check {
        /// Folder of layer files (*.toml).
        #[arg(long, env = "BOURG_LAYERS", default_value = "layers/france")]
        layers: PathBuf,
        #[command(flatten)]
        cache: CacheArgs,
    },
    /// Render the tiles of one layer or a composite into a PMTiles or MBTiles archive, byte for
    /// byte the tiles the server serves (gzip-compressed in the archive).
    Export {
        /// Folder of layer files (*.toml).
        #[arg(long, env = "BOURG_LAYERS", default_value = "layers/france")]
        layers: PathBuf,
        /// Layer ids, comma-separated: one layer or a composite, as in /tiles/{layers}/…
        #[arg(long = "layer", value_name = "IDS")]
        layer: String,
        /// Lowest zoom [default: the layers' lowest min_zoom].
        #[arg(long)]
        minzoom: Option<u8>,
        /// Highest zoom [default: the layers' highest max_zoom].
        #[arg(long)]
        maxzoom: Option<u8>,
        /// Only the tiles meeting this box: west,south,east,north in WGS84 degrees.
        #[arg(long, value_parser = bbox, allow_hyphen_values = true)]
        bbox: Option<bourg::bbox::BboxWgs84>,
        /// The archive: FILE.pmtiles or FILE.mbtiles.
        #[arg(long, short)]
        output: PathBuf,
        /// pmtiles or mbtiles [default: from the output's extension].
        #[arg(long, value_parser = archive_format)]
        format: Option<bourg::archive::Format>,
        /// Overwrite an existing output.
        #[arg(long)]
        force: bool,
        /// Print the summary as one JSON line too.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        cache: CacheArgs,
    },
    /// Generate synthetic social housing (RPLS layout, one row per dwelling) and private
    /// long-term vacancy points (LOVAC-like), calibrated on public aggregates.
    Synth {
        /// Département to generate (repeatable), e.g. `--dep 62 --dep 25`.
        #[arg(long = "dep", value_name = "CODE", required_unless_present = "france")]
        deps: Vec<String>,
        /// Every metropolitan département.
        #[arg(long, conflicts_with = "deps")]
        france: bool,
        /// Output folder (created if missing).
        #[arg(long)]
        out: PathBuf,
        /// Seed of every random draw: the same seed gives the same files.
        #[arg(long, default_value_t = bourg::synth::DEFAULT_SEED)]
        seed: u64,
        /// Data folder: demo polygons, and the national tables in its `france/` folder.
        #[arg(long, default_value = "layers/data")]
        data: PathBuf,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Organisations: landlords, communes, EPCIs, the State, associations.
    Org {
        #[command(subcommand)]
        what: OrgCommand,
    },
    /// Members' personal tokens.
    Token {
        #[command(subcommand)]
        what: TokenCommand,
    },
}

#[derive(Subcommand)]
enum OrgCommand {
    /// Add an organisation; prints it as a JSON line with its id.
    Add {
        /// Its name, e.g. "CA de Lens-Liévin".
        #[arg(long)]
        name: String,
        /// bailleur, commune, epci, etat or association.
        #[arg(long)]
        kind: String,
    },
    /// List the organisations, one JSON line each.
    List,
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Add a member to an organisation with a personal token, printed once (JSON line).
    Add {
        /// The organisation's id.
        #[arg(long)]
        org: i64,
        /// The member's name.
        #[arg(long)]
        name: String,
    },
    /// Revoke a member's token and close their sessions.
    Revoke {
        /// The member's id.
        #[arg(long)]
        member: i64,
    },
}

/// Where ratings, organisations and members are kept.
#[derive(Args)]
struct DatabaseArgs {
    /// `sqlite:PATH` (a file, created if missing) or `postgres://user:password@host/database`
    /// (for several replicas).
    #[arg(long, env = "BOURG_DATABASE", global = true, default_value = bourg::db::DatabaseUrl::DEFAULT, value_parser = bourg::db::DatabaseUrl::parse, hide_env_values = true)]
    database: bourg::db::DatabaseUrl,
}

/// What a request may ask and how long it may take; who may use the admin routes; which pages
/// may read the API. See the README's "Security and limits".
#[derive(Args)]
struct LimitArgs {
    /// Requests that may wait for CPU-bound work; past them the server answers 503 with
    /// Retry-After at once.
    #[arg(long, env = "BOURG_CPU_QUEUE", default_value_t = 256)]
    cpu_queue: usize,
    /// Longest wait for CPU-bound work before a 503, in seconds.
    #[arg(long, env = "BOURG_CPU_WAIT_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    cpu_wait_secs: u64,
    /// Longest time a request may take before a 503, in seconds.
    #[arg(long, env = "BOURG_REQUEST_TIMEOUT_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    request_timeout_secs: u64,
    /// Largest request body, in bytes (uploads have their own caps).
    #[arg(long, env = "BOURG_MAX_BODY_BYTES", default_value_t = 1 << 20, value_parser = clap::value_parser!(u64).range(1..=(1 << 30)))]
    max_body_bytes: u64,
    /// Longest query string, in bytes (filters included).
    #[arg(long, env = "BOURG_MAX_QUERY_BYTES", default_value_t = 16 << 10, value_parser = clap::value_parser!(u64).range(256..=(1 << 20)))]
    max_query_bytes: u64,
    /// Bearer token of the admin routes (POST /admin/reload, organisations and members) and of
    /// every campaign, 24 visible ASCII characters or more; without one the admin routes are off.
    #[arg(long, env = "BOURG_ADMIN_TOKEN", hide_env_values = true, value_parser = admin_token)]
    admin_token: Option<bourg::AdminToken>,
    /// Origins whose pages may read the API (repeatable, or comma-separated in the
    /// environment), e.g. https://carto.example.fr; any origin when none is given.
    #[arg(long = "cors-origin", env = "BOURG_CORS_ORIGINS", value_delimiter = ',', value_parser = origin)]
    cors_origins: Vec<axum::http::HeaderValue>,
    /// On SIGTERM, how long in-flight requests may take to finish before the server exits, in
    /// seconds.
    #[arg(long, env = "BOURG_SHUTDOWN_GRACE_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(0..=3600))]
    shutdown_grace_secs: u64,
    /// Largest uploaded perimeter (POST /api/territories/stats), in bytes.
    #[arg(long, env = "BOURG_UPLOAD_MAX_BYTES", default_value_t = 20 << 20, value_parser = clap::value_parser!(u64).range(1..=(1 << 30)))]
    upload_max_bytes: u64,
    /// Largest total of a zipped Shapefile's files once inflated, in bytes.
    #[arg(long, env = "BOURG_UPLOAD_MAX_UNCOMPRESSED_BYTES", default_value_t = 100 << 20, value_parser = clap::value_parser!(u64).range(1..=(1 << 34)))]
    upload_max_uncompressed_bytes: u64,
    /// Most features in an uploaded perimeter.
    #[arg(long, env = "BOURG_UPLOAD_MAX_FEATURES", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    upload_max_features: u64,
    /// Most vertices in an uploaded perimeter, over all its features.
    #[arg(long, env = "BOURG_UPLOAD_MAX_VERTICES", default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(4..=100_000_000))]
    upload_max_vertices: u64,
}

impl LimitArgs {
    fn apply(self, settings: Settings) -> Settings {
        use std::time::Duration;
        Settings {
            cpu_queue: self.cpu_queue,
            cpu_wait: Duration::from_secs(self.cpu_wait_secs),
            request_timeout: Duration::from_secs(self.request_timeout_secs),
            max_body_bytes: usize::try_from(self.max_body_bytes).unwrap_or(usize::MAX),
            max_query_bytes: usize::try_from(self.max_query_bytes).unwrap_or(usize::MAX),
            admin_token: self.admin_token,
            cors_origins: self.cors_origins,
            shutdown_grace: Duration::from_secs(self.shutdown_grace_secs),
            uploads: bourg::analysis::upload::UploadLimits {
                max_bytes: usize::try_from(self.upload_max_bytes).unwrap_or(usize::MAX),
                max_uncompressed_bytes: self.upload_max_uncompressed_bytes,
                max_features: usize::try_from(self.upload_max_features).unwrap_or(usize::MAX),
                max_vertices: usize::try_from(self.upload_max_vertices).unwrap_or(usize::MAX),
            },
            ..settings
        }
    }
}

fn bbox(text: &str) -> Result<bourg::bbox::BboxWgs84, String> {
    bourg::bbox::BboxWgs84::parse(text).map_err(|e| e.to_string())
}

fn archive_format(text: &str) -> Result<bourg::archive::Format, String> {
    bourg::archive::Format::parse(text)
        .ok_or_else(|| format!("unknown archive format {text:?}: use pmtiles or mbtiles"))
}

fn admin_token(text: &str) -> Result<bourg::AdminToken, String> {
    bourg::AdminToken::new(text)
}

/// An origin as browsers send it: `http(s)://host[:port]`, no path.
fn origin(text: &str) -> Result<axum::http::HeaderValue, String> {
    let text = text.trim();
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
        .ok_or_else(|| format!("{text:?} is not an origin: write https://host[:port]"))?;
    let host_ok = !rest.is_empty()
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    if !host_ok {
        return Err(format!(
            "{text:?} is not an origin: write https://host[:port], without a path"
        ));
    }
    axum::http::HeaderValue::from_str(text).map_err(|e| e.to_string())
}

/// Where the prepared-catalogue cache is.
#[derive(Args)]
struct CacheArgs {
    /// Folder of the prepared-catalogue cache: layers whose inputs are unchanged are read from
    /// it instead of their sources [default: $XDG_CACHE_HOME/bourg, else $HOME/.cache/bourg].
    #[arg(long, env = "BOURG_CACHE_DIR", value_name = "DIR", value_parser = non_empty_path)]
    cache_dir: Option<PathBuf>,
    /// Load every layer from its sources, and neither read nor write the cache.
    #[arg(long)]
    no_cache: bool,
}

impl CacheArgs {
    fn options(self, write_in_background: bool) -> LoadOptions {
        let cache_dir = if self.no_cache {
            None
        } else {
            self.cache_dir.or_else(bourg::cache::default_dir)
        };
        LoadOptions {
            cache_dir,
            write_in_background,
            read_only_cache: false,
        }
    }
}

fn non_empty_path(text: &str) -> Result<PathBuf, String> {
    if text.trim().is_empty() {
        return Err("the folder must not be empty".into());
    }
    let path = PathBuf::from(text);
    if path.exists() && !path.is_dir() {
        return Err(format!("{text} exists and is not a folder"));
    }
    Ok(path)
}

fn existing_folder(text: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(text);
    if !path.is_dir() {
        return Err(format!("{text} is not a folder"));
    }
    Ok(path)
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("BOURG_LOG").unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve {
            layers,
            addr,
            web,
            tile_cache_mb,
            tile_cache_control,
            cpu_work,
            no_watch,
            watch_debounce_ms,
            replica,
            limits,
            cache,
            database,
        } => {
            if replica && !matches!(database.database, bourg::db::DatabaseUrl::Postgres(_)) {
                eprintln!("error: --replica shares its ratings through PostgreSQL: give --database postgres://user:password@host/database (or BOURG_DATABASE)");
                return ExitCode::from(2);
            }
            let defaults = limits.apply(Settings::new(web));
            let settings = Settings {
                tile_cache_bytes: tile_cache_mb.saturating_mul(1 << 20),
                tile_cache_control,
                cpu_work: if cpu_work == 0 {
                    defaults.cpu_work
                } else {
                    cpu_work
                },
                ..defaults
            };
            let mut options = cache.options(true);
            options.read_only_cache = replica;
            let watch = (!no_watch && !replica)
                .then(|| std::time::Duration::from_millis(watch_debounce_ms));
            serve(layers, addr, settings, options, &database.database, watch)
        }
        Command::Admin { what, database } => admin(what, &database.database),
        Command::Check { layers, cache } => check(layers, cache.options(false)),
        Command::Export {
            layers,
            layer,
            minzoom,
            maxzoom,
            bbox,
            output,
            format,
            force,
            json,
            cache,
        } => export(
            &layers,
            cache.options(false),
            bourg::archive::export::Options {
                layers: layer,
                minzoom,
                maxzoom,
                bbox,
                output,
                format,
                force,
            },
            json,
        ),
        Command::Synth {
            deps,
            france,
            out,
            seed,
            data,
        } => synth(bourg::synth::Options {
            scope: if france {
                bourg::synth::Scope::France
            } else {
                bourg::synth::Scope::Departements(deps)
            },
            seed,
            data_dir: data,
            out_dir: out,
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// `bourg admin …`: prints what it made as JSON lines on stdout.
fn admin(what: AdminCommand, database: &bourg::db::DatabaseUrl) -> anyhow::Result<()> {
    use bourg::qualif::{accounts, OrgKind};
    let db = bourg::db::Database::open(database)?;
    let line = |v: serde_json::Value| println!("{v}");
    db.with(|c| -> anyhow::Result<()> {
        match what {
            AdminCommand::Org {
                what: OrgCommand::Add { name, kind },
            } => {
                let org = accounts::add_org(c, &name, OrgKind::parse(&kind)?)?;
                line(serde_json::json!(org));
            }
            AdminCommand::Org {
                what: OrgCommand::List,
            } => {
                for org in accounts::orgs(c)? {
                    line(serde_json::json!(org));
                }
            }
            AdminCommand::Token {
                what: TokenCommand::Add { org, name },
            } => {
                let (member, token) = accounts::add_member(c, org, &name)?;
                line(serde_json::json!({
                    "member": member.id,
                    "org": member.org.id,
                    "name": member.name,
                    "token": token,
                }));
                eprintln!("keep this token: it is shown once and stored hashed");
            }
            AdminCommand::Token {
                what: TokenCommand::Revoke { member },
            } => {
                accounts::revoke_member(c, member)?;
                eprintln!("member {member}'s token is revoked");
            }
        }
        Ok(())
    })
}

fn serve(
    layers: PathBuf,
    addr: SocketAddr,
    settings: Settings,
    options: LoadOptions,
    database: &bourg::db::DatabaseUrl,
    watch: Option<std::time::Duration>,
) -> anyhow::Result<()> {
    axum::http::HeaderValue::from_str(&settings.tile_cache_control)
        .context("--tile-cache-control is not a valid header value")?;
    let catalog = Catalog::load_with(&layers, &options)?;
    let features: usize = catalog.layers().map(|l| l.len()).sum();
    tracing::info!(
        layers = catalog.len(),
        from_cache = catalog.from_cache().len(),
        features,
        ms = catalog.load_time.as_millis() as u64,
        "catalogue loaded"
    );
    let db = bourg::db::Database::open(database)?;
    tracing::info!(database = %db.describe(), "database ready");
    let state = AppState::new(catalog, settings).with_database(db);
    // CPU-bound work holds a permit (see `AppState::blocking`); the other blocking tasks
    // (database work, reloads, the cache writer) fit in the margin.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(state.settings.cpu_work + 24)
        .build()
        .context("cannot start the async runtime")?;
    let result = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        let local = listener.local_addr().unwrap_or(addr);
        tracing::info!("serving on http://{local}");
        tokio::spawn(reload_on_sighup(state.clone()));
        // Dropped (the watching stopped) when the server stops.
        let _watcher = match watch {
            Some(debounce) => match bourg::watch::watch(state.clone(), debounce) {
                Ok(w) => Some(w),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot watch the layer files: reload with POST /admin/reload or SIGHUP");
                    None
                }
            },
            None => None,
        };
        let grace = state.settings.shutdown_grace;
        // On SIGTERM or Ctrl-C the server stops accepting and lets the requests in flight
        // finish, for `grace` at most.
        let (stopping, mut stop) = tokio::sync::watch::channel(false);
        let server = axum::serve(listener, bourg::router(state)).with_graceful_shutdown(async move {
            shutdown_signal().await;
            let _ = stopping.send(true);
        });
        let deadline = async move {
            while stop.changed().await.is_ok() {
                if *stop.borrow() {
                    tokio::time::sleep(grace).await;
                    return;
                }
            }
            std::future::pending::<()>().await;
        };
        tokio::select! {
            result = server => {
                tracing::info!("stopped");
                result.context("server failed")
            }
            () = deadline => {
                tracing::warn!(grace_s = grace.as_secs(), "requests still in flight after the grace period: exiting");
                Ok(())
            }
        }
    });
    // Work still running on the blocking pool is not waited for.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    result
}

/// Reloads the layers whose files changed on each SIGHUP; a failed reload keeps the current ones.
async fn reload_on_sighup(state: AppState) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let Ok(mut hangups) = signal(SignalKind::hangup()) else {
            tracing::warn!("cannot listen for SIGHUP: reloading is off");
            return;
        };
        while hangups.recv().await.is_some() {
            let s = state.clone();
            // The reload logs its outcome.
            if let Err(e) =
                tokio::task::spawn_blocking(move || s.reload_for(bourg::Trigger::Signal)).await
            {
                tracing::error!(error = %e, "reload task failed");
            }
        }
    }
    #[cfg(not(unix))]
    let _ = state;
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
    tracing::info!("shutting down: no new connections, finishing the requests in flight");
}

fn synth(options: bourg::synth::Options) -> anyhow::Result<()> {
    use std::io::Write;
    let summary = bourg::synth::run(&options)?;
    // A closed pipe (`bourg synth … | head`) is not an error of the run.
    let _ = writeln!(std::io::stdout().lock(), "{summary}");
    Ok(())
}

/// `bourg export`: checks the output before loading the catalogue, shows a progress bar on a
/// terminal (a log line every 10 s otherwise), prints the summary on stdout.
fn export(
    layers: &std::path::Path,
    load: LoadOptions,
    options: bourg::archive::export::Options,
    json: bool,
) -> anyhow::Result<()> {
    use bourg::archive::export;
    use std::time::{Duration, Instant};
    options.check()?;
    let catalog = Catalog::load_with(layers, &load)?;
    let plan = export::Plan::try_new(&catalog, options)?;
    let bar =
        indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    let on_terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{elapsed_precise} [{bar:40}] {pos}/{len} tiles ({eta} left) {msg}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    tracing::info!(
        layers = %plan.list,
        minzoom = plan.minzoom,
        maxzoom = plan.maxzoom,
        output = %plan.output.display(),
        "exporting"
    );
    let started = Instant::now();
    let mut last_log = started;
    let result = export::run(&plan, |p| {
        if p.done == 1 || p.done % 64 == 0 || p.done == p.total {
            bar.set_length(p.total as u64);
            bar.set_position(p.done as u64);
            let rate = p.done as f64 / started.elapsed().as_secs_f64().max(1e-3);
            bar.set_message(format!(
                "{} written, {} empty, {rate:.0} tiles/s",
                p.written, p.empty
            ));
        }
        if !on_terminal && last_log.elapsed() >= Duration::from_secs(10) {
            last_log = Instant::now();
            tracing::info!(
                done = p.done,
                total = p.total,
                written = p.written,
                empty = p.empty,
                "export progress"
            );
        }
        std::ops::ControlFlow::Continue(())
    });
    bar.finish_and_clear();
    let summary = result?;
    let mut out = std::io::stdout().lock();
    use std::io::Write;
    let _ = writeln!(
        out,
        "{}: {} tiles written ({} distinct), {} empty tiles skipped, {} bytes, {:.1} s, {:.0} tiles/s",
        summary.output.display(),
        summary.tiles,
        summary.distinct,
        summary.empty,
        summary.bytes,
        summary.seconds,
        summary.tiles_per_second
    );
    if json {
        let _ = writeln!(out, "{}", serde_json::json!(summary));
    }
    Ok(())
}

fn check(layers: PathBuf, options: LoadOptions) -> anyhow::Result<()> {
    let catalog = Catalog::load_with(&layers, &options)?;
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
        if r.grouped_rows > 0 {
            println!(
                "    {} rows grouped into {} features",
                r.grouped_rows, r.features
            );
        }
        for join in &r.joins {
            let mut line = format!(
                "    join {}: {} rows, {} features matched, {} unmatched features",
                join.table, join.rows, join.matched, join.unmatched_features
            );
            if join.dropped_features > 0 {
                line.push_str(" (dropped: the join is required)");
            }
            if join.duplicate_keys.count > 0 {
                line.push_str(&format!(", {} repeated keys", join.duplicate_keys.count));
            }
            line.push_str(&format!(", {} unmatched keys", join.unmatched_rows));
            if !join.unmatched_keys.is_empty() {
                line.push_str(&format!(" ({})", join.unmatched_keys.join(", ")));
            }
            println!("{line}");
        }
    }
    for a in catalog.archives() {
        let t = &a.tilejson;
        println!(
            "{:<24} archive ({}) {}, z{}–{}, vector layers: {}",
            a.id(),
            a.format.name(),
            a.config.path.display(),
            t["minzoom"],
            t["maxzoom"],
            a.vector_layers().join(", ")
        );
    }
    println!(
        "{} layers loaded in {} ms",
        catalog.len(),
        catalog.load_time.as_millis()
    );
    if let (false, Some(dir)) = (catalog.from_cache().is_empty(), &options.cache_dir) {
        println!(
            "{} of them read from the prepared-catalogue cache in {} (--no-cache to load them from their sources)",
            catalog.from_cache().len(),
            dir.display()
        );
    }
    if let Some(r) = &catalog.reference {
        // A `reference/` folder is loaded on its own; a national catalogue is its own reference
        // (its time then includes the catalogue's load).
        let from = if bourg::analysis::Reference::exists_in(&layers) {
            format!("the {}/ folder", bourg::analysis::reference::FOLDER)
        } else {
            "this catalogue".to_owned()
        };
        println!(
            "national reference from {from}: {} communes, {} indicators, ready in {} ms",
            r.communes,
            r.indicators.len(),
            r.load_time.as_millis()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serve_settings(args: &[&str]) -> Result<Settings, clap::Error> {
        let cli = Cli::try_parse_from([&["bourg", "serve"], args].concat())?;
        let Command::Serve { limits, .. } = cli.command else {
            unreachable!("serve")
        };
        Ok(limits.apply(Settings::new(None)))
    }

    #[test]
    fn the_command_line_defaults_are_the_settings_defaults() {
        let given = serve_settings(&[]).expect("defaults");
        let defaults = Settings::new(None);
        assert_eq!(given.uploads, defaults.uploads);
        assert_eq!(given.cpu_queue, defaults.cpu_queue);
        assert_eq!(given.cpu_wait, defaults.cpu_wait);
        assert_eq!(given.request_timeout, defaults.request_timeout);
        assert_eq!(given.max_body_bytes, defaults.max_body_bytes);
        assert_eq!(given.max_query_bytes, defaults.max_query_bytes);
        assert_eq!(given.shutdown_grace, defaults.shutdown_grace);
        assert!(given.admin_token.is_none() && given.cors_origins.is_empty());
    }

    #[test]
    fn limits_are_checked_when_read() {
        for bad in [
            &["--admin-token", "short"][..],
            &["--cors-origin", "carto.example.fr"],
            &["--cors-origin", "https://carto.example.fr/path"],
            &["--request-timeout-secs", "0"],
            &["--max-query-bytes", "10"],
            &["--upload-max-vertices", "0"],
        ] {
            let error = serve_settings(bad)
                .err()
                .unwrap_or_else(|| panic!("{bad:?}"));
            assert_eq!(
                error.kind(),
                clap::error::ErrorKind::ValueValidation,
                "{bad:?}"
            );
        }
        let s = serve_settings(&[
            "--cors-origin",
            "https://a.example,https://b.example:8443",
            "--admin-token",
            "0123456789abcdef0123456789abcdef",
        ])
        .expect("valid");
        assert_eq!(s.cors_origins.len(), 2);
        assert!(s.admin_token.is_some());
    }
}
