//! Many services at once: snapshot them, stop them, start them again, under one deadline each
//! way. Requests go out concurrently; progress is polled at a pace set by each service's wait hint.

use std::io;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::Duration;

use serde::Serialize;

use crate::catalog;
use crate::machine::Machine;
use crate::progress::{Meter, Quiet};
use crate::sys::{Platform, ServiceInfo, ServiceState, ServiceStatus, StartType, SysError};

/// One service as seen at one moment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ServiceSnapshot {
    pub name: String,
    pub exists: bool,
    pub state: Option<ServiceState>,
    pub start_type: Option<StartType>,
    pub pid: Option<u32>,
    /// Launch-protected: no program may stop it, so wufix never tries.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub protected: bool,
    /// Why the service could not be queried, when it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The name Windows shows a person (localised); for text only, not in reports.
    #[serde(skip)]
    #[cfg_attr(feature = "schema", schemars(skip))]
    pub display_name: Option<String>,
}

impl ServiceSnapshot {
    /// A service not (yet) found: what a query fills in.
    pub fn absent(name: &str) -> Self {
        ServiceSnapshot {
            name: name.to_string(),
            exists: false,
            state: None,
            start_type: None,
            pid: None,
            protected: false,
            error: None,
            display_name: None,
        }
    }

    pub fn is_active(&self) -> bool {
        self.state.is_some_and(ServiceState::is_active)
    }
}

/// Query each service once. A failed query is recorded, not raised: the plan decides.
pub fn snapshot(sys: &dyn Platform, names: &[String]) -> Vec<ServiceSnapshot> {
    names
        .iter()
        .map(|name| {
            let mut snap = ServiceSnapshot::absent(name);
            match sys.query_service(name) {
                Ok(Some(info)) => {
                    snap.exists = true;
                    snap.state = Some(info.status.state);
                    snap.start_type = Some(info.start_type);
                    snap.pid = info.status.pid;
                    snap.protected = is_protected(name, &info);
                    snap.display_name = info.display_name;
                }
                Ok(None) => {}
                Err(err) => snap.error = Some(err.to_string()),
            }
            snap
        })
        .collect()
}

/// Whether no program may stop `name`: its launch protection says so, or it is one wufix never
/// stops (WaaSMedicSvc, AppIDSvc), whatever the query answered.
pub fn is_protected(name: &str, info: &ServiceInfo) -> bool {
    info.protected || catalog::never_stop(name)
}

/// How driving one service ended: the time it took, or why it did not get there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Driven {
    pub name: String,
    pub result: Result<Duration, String>,
    /// Whether a request was delivered; `false` with `Ok` means it was already there.
    pub requested: bool,
}

/// Stop every service in `names`, all within `timeout`: the call returns by then even when a
/// service's control handler hangs (its answer is abandoned). A stop-pending service is waited
/// out; a start-pending one is asked once it runs.
pub fn stop_all(machine: Machine, names: &[String], timeout: Duration) -> Vec<Driven> {
    drive(machine, names, Goal::Stopped, timeout, &Quiet, Vec::new()).0
}

/// [`stop_all`], telling `meter` which services are still on their way.
pub fn stop_all_shown(
    machine: Machine,
    names: &[String],
    timeout: Duration,
    meter: &dyn Meter,
) -> Vec<Driven> {
    drive(machine, names, Goal::Stopped, timeout, meter, Vec::new()).0
}

/// A stop request sent and not answered when the wait for it was abandoned (an interrupt): the
/// service may still stop after it, so the start pass waits for that answer before it takes
/// "running" for "running".
/// `None`: the stop was answered (accepted) already, the service not yet seen leaving "running".
pub type PendingStops = Vec<(String, Option<Receiver<Result<(), SysError>>>)>;

/// After an accepted STOP a service may still say "running" for a moment before it reports
/// stop-pending (its handler only signals its worker): how long the start pass waits to see it
/// leave before it believes "running" (the stop was then ignored).
const ACCEPTED_STOP_GRACE: Duration = Duration::from_secs(3);

/// [`stop_all_shown`], also handing back the stops still in flight when it was interrupted.
pub fn stop_all_pending(
    machine: Machine,
    names: &[String],
    timeout: Duration,
    meter: &dyn Meter,
) -> (Vec<Driven>, PendingStops) {
    drive(machine, names, Goal::Stopped, timeout, meter, Vec::new())
}

/// [`start_all_shown`] after an interrupted stop pass: a service whose stop is still in flight
/// is judged only once that stop is answered (or the deadline passes with it still running).
pub fn start_all_after(
    machine: Machine,
    names: &[String],
    timeout: Duration,
    meter: &dyn Meter,
    pending: PendingStops,
) -> Vec<Driven> {
    drive(machine, names, Goal::Running, timeout, meter, pending).0
}

/// Start every service in `names`, all within `timeout`. One still stopping is started once
/// stopped; one that stops again after its start is reported at once, with its exit codes.
pub fn start_all(machine: Machine, names: &[String], timeout: Duration) -> Vec<Driven> {
    drive(machine, names, Goal::Running, timeout, &Quiet, Vec::new()).0
}

/// [`start_all`], telling `meter` which services are still on their way.
pub fn start_all_shown(
    machine: Machine,
    names: &[String],
    timeout: Duration,
    meter: &dyn Meter,
) -> Vec<Driven> {
    drive(machine, names, Goal::Running, timeout, meter, Vec::new()).0
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

    fn waiting(self) -> &'static str {
        match self {
            Goal::Stopped => "stopping",
            Goal::Running => "starting",
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
    /// A stop request whose answer has not come back yet.
    in_flight: Option<Receiver<Result<(), SysError>>>,
    /// Starting: an earlier, interrupted pass's stop still in flight; until it is answered a
    /// "running" is not believed (the stop may land after it).
    stop_pending: Option<Receiver<Result<(), SysError>>>,
    /// Starting: that stop was accepted at this moment, and the service not yet seen leaving
    /// "running" since.
    stop_accepted: Option<std::time::Instant>,
    /// Requests that failed for an unexpected reason; retried up to `MAX_ATTEMPTS`.
    failures: u32,
    last: Option<ServiceStatus>,
    result: Option<Result<Duration, String>>,
}

const MAX_ATTEMPTS: u32 = 3;
const MIN_POLL: Duration = Duration::from_millis(50);
const MAX_POLL: Duration = Duration::from_secs(1);
const DEFAULT_POLL: Duration = Duration::from_millis(100);

/// What to do after a request was answered with an error.
enum Verdict {
    /// It is already where we want it; the next poll shows it.
    Arrived,
    /// Busy (its dependents are still stopping): ask again after the next poll.
    AskAgain,
    /// Maybe passing (an RPC hiccup; Wine's service manager fails concurrent requests with
    /// ERROR_INVALID_HANDLE now and then): ask again, a few times.
    Transient,
    /// Asking again cannot help: access denied, a control it does not take, disabled, gone.
    Final,
}

fn verdict(goal: Goal, err: &SysError) -> Verdict {
    match (goal, err) {
        (Goal::Stopped, SysError::NotActive) | (Goal::Running, SysError::AlreadyRunning) => {
            Verdict::Arrived
        }
        (_, SysError::DependentServicesRunning) => Verdict::AskAgain,
        (
            _,
            SysError::AccessDenied
            | SysError::InvalidControl
            | SysError::CannotAcceptControl
            | SysError::Disabled
            | SysError::NoSuchService
            | SysError::Offline,
        ) => Verdict::Final,
        _ => Verdict::Transient,
    }
}

fn drive(
    machine: Machine,
    names: &[String],
    goal: Goal,
    timeout: Duration,
    meter: &dyn Meter,
    pending: PendingStops,
) -> (Vec<Driven>, PendingStops) {
    let driven = drive_inner(machine, names, goal, timeout, meter, pending);
    meter.done();
    driven
}

fn drive_inner(
    machine: Machine,
    names: &[String],
    goal: Goal,
    timeout: Duration,
    meter: &dyn Meter,
    mut stops: PendingStops,
) -> (Vec<Driven>, PendingStops) {
    let Machine { sys, clock } = machine;
    let began = clock.now();
    let deadline = began + timeout;
    let mut tracks: Vec<Track> = names
        .iter()
        .map(|name| Track {
            name,
            requested: false,
            in_flight: None,
            stop_pending: None,
            stop_accepted: None,
            failures: 0,
            last: None,
            result: None,
        })
        .collect();
    for track in tracks.iter_mut() {
        if let Some(at) = stops
            .iter()
            .position(|(n, _)| n.eq_ignore_ascii_case(track.name))
        {
            match stops.swap_remove(at).1 {
                Some(rx) => track.stop_pending = Some(rx),
                None => track.stop_accepted = Some(began),
            }
        }
    }
    loop {
        for track in tracks.iter_mut().filter(|t| t.result.is_none()) {
            // The earlier stop's answer: accepted, it is on its way (seen once the service says
            // so); refused, "running" is true.
            if let Some(rx) = &track.stop_pending {
                match rx.try_recv() {
                    Err(TryRecvError::Empty) => {}
                    Ok(Ok(())) => {
                        track.stop_pending = None;
                        track.stop_accepted = Some(clock.now());
                    }
                    Ok(Err(_)) | Err(TryRecvError::Disconnected) => track.stop_pending = None,
                }
            }
            if let Some(rx) = &track.in_flight {
                match rx.try_recv() {
                    Ok(answer) => {
                        track.in_flight = None;
                        answered(track, goal, answer);
                    }
                    Err(TryRecvError::Empty) => {}
                    Err(TryRecvError::Disconnected) => {
                        track.in_flight = None;
                        answered(
                            track,
                            goal,
                            Err(SysError::Os(io::Error::other(
                                "the request thread ended without an answer",
                            ))),
                        );
                    }
                }
            }
        }
        for track in tracks.iter_mut().filter(|t| t.result.is_none()) {
            let status = sys.service_status(track.name);
            if let Ok(s) = &status {
                if s.state != ServiceState::Running {
                    track.stop_accepted = None;
                }
            }
            match status {
                // Running, but a stop sent before is unanswered, or accepted a moment ago: it
                // may yet stop.
                Ok(status)
                    if goal.reached(status.state)
                        && (track.stop_pending.is_some()
                            || track.stop_accepted.is_some_and(|at| {
                                clock.now().saturating_duration_since(at) < ACCEPTED_STOP_GRACE
                            })) =>
                {
                    track.last = Some(status);
                }
                Ok(status) if goal.reached(status.state) => {
                    // Stopped before the answer to our request came back: it was still our STOP.
                    track.requested |= track.in_flight.is_some();
                    track.result = Some(Ok(clock.now().saturating_duration_since(began)));
                }
                // Started, then stopped again: it failed, and waiting longer shows nothing new.
                Ok(status)
                    if goal == Goal::Running
                        && track.requested
                        && status.state == ServiceState::Stopped =>
                {
                    track.result = Some(Err(start_failure(status)));
                }
                Ok(status) => track.last = Some(status),
                Err(err) => track.result = Some(Err(format!("cannot query it: {err}"))),
            }
        }
        let pending: Vec<&str> = tracks
            .iter()
            .filter(|t| t.result.is_none())
            .map(|t| t.name)
            .collect();
        if !pending.is_empty() {
            meter.services(goal.waiting(), &pending);
        }

        for track in tracks.iter_mut() {
            let ready = track.result.is_none()
                && !track.requested
                && track.in_flight.is_none()
                && track.last.is_some_and(|s| goal.can_request(s.state));
            if !ready {
                continue;
            }
            match goal {
                // Each stop from a thread of its own: a hung control handler must not hold up
                // the others, nor the deadline.
                Goal::Stopped => track.in_flight = Some(sys.request_stop_detached(track.name)),
                // Starts one after another: StartService returns once the service's process has
                // connected, and Wine's service manager fails concurrent starts.
                Goal::Running => {
                    let answer = sys.request_start(track.name);
                    answered(track, goal, answer);
                }
            }
        }

        if tracks.iter().all(|t| t.result.is_some()) {
            break;
        }
        // Interrupted while waiting for services to stop: abandon the wait, so the engine goes
        // straight to starting what it stopped. Starting them again is never abandoned.
        if goal == Goal::Stopped && clock.cancelled() {
            for track in tracks.iter_mut().filter(|t| t.result.is_none()) {
                track.result = Some(Err(
                    "interrupted while it was stopping: started again with the others".into(),
                ));
                // Its STOP may still land: the start pass waits for its answer, or, accepted
                // already, a moment for the service to say it is stopping.
                if let Some(rx) = track.in_flight.take() {
                    stops.push((track.name.to_string(), Some(rx)));
                } else if track.requested {
                    stops.push((track.name.to_string(), None));
                }
            }
            break;
        }
        let now = clock.now();
        if now >= deadline {
            for track in tracks.iter_mut().filter(|t| t.result.is_none()) {
                let running = track.last.is_some_and(|s| s.state == ServiceState::Running);
                // A stop that never answered, and the service still running: it runs.
                track.result = Some(if track.stop_pending.is_some() && running {
                    Ok(clock.now().saturating_duration_since(began))
                } else {
                    Err(timed_out(goal, timeout, track))
                });
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
    let driven = tracks
        .into_iter()
        .map(|t| Driven {
            name: t.name.to_string(),
            result: t.result.expect("every track ends with a result"),
            requested: t.requested,
        })
        .collect();
    (driven, stops)
}

fn answered(track: &mut Track, goal: Goal, answer: Result<(), SysError>) {
    let err = match answer {
        Ok(()) => {
            track.requested = true;
            return;
        }
        Err(err) => err,
    };
    match verdict(goal, &err) {
        Verdict::Arrived => track.requested = true,
        Verdict::AskAgain => {}
        Verdict::Final => track.result = Some(Err(format!("refused to {}: {err}", goal.verb()))),
        Verdict::Transient => {
            track.failures += 1;
            if track.failures >= MAX_ATTEMPTS {
                track.result = Some(Err(format!("refused to {}: {err}", goal.verb())));
            }
        }
    }
}

/// ERROR_SERVICE_SPECIFIC_ERROR: the service says why in its own code.
const SERVICE_SPECIFIC: u32 = 1066;

fn start_failure(status: ServiceStatus) -> String {
    match status.exit_code {
        0 => "started, then stopped again by itself (exit code 0)".to_string(),
        SERVICE_SPECIFIC => format!(
            "started, then stopped with a service-specific error {} (0x{:08X})",
            status.service_exit_code, status.service_exit_code
        ),
        code => {
            // Windows' own words for the code, where the system has them.
            let meaning = crate::sys::system_message(code)
                .map(|m| format!(" ({})", m.trim_end_matches(['.', '\r', '\n', ' '])))
                .unwrap_or_default();
            format!("started, then stopped with Win32 error {code}{meaning}")
        }
    }
}

fn timed_out(goal: Goal, timeout: Duration, track: &Track) -> String {
    if track.in_flight.is_some() {
        return format!(
            "did not {} within {} s: its control handler has not answered the stop request",
            goal.verb(),
            timeout.as_secs()
        );
    }
    let now = match track.last {
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
    use crate::sys::fake::{FakePlatform, OnStop, SysKind};

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
            Machine::new(&sys, &clock),
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
            Machine::new(&sys, &clock),
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
        let results = stop_all(
            Machine::new(&sys, &clock),
            &names(&["wuauserv"]),
            Duration::from_secs(60),
        );
        assert!(results[0].result.is_ok());
        // One default pause after the request, then five stop-pending polls at a tenth of the
        // two-second wait hint each.
        assert_eq!(clock.elapsed(), Duration::from_millis(100 + 5 * 200));
    }

    #[test]
    fn final_refusals_are_not_retried_and_say_why() {
        let sys = FakePlatform::new()
            .service("bits", ServiceState::Running, StartType::Demand)
            .refuse_stop("bits", SysKind::CannotAcceptControl)
            .service("wuauserv", ServiceState::Running, StartType::Demand)
            .refuse_stop("wuauserv", SysKind::AccessDenied)
            .service("dosvc", ServiceState::Running, StartType::Demand)
            .refuse_stop("dosvc", SysKind::InvalidControl);
        let clock = FakeClock::new();
        let results = stop_all(
            Machine::new(&sys, &clock),
            &names(&["bits", "wuauserv", "dosvc"]),
            Duration::from_secs(60),
        );
        let why: Vec<&str> = results
            .iter()
            .map(|d| d.result.as_ref().unwrap_err().as_str())
            .collect();
        assert!(why[0].contains("cannot accept a control"), "{why:?}");
        assert!(why[1].contains("access denied"), "{why:?}");
        assert!(why[2].contains("does not accept this control"), "{why:?}");
        assert_eq!(sys.requests(), ["stop bits", "stop wuauserv", "stop dosvc"]);
        // Nobody waited for the deadline.
        assert!(
            clock.elapsed() < Duration::from_secs(1),
            "{:?}",
            clock.elapsed()
        );
    }

    #[test]
    fn a_start_pending_service_is_stopped_once_it_runs_and_a_stop_pending_one_is_waited_out() {
        let sys = FakePlatform::new()
            .service("wuauserv", ServiceState::StartPending, StartType::Demand)
            .pending_for("wuauserv", 3)
            .service("bits", ServiceState::StopPending, StartType::Demand)
            .pending_for("bits", 3);
        let clock = FakeClock::new();
        let results = stop_all(
            Machine::new(&sys, &clock),
            &names(&["wuauserv", "bits"]),
            Duration::from_secs(60),
        );
        assert!(results.iter().all(|d| d.result.is_ok()), "{results:?}");
        assert_eq!(sys.state("wuauserv"), ServiceState::Stopped);
        assert_eq!(sys.state("bits"), ServiceState::Stopped);
        // wuauserv was asked only after it left start-pending; bits was never asked.
        assert_eq!(sys.requests(), ["stop wuauserv"]);
    }

    #[test]
    fn a_service_that_fails_to_start_is_reported_at_once_with_its_codes() {
        let sys = FakePlatform::new()
            .service("cryptsvc", ServiceState::Stopped, StartType::Demand)
            .fails_to_start("cryptsvc", 1066, 42)
            .service("bits", ServiceState::Stopped, StartType::Demand)
            .fails_to_start("bits", 2, 0);
        let clock = FakeClock::new();
        let results = start_all(
            Machine::new(&sys, &clock),
            &names(&["cryptsvc", "bits"]),
            Duration::from_secs(60),
        );
        assert_eq!(
            results[0].result,
            Err("started, then stopped with a service-specific error 42 (0x0000002A)".into())
        );
        let bits = results[1].result.as_ref().unwrap_err();
        assert!(
            bits.starts_with("started, then stopped with Win32 error 2"),
            "{bits}"
        );
        assert!(
            clock.elapsed() < Duration::from_secs(1),
            "{:?}",
            clock.elapsed()
        );
    }

    #[test]
    fn a_service_seen_stopped_before_its_answer_came_back_was_stopped_by_us() {
        let sys = FakePlatform::new()
            .service("bits", ServiceState::Running, StartType::Demand)
            .answers_late("bits");
        let results = stop_all(
            Machine::new(&sys, &FakeClock::new()),
            &names(&["bits"]),
            Duration::from_secs(5),
        );
        assert!(results[0].result.is_ok(), "{results:?}");
        assert!(results[0].requested, "our STOP did it, not something else");
    }

    #[test]
    fn a_stop_request_that_never_returns_does_not_outlast_the_deadline() {
        let sys = FakePlatform::new()
            .service("cryptsvc", ServiceState::Running, StartType::Auto)
            .hang_on_stop("cryptsvc")
            .service("bits", ServiceState::Running, StartType::Demand);
        let clock = FakeClock::new();
        let results = stop_all(
            Machine::new(&sys, &clock),
            &names(&["cryptsvc", "bits"]),
            Duration::from_secs(5),
        );
        let crypt = results[0].result.as_ref().unwrap_err();
        assert!(
            crypt.contains("has not answered the stop request"),
            "{crypt}"
        );
        assert!(results[1].result.is_ok());
        assert!(
            clock.elapsed() <= Duration::from_secs(5),
            "{:?}",
            clock.elapsed()
        );
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
            Machine::new(&sys, &clock),
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
            Machine::new(&sys, &clock),
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
