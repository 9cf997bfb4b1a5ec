//! Reading an error code the way users paste it.
//!
//! Accepted: `0x800F0922` (any case of the prefix and digits), bare hex `800f0922`, signed decimal
//! `-2146498270`, unsigned decimal `2148469026`, and symbolic names (`CBS_E_INSTALLERS_FAILED`).
//! A bare run of exactly eight digits (`80070002`) is read as hex: that is how Windows Update shows
//! codes; decimal codes from logs have ten digits or a minus sign.

/// The 32-bit value of `input`, or why it is not a code.
pub fn parse(input: &str) -> Result<u32, String> {
    let text = input.trim();
    if text.is_empty() {
        return Err("an empty string is not an error code".to_string());
    }
    if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        return parse_hex(hex).ok_or_else(|| format!("'{input}' is not a 32-bit hexadecimal code"));
    }
    if let Some(digits) = text.strip_prefix('-') {
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            return text
                .parse::<i32>()
                .map(|v| v as u32)
                .map_err(|_| format!("'{input}' is out of range for a 32-bit code"));
        }
        return Err(format!("'{input}' is not an error code"));
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        if text.len() == 8 {
            return parse_hex(text).ok_or_else(|| format!("'{input}' is not a code"));
        }
        return text
            .parse::<u32>()
            .map_err(|_| format!("'{input}' is out of range for a 32-bit code"));
    }
    if text.len() <= 8 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return parse_hex(text).ok_or_else(|| format!("'{input}' is not a code"));
    }
    let is_name = text
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if is_name {
        return super::code_of(text).ok_or_else(|| format!("'{input}' is not a name wufix knows"));
    }
    Err(format!(
        "'{input}' is not an error code: use hex (0x800F0922 or 800f0922), decimal (-2146498270) or a name (CBS_E_INSTALLERS_FAILED)"
    ))
}

fn parse_hex(digits: &str) -> Option<u32> {
    if digits.is_empty() || digits.len() > 8 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(digits, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_input_form_gives_the_same_code() {
        for input in [
            "0x800F0922",
            "0x800f0922",
            "0X800F0922",
            "800f0922",
            "800F0922",
            "-2146498270",
            "2148469026",
            "CBS_E_INSTALLERS_FAILED",
            "cbs_e_installers_failed",
            " 0x800F0922 ",
        ] {
            assert_eq!(parse(input), Ok(0x800F0922), "{input}");
        }
        assert_eq!(parse("80070002"), Ok(0x80070002));
        assert_eq!(parse("WU_E_PT_WINHTTP_NAME_NOT_RESOLVED"), Ok(0x8024402C));
        assert_eq!(parse("0"), Ok(0));
        assert_eq!(parse("4294967295"), Ok(u32::MAX));
        assert_eq!(parse("-1"), Ok(u32::MAX));
    }

    #[test]
    fn anything_else_is_a_clear_error() {
        for input in [
            "",
            "0x",
            "0x123456789",
            "0xZZ",
            "-",
            "--5",
            "4294967296",
            "-2147483649",
            "WU_E_NO_SUCH_THING",
            "0x80070002L",
            "80070002h",
            "hello world",
            "1.5",
        ] {
            let err = parse(input).unwrap_err();
            assert!(!err.is_empty(), "{input}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_string_parses_or_errors_without_panicking(input in "\\PC*") {
            let _ = parse(&input);
        }

        #[test]
        fn any_u32_round_trips_in_every_numeric_form(value: u32) {
            proptest::prop_assert_eq!(parse(&format!("0x{value:08X}")), Ok(value));
            proptest::prop_assert_eq!(parse(&format!("{value:08x}")), Ok(value));
            // Eight bare digits read as hex, by design; every other decimal form is decimal.
            for decimal in [(value as i32).to_string(), value.to_string()] {
                if decimal.len() != 8 {
                    proptest::prop_assert_eq!(parse(&decimal), Ok(value));
                }
            }
        }
    }
}
