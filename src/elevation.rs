//! Whether a reset that lacks administrator rights asks Windows for them (a UAC prompt, through a
//! copy of wufix started elevated) or stops with exit 3. Only a person can answer a UAC prompt:
//! anything unattended refuses, so a fleet tool sees a clear failure instead of a prompt nobody
//! answers.

/// What to do about missing rights.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Elevation {
    /// Already elevated.
    Proceed,
    /// Start an elevated copy with the same arguments and wait for it.
    Relaunch,
    /// Stop with exit 3, saying why.
    Refuse(Why),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Why {
    /// `--no-elevate`.
    Declined,
    /// `--json`: a program reads the output, not a person.
    Json,
    /// Nobody can answer: no console to ask on (a service, a scheduled task, remoting).
    Unattended,
    /// This is the elevated copy and it still lacks rights: asking again would loop.
    StillNotElevated,
}

/// The facts the decision rests on.
#[derive(Clone, Copy, Debug, Default)]
pub struct Context {
    pub elevated: bool,
    pub json: bool,
    pub no_elevate: bool,
    /// Started by another wufix through UAC.
    pub elevated_child: bool,
    /// A person can answer: standard input is a console.
    pub can_ask: bool,
}

pub fn decide(c: Context) -> Elevation {
    if c.elevated {
        Elevation::Proceed
    } else if c.elevated_child {
        Elevation::Refuse(Why::StillNotElevated)
    } else if c.no_elevate {
        Elevation::Refuse(Why::Declined)
    } else if c.json {
        Elevation::Refuse(Why::Json)
    } else if !c.can_ask {
        Elevation::Refuse(Why::Unattended)
    } else {
        Elevation::Relaunch
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_person_at_a_console_is_asked_and_only_once() {
        let person = Context {
            can_ask: true,
            ..Context::default()
        };
        assert_eq!(decide(person), Elevation::Relaunch);
        assert_eq!(
            decide(Context {
                elevated: true,
                ..person
            }),
            Elevation::Proceed
        );
        let refusals = [
            (
                Context {
                    no_elevate: true,
                    ..person
                },
                Why::Declined,
            ),
            (
                Context {
                    json: true,
                    ..person
                },
                Why::Json,
            ),
            (
                Context {
                    can_ask: false,
                    ..person
                },
                Why::Unattended,
            ),
            (
                Context {
                    elevated_child: true,
                    ..person
                },
                Why::StillNotElevated,
            ),
        ];
        for (context, why) in refusals {
            assert_eq!(decide(context), Elevation::Refuse(why), "{context:?}");
        }
    }
}
