import Foundation

/// The one set of rules every piece of text a client sends goes through, whatever the path (API,
/// web form, CSV, mail): no control characters (a NUL breaks PostgreSQL and a CR/LF becomes a mail
/// header), no runs of combining marks past a few per letter (one letter with 100,000 marks counts
/// as one character and takes a browser 36 s to lay out), and limits in characters, Unicode
/// scalars and bytes together.
public enum TextInput {
    /// Combining marks kept after one base character; real scripts need at most three or four
    /// (Vietnamese stacks two, Hebrew points three).
    public static let maxCombiningMarks = 4

    /// The text with every run of combining marks cut to `maxCombiningMarks`. Everything else is
    /// kept as it is; plain ASCII comes back untouched without being copied.
    public static func clean(_ text: String) -> String {
        var needsWork = false
        for byte in text.utf8 where byte >= 0xCC { needsWork = true; break }
        guard needsWork else { return text }
        // Most text with marks (or Cyrillic, whose bytes start at 0xD0) has no run to cut: look first,
        // copy only when one is found.
        var run = 0
        var overlong = false
        for scalar in text.unicodeScalars {
            if isCombining(scalar) {
                run += 1
                if run > maxCombiningMarks { overlong = true; break }
            } else {
                run = 0
            }
        }
        guard overlong else { return text }
        run = 0
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if isCombining(scalar) {
                run += 1
                if run > maxCombiningMarks { continue }
            } else {
                run = 0
            }
            scalars.append(scalar)
        }
        return String(scalars)
    }

    /// For text that must be taken, not refused (a received mail): control characters removed (line
    /// breaks become spaces when `multiline` is false) and combining-mark runs cut.
    public static func sanitize(_ text: String, multiline: Bool = true) -> String {
        guard hasForbiddenControl(text, multiline: multiline) else { return clean(text) }
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x09, 0x0A, 0x0D, 0x2028, 0x2029: scalars.append(multiline ? scalar : " ")
            case 0x00...0x1F, 0x7F...0x9F: continue
            default: scalars.append(scalar)
            }
        }
        return clean(String(scalars))
    }

    /// Combining marks and variation selectors: what stacks on a base character.
    public static func isCombining(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x0300...0x036F, 0x1AB0...0x1AFF, 0x1DC0...0x1DFF, 0x20D0...0x20FF, 0xFE20...0xFE2F, 0xFE00...0xFE0F: return true
        case 0..<0x0483, 0x048A...0x052F: return false  // Latin, Greek, Cyrillic letters: no property lookup
        default:
            switch scalar.properties.generalCategory {
            case .nonspacingMark, .enclosingMark, .spacingMark: return true
            default: return false
            }
        }
    }

    /// Whether the text has a character no field may hold: NUL and the other C0 controls, DEL's
    /// C1 cousins and the Unicode line/paragraph separators. `multiline` allows tab, LF and CR.
    public static func hasForbiddenControl(_ text: String, multiline: Bool = true) -> Bool {
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x09, 0x0A, 0x0D: if !multiline { return true }
            case 0x00...0x1F, 0x7F...0x9F: return true
            case 0x2028, 0x2029: if !multiline { return true }
            default: continue
            }
        }
        return false
    }

    /// The error for a text over `maxCharacters`: counted as characters (grapheme clusters) and also
    /// as Unicode scalars (at most four a character) and UTF-8 bytes (at most sixteen a character),
    /// so neither stacked marks nor long emoji sequences slip past a character limit.
    public static func limitError(_ text: String, field: String, maxCharacters: Int) -> FieldError? {
        let bytes = text.utf8.count
        if bytes <= maxCharacters { return nil }  // fast path: cannot be over in any unit
        let overBytes = bytes > maxCharacters.multipliedReportingOverflow(by: 16).partialValue
        if overBytes || text.unicodeScalars.count > maxCharacters.multipliedReportingOverflow(by: 4).partialValue || text.count > maxCharacters {
            return FieldError(field, .tooLong, String(maxCharacters))
        }
        return nil
    }

    /// Checks one field: control characters (`multiline` allows line breaks and tabs) and the limits.
    /// The text should already have been through `clean`.
    public static func check(_ text: String, field: String, maxCharacters: Int, multiline: Bool = true) -> FieldError? {
        if hasForbiddenControl(text, multiline: multiline) { return FieldError(field, .controlCharacters) }
        return limitError(text, field: field, maxCharacters: maxCharacters)
    }
}

/// The limits of every text field, the same on every path that writes it (API, web, CSV, mail).
public enum FieldLimits {
    public static let personName = 200
    public static let organizationName = 300
    public static let phone = 50
    public static let email = 254
    public static let password = 200
    public static let shortText = 200
    public static let note = 2000
    public static let longText = 10_000
    public static let tokenName = 100
    /// Any string inside a JSON body or form that has no limit of its own.
    public static let anyText = 100_000
}

extension String {
    /// Over `maxCharacters` in characters, in Unicode scalars (four a character) or in UTF-8 bytes
    /// (sixteen a character): the one length test of every text field (see `TextInput`).
    public func isOver(_ maxCharacters: Int) -> Bool {
        TextInput.limitError(self, field: "", maxCharacters: maxCharacters) != nil
    }

    /// Empty once white space and line breaks are trimmed (what `trimmingCharacters(in:
    /// .whitespacesAndNewlines).isEmpty` says here, zero-width space included), without copying the
    /// text: stops at the first other scalar.
    public var isBlank: Bool {
        unicodeScalars.allSatisfy { scalar in
            switch scalar.value {
            case 0x09...0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200B, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: true
            default: false
            }
        }
    }
}

/// Email addresses as RFC 5321/5322 allow them in a mailbox (plus RFC 6531's UTF-8): a dot-atom
/// local part of at most 64 octets, a domain of dot-separated labels of at most 63 octets, 254 in
/// all; no spaces, quotes, angle brackets or control characters anywhere, so an address can never
/// become a second header line or SMTP command.
public enum EmailAddress {
    private static let atextSymbols = Set("!#$%&'*+/=?^_`{|}~-".unicodeScalars)

    public static func isValid(_ address: String) -> Bool {
        let bytes = address.utf8.count
        guard bytes >= 3, bytes <= FieldLimits.email else { return false }
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return false }
        let local = parts[0], domain = parts[1]
        guard !local.isEmpty, local.utf8.count <= 64, !domain.isEmpty, domain.utf8.count <= 253 else { return false }
        // Local part: dot-atom, no leading, trailing or doubled dots.
        guard !local.hasPrefix("."), !local.hasSuffix("."), !local.contains("..") else { return false }
        for scalar in local.unicodeScalars where scalar != "." {
            let ascii = scalar.isASCII
            if ascii, !(scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || atextSymbols.contains(scalar)) { return false }
            if !ascii, !(scalar.properties.isAlphabetic || scalar.properties.numericType != nil) { return false }
        }
        // Domain: at least two labels of letters, digits and inner hyphens.
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2 else { return false }
        for label in labels {
            guard !label.isEmpty, label.utf8.count <= 63, !label.hasPrefix("-"), !label.hasSuffix("-") else { return false }
            for scalar in label.unicodeScalars {
                let letterOrDigit = scalar.properties.isAlphabetic || scalar.properties.numericType == .decimal
                if !(letterOrDigit || scalar == "-") || (scalar.isASCII && !(scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "-")) {
                    return false
                }
            }
        }
        return true
    }
}

/// Where a sign-in may send the browser afterwards: only a path of this site.
public enum LocalRedirect {
    /// `raw` when it is a path on this origin: it starts with one `/` followed by a character that is
    /// not `/`, `\` or a control, and holds no control character or backslash anywhere (browsers drop
    /// tabs and newlines, so `/\t/evil.example` would become `//evil.example`). Nil otherwise.
    public static func path(_ raw: String?) -> String? {
        guard let raw, raw.hasPrefix("/"), raw.utf8.count <= 2000 else { return nil }
        for scalar in raw.unicodeScalars {
            if scalar.value < 0x21 || (0x7F...0x9F).contains(scalar.value) || scalar == "\\" || scalar.properties.isWhitespace
                || scalar.properties.generalCategory == .format {
                return nil
            }
        }
        if raw == "/" { return raw }
        let second = raw.unicodeScalars.dropFirst().first!
        guard second != "/" else { return nil }
        // Parsed as a URL relative to a placeholder origin, it must stay on that origin.
        guard let url = URL(string: raw, relativeTo: URL(string: "https://zayavka.invalid")),
              url.absoluteURL.host == "zayavka.invalid", url.absoluteURL.scheme == "https" else { return nil }
        return raw
    }
}

/// The dates any field may hold: years 1900 to 9999. ISO 8601 parsing accepts years of up to ten
/// digits, and PostgreSQL's driver traps converting a date past the year 294,000, so every date a
/// client sends is checked against this window first.
public enum DateWindow {
    public static let earliest = Date(timeIntervalSince1970: -2_208_988_800)  // 1900-01-01T00:00:00Z
    public static let latest = Date(timeIntervalSince1970: 253_402_300_799)   // 9999-12-31T23:59:59Z

    public static func contains(_ date: Date) -> Bool {
        let seconds = date.timeIntervalSince1970
        return seconds.isFinite && earliest.timeIntervalSince1970 <= seconds && seconds <= latest.timeIntervalSince1970
    }

    /// An ISO 8601 date and time inside the window, or nil.
    public static func parse(_ raw: String) -> Date? {
        guard let date = try? Date(raw, strategy: .iso8601), contains(date) else { return nil }
        return date
    }
}
