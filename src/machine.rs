//! The machine a command works on, as the core reaches it: the operating system behind the
//! [`Platform`] boundary and the clock, passed down as one value rather than one by one.

use serde::Serialize;

use crate::clock::Clock;
use crate::sys::Platform;

/// The operating system and the clock: what every step that waits or acts needs.
#[derive(Clone, Copy)]
pub struct Machine<'a> {
    pub sys: &'a dyn Platform,
    pub clock: &'a dyn Clock,
}

impl<'a> Machine<'a> {
    pub fn new(sys: &'a dyn Platform, clock: &'a dyn Clock) -> Self {
        Machine { sys, clock }
    }
}

/// Whether a command acts on the running Windows or on a mounted one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Online,
    Offline,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Online => "online",
            Mode::Offline => "offline",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_serialise_to_their_names() {
        assert_eq!(serde_json::to_value(Mode::Offline).unwrap(), "offline");
        assert_eq!(
            serde_json::to_value(Mode::Online).unwrap(),
            Mode::Online.as_str()
        );
    }
}
