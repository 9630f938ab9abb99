//! The query API under load, for the benchmark: the real router (auth, query, JSON) served on
//! a loopback port beside the ingest being measured, and a keep-alive HTTP/1.1 client that times
//! one page of a region feed at a time.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tutorwatch_events::{RegionCode, ValidationContext};
use tutorwatch_follower::{Live, ProjectorStats};
use tutorwatch_ingest::IngestStats;
use tutorwatch_log::EventLog;
use tutorwatch_projection_store::ProjectionStore;

use tutorwatch::api::principal::Principal;
use tutorwatch::api::tokens::{issue, TokenStore};
use tutorwatch::api::{app, ApiSettings, AppState};

/// What the API needs from the bench's ingest and projector.
#[derive(Debug)]
pub struct Parts {
    pub log: Arc<EventLog>,
    pub projections: Arc<ProjectionStore>,
    pub live: Arc<Live>,
    pub ingest: Arc<IngestStats>,
    pub projector: Arc<ProjectorStats>,
    pub nats: async_nats::Client,
    pub shutdown: watch::Receiver<bool>,
}

/// Serves the API on a free loopback port; returns its address and an admin token.
pub async fn serve(parts: Parts, token_dir: &std::path::Path) -> anyhow::Result<(String, String)> {
    let (token, record) = issue(Principal::Admin, "bench")?;
    let tokens = TokenStore::open(token_dir.join("bench-tokens.jsonl"), vec![record])?;
    let mut shutdown = parts.shutdown.clone();
    let router = app(AppState {
        log: parts.log,
        projections: parts.projections,
        live: parts.live,
        ingest: parts.ingest,
        projector: parts.projector,
        nats: parts.nats,
        tokens: Arc::new(tokens),
        validation: Arc::new(ValidationContext::default()),
        trust: Arc::new(tutorwatch_trust::TrustSettings::default()),
        policy: Arc::new(tutorwatch_projections::Policy::national()?),
        refusals: Arc::new(tutorwatch_ingest::RecentRefusals::default()),
        idempotency_secret: Arc::new(tutorwatch::api::idempotency::load_or_create(
            &token_dir.join("bench-idempotency.key"),
        )?),
        settings: Arc::new(ApiSettings::default()),
        evidence: None,
        shutdown: parts.shutdown,
    });
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?.to_string();
    tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = shutdown.wait_for(|stop| *stop).await;
            })
            .await
    });
    Ok((addr, token))
}

/// GETs `path` on a kept-alive connection; returns the status.
async fn get(stream: &mut BufReader<TcpStream>, path: &str, token: &str) -> anyhow::Result<u16> {
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n\r\n");
    stream.get_mut().write_all(request.as_bytes()).await?;
    let mut line = String::new();
    stream.read_line(&mut line).await?;
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("not an HTTP status line: {line:?}"))?;
    let mut length = 0usize;
    loop {
        line.clear();
        stream.read_line(&mut line).await?;
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse()?;
            }
        }
    }
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).await?;
    Ok(status)
}

/// Times `GET /v1/findings?region=R&limit=100` every `every` until `stop` turns true.
pub async fn feed_latencies(
    addr: String,
    token: String,
    region: RegionCode,
    every: Duration,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<Vec<Duration>> {
    let mut stream = BufReader::new(TcpStream::connect(&addr).await?);
    let path = format!("/v1/findings?region={region}&limit=100");
    let mut latencies = Vec::new();
    while !*stop.borrow() {
        let started = Instant::now();
        let status = get(&mut stream, &path, &token).await?;
        if status != 200 {
            bail!("the feed answered {status}");
        }
        latencies.push(started.elapsed());
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => {}
        }
    }
    Ok(latencies)
}
