//! `tutorwatch serve`: opens the log and the projection store, connects to NATS, runs ingest, the
//! projector (following the log) and the HTTP endpoints (through `listener`, which caps and
//! times connections), and shuts everything down in order on SIGINT or SIGTERM: finish the
//! batch in hand, flush, ack, snapshot, exit.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tutorwatch_follower::{Follow, Live, ProjectorStats};
use tutorwatch_ingest::{Ingest, IngestStats, RecentRefusals};
use tutorwatch_log::EventLog;
use tutorwatch_projection_store::ProjectionStore;

use crate::api::tokens::{TokenStore, TOKEN_FILE};
use crate::api::{app, AppState};
use crate::config::Settings;
use crate::listener::ConnectionLimits;

/// How long the HTTP server may take to drain after shutdown is asked for.
const HTTP_DRAIN_MAX: Duration = Duration::from_secs(5);

/// Connects to NATS with the `[nats]` settings (credentials, TLS, inbox prefix), retrying in the
/// background if it is not up yet, and logs connection changes and the server's refusals.
pub(crate) async fn connect_nats(
    url: &str,
    nats: &crate::nats::NatsSettings,
) -> anyhow::Result<async_nats::Client> {
    tracing::info!(url, auth = %nats.describe(), "connecting to NATS");
    nats.connect_options()
        .await?
        .name("tutorwatch")
        .retry_on_initial_connect()
        .event_callback(|event| async move {
            match event {
                async_nats::Event::Connected => tracing::info!("connected to NATS"),
                async_nats::Event::Disconnected => {
                    tracing::warn!("disconnected from NATS; reconnecting")
                }
                async_nats::Event::ServerError(error) => tracing::error!(
                    %error,
                    "NATS refused a request (a permissions violation means the user's permissions \
                     or the inbox prefix do not match what tutorwatch needs: see `tutorwatch nats \
                     user add --role service`)"
                ),
                other => tracing::info!(event = %other, "NATS event"),
            }
        })
        .connect(url)
        .await
        .with_context(|| format!("connecting to NATS at {url}"))
}

/// Runs the service until `shutdown` completes.
pub(crate) async fn run(
    settings: Settings,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    anyhow::ensure!(
        settings.api.connections_max > 0,
        "api.connections_max must be at least 1"
    );
    anyhow::ensure!(
        settings.api.header_read_timeout_ms > 0,
        "api.header_read_timeout_ms must be at least 1"
    );
    let validation = Arc::new(settings.validation_context()?);
    crate::data_dir::create(&settings.data_dir)?;
    crate::data_dir::ensure_private(&settings.data_dir)?;
    let log = Arc::new(
        EventLog::open(&settings.data_dir.join("log"))
            .with_context(|| format!("opening the log in {}", settings.data_dir.display()))?,
    );
    tracing::info!(data_dir = %settings.data_dir.display(), last_seq = log.last_seq(), "log open");
    match log.opened() {
        tutorwatch_log::OpenGuard::CopiedTo(copy) => tracing::warn!(
            copy = %copy.display(),
            "the log was not closed cleanly (or its files changed since): its files as they were \
             are kept in the copy, in case the storage engine's recovery dropped entries; remove \
             it once `tutorwatch log verify --checkpoints` passes"
        ),
        tutorwatch_log::OpenGuard::NotCopied(copies) => tracing::error!(
            copies = ?copies,
            "the log was not closed cleanly (or its files changed since), and was opened without \
             a copy: {} copies from earlier unclean starts are already kept; check the log with \
             `tutorwatch log verify --checkpoints` and remove them",
            tutorwatch_log::PRE_OPEN_COPIES_MAX
        ),
        tutorwatch_log::OpenGuard::New | tutorwatch_log::OpenGuard::Sealed => {}
    }
    let checkpoints_file = settings.checkpoints.file_in(&settings.data_dir);
    if checkpoints_file.exists() {
        let lines = tutorwatch_proof::read_checkpoints(&checkpoints_file)?;
        if let Some(problem) = tutorwatch_proof::latest_checkpoint_problem(&log, &lines)? {
            anyhow::bail!(
                "the log in {} does not match the latest checkpoint in {}: {problem}. Refusing to \
                 serve (and to sign) a log that lost acknowledged entries. Check it with \
                 `tutorwatch log verify --checkpoints`; rebuild it from its intact entries with \
                 `tutorwatch log salvage`, or restore the data directory from a backup that passes; \
                 or, to carry on from this log on purpose, move the checkpoints file aside (keep \
                 it: it is the record of what was lost)",
                settings.data_dir.display(),
                checkpoints_file.display()
            );
        }
    }
    let policy = settings.policy()?;
    let projections = Arc::new(
        ProjectionStore::open(&settings.data_dir.join("projections")).with_context(|| {
            format!(
                "opening the projection store in {}",
                settings.data_dir.display()
            )
        })?,
    );
    tracing::info!(policy_version = policy.version(), "policy loaded");
    let policy_version = policy.version().to_owned();
    let catalogue_policy = Arc::new(policy.clone());
    let tokens = Arc::new(
        TokenStore::open(
            settings.data_dir.join(TOKEN_FILE),
            settings.api.tokens.clone(),
        )
        .context("loading the API tokens")?,
    );

    let secret_file = settings
        .api
        .idempotency_secret_file
        .clone()
        .unwrap_or_else(|| settings.data_dir.join(crate::api::idempotency::SECRET_FILE));
    let idempotency_secret = Arc::new(
        crate::api::idempotency::load_or_create(&secret_file)
            .context("loading the idempotency secret")?,
    );
    let trust = Arc::new(settings.trust.clone());
    let refusals = Arc::new(RecentRefusals::default());

    let nats = connect_nats(&settings.nats_url, &settings.nats).await?;
    let stats = Arc::new(IngestStats::default());
    let (stop_tx, stop_rx) = watch::channel(false);

    let ingest = Ingest {
        jetstream: async_nats::jetstream::new(nats.clone()),
        log: Arc::clone(&log),
        settings: settings.ingest.clone(),
        validation: Arc::clone(&validation),
        trust: Arc::clone(&trust),
        stats: Arc::clone(&stats),
        refusals: Arc::clone(&refusals),
    };
    let mut ingest_task = tokio::spawn(tutorwatch_ingest::run(ingest, stop_rx.clone()));
    let projector_stats = Arc::new(ProjectorStats::default());
    let live = Arc::new(Live::default());
    let follow = Follow {
        log: Arc::clone(&log),
        store: Arc::clone(&projections),
        policy,
        settings: settings.projector.clone(),
        stats: Arc::clone(&projector_stats),
        live: Arc::clone(&live),
    };
    let mut projector_task = tokio::spawn(tutorwatch_follower::run(follow, stop_rx.clone()));

    let (checkpoint_stop_tx, checkpoint_stop_rx) = watch::channel(false);
    let mut evidence = None;
    let checkpoint_task = match &settings.checkpoints.key_file {
        None => {
            tracing::warn!(
                "no checkpoint key ([checkpoints] key_file, TW_CHECKPOINT_KEY_FILE): the log's \
                 head is not signed, so a rollback or a rewrite of the data directory cannot be \
                 proven"
            );
            None
        }
        Some(key_file) => {
            let key = tutorwatch_proof::load_signing_key(key_file)
                .context("loading the checkpoint signing key")?;
            let file = settings.checkpoints.file_in(&settings.data_dir);
            evidence = Some(Arc::new(crate::cmd::evidence::EvidenceSigner {
                key: key.clone(),
                checkpoints_file: file.clone(),
            }));
            tracing::info!(
                file = %file.display(),
                public_key = tutorwatch_proof::hex::encode(key.verifying_key().as_bytes()),
                "signing checkpoints"
            );
            Some(tokio::spawn(crate::checkpoints::run(
                crate::checkpoints::Checkpointer {
                    log: Arc::clone(&log),
                    key,
                    file,
                    jetstream: async_nats::jetstream::new(nats.clone()),
                    settings: settings.checkpoints.clone(),
                    policy_version: policy_version.clone(),
                    frontier: Default::default(),
                },
                checkpoint_stop_rx,
            )))
        }
    };

    let listener = TcpListener::bind(settings.http_addr)
        .await
        .with_context(|| format!("binding HTTP to {}", settings.http_addr))?;
    tracing::info!(addr = %listener.local_addr()?, "HTTP listening");
    let outbound_task = tokio::spawn(crate::outbound::run(
        nats.clone(),
        Arc::clone(&live),
        stop_rx.clone(),
    ));
    crate::api::init_metrics();
    let router = app(AppState {
        log: Arc::clone(&log),
        projections: Arc::clone(&projections),
        live,
        ingest: Arc::clone(&stats),
        projector: Arc::clone(&projector_stats),
        nats: nats.clone(),
        tokens,
        validation: Arc::clone(&validation),
        trust,
        policy: catalogue_policy,
        refusals,
        idempotency_secret,
        settings: Arc::new(settings.api.clone()),
        evidence,
        shutdown: stop_rx.clone(),
    });
    let connection_limits = ConnectionLimits {
        connections_max: settings.api.connections_max,
        header_read_timeout: settings.api.header_read_timeout(),
    };
    let http_task = tokio::spawn(crate::listener::serve(
        listener,
        router,
        connection_limits,
        stop_rx.clone(),
    ));

    // Either shutdown is asked for, or a worker stops by itself (the log cannot be written, or
    // a log entry cannot be projected): then everything stops, and the error is the exit status.
    let (ingest_result, projector_result) = tokio::select! {
        () = shutdown => {
            tracing::info!("shutting down: finishing the batches in hand");
            let _ = stop_tx.send(true);
            ((&mut ingest_task).await, (&mut projector_task).await)
        }
        result = &mut ingest_task => {
            let _ = stop_tx.send(true);
            (result, (&mut projector_task).await)
        }
        result = &mut projector_task => {
            let _ = stop_tx.send(true);
            ((&mut ingest_task).await, result)
        }
    };
    let _ = outbound_task.await;
    // The last checkpoint covers ingest's last batch.
    let _ = checkpoint_stop_tx.send(true);
    if let Some(task) = checkpoint_task {
        match task.await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::error!(
                error = format!("{error:#}"),
                "could not make the last checkpoint"
            ),
            Err(error) => tracing::error!(%error, "the checkpoint task failed"),
        }
    }
    if tokio::time::timeout(HTTP_DRAIN_MAX, http_task)
        .await
        .is_err()
    {
        tracing::warn!("HTTP did not drain in time");
    }
    log.flush().context("flushing the log")?;
    if let Err(error) = nats.flush().await {
        tracing::warn!(%error, "could not flush the last acks to NATS; they will be redelivered and deduplicated");
    }
    ingest_result
        .context("the ingest task failed")?
        .context("ingest stopped")?;
    projector_result
        .context("the projector task failed")?
        .context("the projector stopped")?;
    tracing::info!(last_seq = log.last_seq(), "stopped cleanly");
    Ok(())
}

/// Completes on Ctrl-C (SIGINT) or SIGTERM.
pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
