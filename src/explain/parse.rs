//! Reading an error code the way users paste it.
//!
//! Accepted: `0x800F0922` (any case of the prefix and digits), bare hex `800f0922`, signed decimal
//! `-2146498270`, unsigned decimal `2148469026`, and symbolic names (`CBS_E_INSTALLERS_FAILED`).
//! A bare run of exactly eight digits starting with 8 (`80070002`) is read as hex: that is how
//! Windows Update shows codes; eight other digits (`20250512`) are a date, not a code; decimal
//! codes from logs have ten digits or a minus sign. Pasted text (`Error 0x800f0922`, `Error code:
//! 0x800F0922`) gives the code inside it (`read`).

/// What an input gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Read {
    Code(u32),
    /// It looks like a code or a name and is not one: said, with why.
    Invalid(String),
    /// A word with no code in it (pasted text around the code): ignored when another input gave
    /// a code.
    NoCode,
}

/// What `input` gives: itself as a code or a name, else the code in the text around it — a
/// `0x…` token first, then eight bare hex digits starting with 8 or C (an HRESULT's shape; a date
/// like 20250512 is not one), then a name wufix knows.
pub fn read(input: &str) -> Read {
    let direct = parse(input);
    if let Ok(code) = direct {
        return Read::Code(code);
    }
    let tokens: Vec<&str> = input
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .filter(|t| !t.is_empty())
        .collect();
    // One word (no spaces): what it holds is meant as a code, or as nothing.
    let single = !input.trim().contains(char::is_whitespace);
    for token in &tokens {
        if let Some(hex) = token
            .strip_prefix("0x")
            .or_else(|| token.strip_prefix("0X"))
        {
            if let Some(code) = parse_hex(hex) {
                return Read::Code(code);
            }
        }
    }
    for token in &tokens {
        let hresult_shaped = token.len() == 8
            && token.bytes().all(|b| b.is_ascii_hexdigit())
            && matches!(token.as_bytes()[0], b'8' | b'c' | b'C');
        if hresult_shaped {
            if let Some(code) = parse_hex(token) {
                return Read::Code(code);
            }
        }
    }
    for token in &tokens {
        if token.contains('_') {
            if let Some(code) = super::code_of(token) {
                return Read::Code(code);
            }
        }
    }
    // One word that tried to be a code (hex digits, a number, an upper-case name) is an error
    // to show; words of ordinary text are not.
    let looks_like_a_code = single
        && input
            .trim()
            .bytes()
            .any(|b| b.is_ascii_digit() || b == b'_')
        || (single
            && input.trim().len() > 1
            && input
                .trim()
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b == b'_'));
    match direct {
        Err(why) if looks_like_a_code => Read::Invalid(why),
        _ => Read::NoCode,
    }
}

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
            // Windows Update shows codes as eight hex digits; eight decimal digits that do not
            // start as an HRESULT does (8…, C…) are a date or a count, not a code.
            if text.starts_with('8') {
                return parse_hex(text).ok_or_else(|| format!("'{input}' is not a code"));
            }
            return Err(format!(
                "'{input}' is not an error code (eight digits that do not start with 8 are not an HRESULT: a date?)"
            ));
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

    #[test]
    fn pasted_text_gives_the_code_inside_it_and_a_date_is_not_one() {
        for text in [
            "Error 0x800f0922",
            "(0x800f0922)",
            "Error code: 0x800F0922",
            "code 800F0922 seen",
        ] {
            assert_eq!(read(text), Read::Code(0x800F0922), "{text}");
        }
        assert_eq!(
            read("updated 20250512, failed with c1900101"),
            Read::Code(0xC1900101)
        );
        assert!(matches!(read("20250512"), Read::Invalid(_)));
        assert_eq!(read("Error"), Read::NoCode);
        assert_eq!(read("code:"), Read::NoCode);
        assert!(matches!(read("0xZZZZ"), Read::Invalid(_)));
        assert!(matches!(read("NOT_A_CODE_NAME"), Read::Invalid(_)));
        assert_eq!(
            read("failed: CBS_E_INSTALLERS_FAILED"),
            Read::Code(0x800F0922)
        );
    }

    proptest::proptest! {
        #[test]
        fn any_string_parses_or_errors_without_panicking(input in "\\PC*") {
            let _ = parse(&input);
            let _ = read(&input);
        }

        #[test]
        fn any_u32_round_trips_in_every_numeric_form(value: u32) {
            proptest::prop_assert_eq!(parse(&format!("0x{value:08X}")), Ok(value));
            // Eight bare hex digits: read as hex, unless they are all decimal digits not starting
            // with 8 (a date, not an HRESULT).
            let bare = format!("{value:08x}");
            if bare.bytes().all(|b| b.is_ascii_digit()) && !bare.starts_with('8') {
                proptest::prop_assert!(parse(&bare).is_err());
            } else {
                proptest::prop_assert_eq!(parse(&bare), Ok(value));
            }
            // Eight bare digits read as hex, by design; every other decimal form is decimal.
            for decimal in [(value as i32).to_string(), value.to_string()] {
                if decimal.len() != 8 {
                    proptest::prop_assert_eq!(parse(&decimal), Ok(value));
                }
            }
        }
    }
}
