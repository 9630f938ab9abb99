//! The API's per-caller limits: the rate of anonymous requests per client address (the public
//! lists, `/v1/log/stats`, `/openapi.json`; callers with a valid token are not limited by
//! address) and the number of live streams one principal may hold open. Both answer `429`
//! problem documents. Connection-level limits (how many, how slow) are in `crate::listener`.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{ConnectInfo, MatchedPath, State};
use axum::http::{header, HeaderValue, Request, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use super::principal::Principal;
use super::problem::Problem;
use super::state::{ApiSettings, AppState};

/// The anonymous routes that are rate-limited per client address. The probes (`/healthz`,
/// `/readyz`, `/metrics`) are not: a monitor must always get through.
pub(crate) const RATE_LIMITED_ROUTES: &[&str] = &[
    "/v1/lists/black",
    "/v1/lists/white",
    "/v1/lists/{list}/snapshot",
    "/v1/lists/{list}/changes",
    "/v1/rules",
    "/v1/log/stats",
    "/openapi.json",
];

/// Every this many checks, addresses whose budget is full again are forgotten, so the table
/// holds only recent callers.
const FORGET_EVERY_CHECKS: u64 = 4_096;

/// The limits shared by every request (one per service).
#[derive(Debug)]
pub(crate) struct Limits {
    anonymous: Option<AnonymousRate>,
    /// Live streams per principal.
    pub streams: Arc<StreamSlots>,
}

struct AnonymousRate {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
    checks: AtomicU64,
}

impl std::fmt::Debug for AnonymousRate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnonymousRate")
            .field("addresses", &self.limiter.len())
            .finish()
    }
}

impl Limits {
    /// The limits the settings ask for.
    pub(crate) fn new(settings: &ApiSettings) -> Limits {
        let anonymous = NonZeroU32::new(settings.anonymous_requests_per_sec).map(|rate| {
            let burst = NonZeroU32::new(settings.anonymous_burst).unwrap_or(rate);
            AnonymousRate {
                limiter: DefaultKeyedRateLimiter::dashmap(
                    Quota::per_second(rate).allow_burst(burst),
                ),
                checks: AtomicU64::new(0),
            }
        });
        Limits {
            anonymous,
            streams: Arc::new(StreamSlots::new(settings.streams_per_principal_max)),
        }
    }

    /// `Ok` if `address` may make another anonymous request now, else how long to wait.
    pub(crate) fn check_anonymous(&self, address: IpAddr) -> Result<(), std::time::Duration> {
        let Some(rate) = &self.anonymous else {
            return Ok(());
        };
        if rate.checks.fetch_add(1, Ordering::Relaxed) % FORGET_EVERY_CHECKS == 0 {
            rate.limiter.retain_recent();
        }
        rate.limiter
            .check_key(&address)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}

/// A `429` problem with `Retry-After` (whole seconds, at least 1).
fn too_many((zh, en): (String, String), retry_after_secs: u64) -> Response {
    let mut response = Problem::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate-limited",
        "Too many requests",
        en,
    )
    .in_chinese(zh)
    .into_response();
    response.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from(retry_after_secs.max(1)),
    );
    response
}

/// Whether the request carries a token the service knows.
fn authenticated(state: &AppState, request: &Request<axum::body::Body>) -> bool {
    request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|token| state.tokens.principal(token.trim()).is_some())
}

/// Middleware: rate-limits requests to [`RATE_LIMITED_ROUTES`] without a valid token, per client
/// address (the TCP peer; a proxy in front would need its own limit).
pub(crate) async fn limit_anonymous(
    State(state): State<AppState>,
    request: Request<axum::body::Body>,
    next: Next,
) -> Response {
    let limited_route = request
        .extensions()
        .get::<MatchedPath>()
        .is_some_and(|path| RATE_LIMITED_ROUTES.contains(&path.as_str()));
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    let limits = request.extensions().get::<Arc<Limits>>().cloned();
    if let (true, Some(peer), Some(limits)) = (limited_route, peer, limits) {
        if !authenticated(&state, &request) {
            if let Err(wait) = limits.check_anonymous(peer) {
                tracing::info!(%peer, "anonymous rate limit reached");
                let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
                return too_many(
                    (
                        format!(
                            "您的地址未带令牌每秒请求超过 {} 次；请 {} 秒后重试",
                            state.settings.anonymous_requests_per_sec,
                            secs.max(1)
                        ),
                        format!(
                            "more than {} requests per second from your address without a token; retry after {} s",
                            state.settings.anonymous_requests_per_sec,
                            secs.max(1)
                        ),
                    ),
                    secs,
                );
            }
        }
    }
    next.run(request).await
}

/// Open live streams per principal.
#[derive(Debug)]
pub(crate) struct StreamSlots {
    max: usize,
    open: Mutex<HashMap<String, usize>>,
}

/// One open stream's place; dropping it (the stream ended or the client went away) frees it.
#[derive(Debug)]
pub(crate) struct StreamSlot {
    slots: Arc<StreamSlots>,
    key: String,
}

impl StreamSlots {
    /// At most `max` open streams per principal.
    pub(crate) fn new(max: usize) -> StreamSlots {
        StreamSlots {
            max,
            open: Mutex::new(HashMap::new()),
        }
    }

    fn open(&self) -> std::sync::MutexGuard<'_, HashMap<String, usize>> {
        // The map holds counts only; a panic elsewhere cannot leave it half-updated.
        self.open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// How many streams `principal` holds open.
    #[cfg(test)]
    pub(crate) fn count(&self, principal: &Principal) -> usize {
        self.open()
            .get(&principal.to_string())
            .copied()
            .unwrap_or(0)
    }

    /// Takes a slot for a new stream of `principal`, or refuses with `429` at the limit.
    pub(crate) fn acquire(self: &Arc<Self>, principal: &Principal) -> Result<StreamSlot, Problem> {
        let key = principal.to_string();
        let mut open = self.open();
        let count = open.entry(key.clone()).or_insert(0);
        if *count >= self.max {
            drop(open);
            tracing::info!(principal = %key, max = self.max, "live stream limit reached");
            return Err(Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too-many-streams",
                "Too many open streams",
                format!(
                    "you already hold {} open live streams, the most allowed per principal \
                     (api.streams_per_principal_max); close one first",
                    self.max
                ),
            )
            .in_chinese(format!(
                "您已打开 {} 个实时连接，已达每个用户的上限（api.streams_per_principal_max）；请先关闭一个",
                self.max
            )));
        }
        *count += 1;
        Ok(StreamSlot {
            slots: Arc::clone(self),
            key,
        })
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut open = self.slots.open();
        if let Some(count) = open.get_mut(&self.key) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_slot_is_freed_when_dropped() {
        let slots = Arc::new(StreamSlots::new(2));
        let admin = Principal::Admin;
        let first = slots.acquire(&admin).expect("first slot");
        let second = slots.acquire(&admin).expect("second slot");
        let refused = slots.acquire(&admin).expect_err("third is over the limit");
        assert_eq!(refused.status, 429);
        assert_eq!(slots.count(&admin), 2);
        drop(first);
        assert_eq!(slots.count(&admin), 1);
        let third = slots.acquire(&admin).expect("a freed slot is taken again");
        drop((second, third));
        assert_eq!(slots.count(&admin), 0);
        assert!(slots.open().is_empty(), "no empty counts linger");
    }

    #[test]
    fn principals_have_separate_slots() {
        let slots = Arc::new(StreamSlots::new(1));
        let _admin = slots.acquire(&Principal::Admin).expect("admin's slot");
        let registry = Principal::Registry {
            region: tutorwatch_events::RegionCode::parse("440200").expect("region"),
        };
        let _registry = slots.acquire(&registry).expect("the registry's own slot");
        assert!(slots.acquire(&Principal::Admin).is_err());
    }

    #[test]
    fn anonymous_rate_is_per_address_and_reports_the_wait() {
        let settings = ApiSettings {
            anonymous_requests_per_sec: 1,
            anonymous_burst: 2,
            ..ApiSettings::default()
        };
        let limits = Limits::new(&settings);
        let one: IpAddr = "192.0.2.1".parse().expect("address");
        let two: IpAddr = "192.0.2.2".parse().expect("address");
        assert!(limits.check_anonymous(one).is_ok());
        assert!(limits.check_anonymous(one).is_ok());
        let wait = limits.check_anonymous(one).expect_err("the burst is spent");
        assert!(wait > std::time::Duration::ZERO && wait <= std::time::Duration::from_secs(1));
        assert!(
            limits.check_anonymous(two).is_ok(),
            "another address has its own budget"
        );
    }

    #[test]
    fn a_zero_rate_turns_the_limit_off() {
        let settings = ApiSettings {
            anonymous_requests_per_sec: 0,
            ..ApiSettings::default()
        };
        let limits = Limits::new(&settings);
        let one: IpAddr = "192.0.2.1".parse().expect("address");
        assert!((0..1_000).all(|_| limits.check_anonymous(one).is_ok()));
    }
}
