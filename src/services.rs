//! Many services at once: snapshot them, stop them, start them again, under one deadline each
//! way. Requests go out concurrently; progress is polled at a pace set by each service's wait hint.

use std::time::Duration;

use crate::clock::Clock;
use crate::report::ServiceSnapshot;
use crate::sys::{Platform, ServiceState, ServiceStatus, SysError};

/// Query each service once. A failed query is recorded, not raised: the plan decides.
pub fn snapshot(sys: &dyn Platform, names: &[String]) -> Vec<ServiceSnapshot> {
    names
        .iter()
        .map(|name| {
            let mut snap = ServiceSnapshot {
                name: name.clone(),
                exists: false,
                state: None,
                start_type: None,
                pid: None,
                error: None,
            };
            match sys.query_service(name) {
                Ok(Some(info)) => {
                    snap.exists = true;
                    snap.state = Some(info.status.state);
                    snap.start_type = Some(info.start_type);
                    snap.pid = info.status.pid;
                }
                Ok(None) => {}
                Err(err) => snap.error = Some(err.to_string()),
            }
            snap
        })
        .collect()
}

/// How driving one service ended: the time it took, or why it did not get there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Driven {
    pub name: String,
    pub result: Result<Duration, String>,
    /// Whether a request was delivered; `false` with `Ok` means it was already there.
    pub requested: bool,
}

/// Stop every service in `names`, all within `timeout`.
pub fn stop_all(
    sys: &dyn Platform,
    clock: &dyn Clock,
    names: &[String],
    timeout: Duration,
) -> Vec<Driven> {
    drive(sys, clock, names, Goal::Stopped, timeout)
}

/// Start every service in `names`, all within `timeout`. One still stopping is started once stopped.
pub fn start_all(
    sys: &dyn Platform,
    clock: &dyn Clock,
    names: &[String],
    timeout: Duration,
) -> Vec<Driven> {
    drive(sys, clock, names, Goal::Running, timeout)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Goal {
    Stopped,
    Running,
}

impl Goal {
    fn reached(self, state: ServiceState) -> bool {
        match self {
            Goal::Stopped => state == ServiceState::Stopped,
            Goal::Running => state == ServiceState::Running,
        }
    }

    /// Whether a service in `state` can take the request now. A pending service cannot: it is
    /// asked once it settles.
    fn can_request(self, state: ServiceState) -> bool {
        match self {
            Goal::Stopped => matches!(state, ServiceState::Running | ServiceState::Paused),
            Goal::Running => state == ServiceState::Stopped,
        }
    }

    fn request(self, sys: &dyn Platform, name: &str) -> Result<(), SysError> {
        match self {
            Goal::Stopped => sys.request_stop(name),
            Goal::Running => sys.request_start(name),
        }
    }

    fn verb(self) -> &'static str {
        match self {
            Goal::Stopped => "stop",
            Goal::Running => "start",
        }
    }
}

struct Track<'a> {
    name: &'a str,
    requested: bool,
    /// Requests that failed for an unexpected reason; retried up to `MAX_ATTEMPTS`.
    failures: u32,
    last: Option<ServiceStatus>,
    result: Option<Result<Duration, String>>,
}

const MAX_ATTEMPTS: u32 = 3;
const MIN_POLL: Duration = Duration::from_millis(50);
const MAX_POLL: Duration = Duration::from_secs(1);
const DEFAULT_POLL: Duration = Duration::from_millis(100);

fn drive(
    sys: &dyn Platform,
    clock: &dyn Clock,
    names: &[String],
    goal: Goal,
    timeout: Duration,
) -> Vec<Driven> {
    let began = clock.now();
    let deadline = began + timeout;
    let mut tracks: Vec<Track> = names
        .iter()
        .map(|name| Track {
            name,
            requested: false,
            failures: 0,
            last: None,
            result: None,
        })
        .collect();
    loop {
        for track in tracks.iter_mut().filter(|t| t.result.is_none()) {
            match sys.service_status(track.name) {
                Ok(status) if goal.reached(status.state) => {
                    track.result = Some(Ok(clock.now().saturating_duration_since(began)));
                }
                Ok(status) => track.last = Some(status),
                Err(err) => track.result = Some(Err(format!("cannot query it: {err}"))),
            }
        }

        let ready: Vec<usize> = (0..tracks.len())
            .filter(|&i| {
                let t = &tracks[i];
                t.result.is_none()
                    && !t.requested
                    && t.last.is_some_and(|s| goal.can_request(s.state))
            })
            .collect();
        let answers = send_requests(sys, goal, ready.iter().map(|&i| tracks[i].name));
        for (i, answer) in ready.into_iter().zip(answers) {
            let track = &mut tracks[i];
            match answer {
                Ok(()) => track.requested = true,
                // It got there on its own between the poll and the request; the next poll sees it.
                Err(SysError::NotActive) if goal == Goal::Stopped => track.requested = true,
                Err(SysError::AlreadyRunning) if goal == Goal::Running => track.requested = true,
                // Busy (pending, or dependents still stopping): ask again after the next poll.
                Err(SysError::CannotAcceptControl | SysError::DependentServicesRunning) => {}
                Err(err @ (SysError::Disabled | SysError::NoSuchService | SysError::Offline)) => {
                    track.result = Some(Err(format!("refused to {}: {err}", goal.verb())));
                }
                // An unexpected error may be passing (an RPC hiccup; Wine's service manager fails
                // concurrent requests with ERROR_INVALID_HANDLE now and then): ask again after
                // the next poll, a few times, before giving up on the service.
                Err(err) => {
                    track.failures += 1;
                    if track.failures >= MAX_ATTEMPTS {
                        track.result = Some(Err(format!("refused to {}: {err}", goal.verb())));
                    }
                }
            }
        }

        if tracks.iter().all(|t| t.result.is_some()) {
            break;
        }
        let now = clock.now();
        if now >= deadline {
            for track in tracks.iter_mut().filter(|t| t.result.is_none()) {
                track.result = Some(Err(timed_out(goal, timeout, track.last)));
            }
            break;
        }
        let pace = tracks
            .iter()
            .filter(|t| t.result.is_none())
            .filter_map(|t| t.last)
            .map(|s| {
                if s.wait_hint.is_zero() {
                    DEFAULT_POLL
                } else {
                    (s.wait_hint / 10).clamp(MIN_POLL, MAX_POLL)
                }
            })
            .min()
            .unwrap_or(DEFAULT_POLL);
        clock.sleep(pace.min(deadline - now));
    }
    tracks
        .into_iter()
        .map(|t| Driven {
            name: t.name.to_string(),
            result: t.result.expect("every track ends with a result"),
            requested: t.requested,
        })
        .collect()
}

/// Send the requests. Stops go out from one thread each: a service whose control handler hangs
/// holds ControlService for up to 30 s, and must not hold up the others. Starts go one after
/// another: StartService returns as soon as the service's process has connected, so little is
/// gained in parallel, and Wine's service manager fails concurrent starts (ERROR_INVALID_HANDLE).
fn send_requests<'a>(
    sys: &dyn Platform,
    goal: Goal,
    names: impl Iterator<Item = &'a str>,
) -> Vec<Result<(), SysError>> {
    let names: Vec<&str> = names.collect();
    if goal == Goal::Running || names.len() <= 1 {
        return names
            .into_iter()
            .map(|name| goal.request(sys, name))
            .collect();
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = names
            .iter()
            .map(|name| scope.spawn(move || goal.request(sys, name)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(SysError::Os(std::io::Error::other(
                        "request thread panicked",
                    )))
                })
            })
            .collect()
    })
}

fn timed_out(goal: Goal, timeout: Duration, last: Option<ServiceStatus>) -> String {
    let now = match last {
        Some(s) if s.checkpoint > 0 => format!("{}, checkpoint {}", s.state.as_str(), s.checkpoint),
        Some(s) => s.state.as_str().to_string(),
        None => "state unknown".to_string(),
    };
    format!(
        "did not {} within {} s (still {now})",
        goal.verb(),
        timeout.as_secs()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FakeClock;
    use crate::sys::StartType;
    use crate::sys::fake::{FakePlatform, OnStop};

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn stops_running_services_and_leaves_stopped_ones_alone() {
        let sys = FakePlatform::new()
            .service("wuauserv", ServiceState::Running, StartType::Demand)
            .service("bits", ServiceState::Stopped, StartType::Demand);
        let clock = FakeClock::new();
        let results = stop_all(
            &sys,
            &clock,
            &names(&["wuauserv", "bits"]),
            Duration::from_secs(60),
        );
        assert!(results.iter().all(|d| d.result.is_ok()), "{results:?}");
        assert_eq!(sys.state("wuauserv"), ServiceState::Stopped);
        assert_eq!(sys.requests(), ["stop wuauserv"]);
    }

    #[test]
    fn a_service_that_ignores_stop_times_out_at_the_deadline_and_names_itself() {
        let sys = FakePlatform::new()
            .service("cryptsvc", ServiceState::Running, StartType::Auto)
            .on_stop("cryptsvc", OnStop::Ignore)
            .service("bits", ServiceState::Running, StartType::Demand);
        let clock = FakeClock::new();
        let results = stop_all(
            &sys,
            &clock,
            &names(&["cryptsvc", "bits"]),
            Duration::from_secs(5),
        );
        let crypt = results.iter().find(|d| d.name == "cryptsvc").unwrap();
        assert_eq!(
            crypt.result,
            Err("did not stop within 5 s (still running)".to_string())
        );
        assert!(
            results
                .iter()
                .find(|d| d.name == "bits")
                .unwrap()
                .result
                .is_ok()
        );
        assert!(
            clock.elapsed() >= Duration::from_secs(5) && clock.elapsed() < Duration::from_secs(6)
        );
        // Asked once only: a second STOP makes Wine kill the service, and is pointless on Windows.
        assert_eq!(
            sys.requests()
                .iter()
                .filter(|r| *r == "stop cryptsvc")
                .count(),
            1
        );
    }

    #[test]
    fn a_slow_service_is_waited_for_by_its_wait_hint() {
        let sys = FakePlatform::new()
            .service("wuauserv", ServiceState::Running, StartType::Demand)
            .on_stop(
                "wuauserv",
                OnStop::Pending {
                    polls: 5,
                    wait_hint: Duration::from_secs(2),
                },
            );
        let clock = FakeClock::new();
        let results = stop_all(&sys, &clock, &names(&["wuauserv"]), Duration::from_secs(60));
        assert!(results[0].result.is_ok());
        // One default pause after the request, then five stop-pending polls at a tenth of the
        // two-second wait hint each.
        assert_eq!(clock.elapsed(), Duration::from_millis(100 + 5 * 200));
    }

    #[test]
    fn a_busy_service_is_asked_again_when_it_can_accept() {
        let sys = FakePlatform::new()
            .service("bits", ServiceState::Running, StartType::Demand)
            .refuse_first_stop("bits");
        let clock = FakeClock::new();
        let results = stop_all(&sys, &clock, &names(&["bits"]), Duration::from_secs(60));
        assert!(results[0].result.is_ok(), "{results:?}");
        assert_eq!(sys.requests(), ["stop bits", "stop bits"]);
    }

    #[test]
    fn a_passing_error_is_retried_and_a_lasting_one_fails_after_three_attempts() {
        let sys = FakePlatform::new()
            .service("bits", ServiceState::Running, StartType::Demand)
            .flaky("bits", 2)
            .service("wuauserv", ServiceState::Running, StartType::Demand)
            .flaky("wuauserv", 10);
        let clock = FakeClock::new();
        let results = stop_all(
            &sys,
            &clock,
            &names(&["bits", "wuauserv"]),
            Duration::from_secs(60),
        );
        assert!(results[0].result.is_ok(), "{results:?}");
        assert!(
            results[1]
                .result
                .as_ref()
                .unwrap_err()
                .starts_with("refused to stop: "),
            "{results:?}"
        );
        let count = |name: &str| {
            sys.requests()
                .iter()
                .filter(|r| *r == &format!("stop {name}"))
                .count()
        };
        assert_eq!((count("bits"), count("wuauserv")), (3, 3));
    }

    #[test]
    fn start_all_starts_stopped_services_and_reports_disabled_ones() {
        let sys = FakePlatform::new()
            .service("wuauserv", ServiceState::Stopped, StartType::Disabled)
            .service("bits", ServiceState::Stopped, StartType::Demand)
            .service("cryptsvc", ServiceState::Running, StartType::Auto);
        let clock = FakeClock::new();
        let results = start_all(
            &sys,
            &clock,
            &names(&["wuauserv", "bits", "cryptsvc"]),
            Duration::from_secs(60),
        );
        assert_eq!(
            results[0].result,
            Err("refused to start: the service is disabled".to_string())
        );
        assert!(results[1].result.is_ok() && results[2].result.is_ok());
        assert_eq!(sys.requests(), ["start wuauserv", "start bits"]);
    }

    #[test]
    fn snapshot_records_absent_services() {
        let sys = FakePlatform::new().service("bits", ServiceState::Running, StartType::Demand);
        let snap = snapshot(&sys, &names(&["bits", "msiserver"]));
        assert!(snap[0].exists && snap[0].is_active());
        assert!(!snap[1].exists && snap[1].error.is_none());
    }
}
