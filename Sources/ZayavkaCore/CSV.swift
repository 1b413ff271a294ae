import Foundation

/// Comma-separated values as RFC 4180 has them, and as Russian Excel writes them: a semicolon
/// instead of the comma, and windows-1251 instead of UTF-8 when saved without "UTF-8" chosen.
public enum CSV {
    public struct Row: Sendable, Equatable {
        /// 1-based line of the file the row starts on, for reports.
        public let line: Int
        public let fields: [String]
    }

    public enum Problem: Error, Equatable, Sendable {
        case empty
        case unterminatedQuote(line: Int)
    }

    /// Text of a file: UTF-8 (a byte-order mark is dropped) or, when the bytes are not UTF-8,
    /// windows-1251.
    public static func text(of data: Data) -> String {
        var bytes = data
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        if let text = String(data: bytes, encoding: .utf8) { return text }
        return String(data: bytes, encoding: .windowsCP1251) ?? String(decoding: bytes, as: UTF8.self)
    }

    /// The delimiter of the header line: the most frequent of `;`, `,` and tab outside quotes.
    public static func delimiter(of text: String) -> Character {
        var counts: [Character: Int] = [";": 0, ",": 0, "\t": 0]
        var quoted = false
        for ch in text {
            if ch == "\"" { quoted.toggle() } else if !quoted {
                if ch == "\n" || ch == "\r\n" || ch == "\r" { break }
                if counts[ch] != nil { counts[ch]! += 1 }
            }
        }
        let best = counts.max { a, b in a.value != b.value ? a.value < b.value : a.key == ";" }!
        return best.value == 0 ? "," : best.key
    }

    /// Every row, blank lines skipped. Quoted fields may hold delimiters, doubled quotes and line breaks.
    public static func parse(_ text: String, delimiter: Character? = nil) throws(Problem) -> [Row] {
        let delimiter = delimiter ?? self.delimiter(of: text)
        var rows: [Row] = []
        var fields: [String] = []
        var field = ""
        var quoted = false
        var wasQuoted = false
        var line = 1
        var rowLine = 1
        var quoteLine = 1
        var iterator = text.makeIterator()
        var pending: Character? = nil
        func endRow() {
            fields.append(field)
            if !(fields.count == 1 && fields[0].isEmpty && !wasQuoted) { rows.append(Row(line: rowLine, fields: fields)) }
            fields = []
            field = ""
            wasQuoted = false
        }
        while let ch = pending ?? iterator.next() {
            pending = nil
            if quoted {
                if ch == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" { field.append("\"") } else {
                            quoted = false
                            pending = next
                        }
                    } else { quoted = false }
                } else {
                    if ch == "\n" || ch == "\r\n" || ch == "\r" { line += 1 }
                    field.append(ch == "\r\n" ? "\n" : ch)
                }
                continue
            }
            switch ch {
            case "\"" where field.isEmpty:
                quoted = true
                wasQuoted = true
                quoteLine = line
            case delimiter:
                fields.append(field)
                field = ""
            case "\n", "\r\n", "\r":
                endRow()
                line += 1
                rowLine = line
            default:
                field.append(ch)
            }
        }
        if quoted { throw .unterminatedQuote(line: quoteLine) }
        if !field.isEmpty || !fields.isEmpty || wasQuoted { endRow() }
        if rows.isEmpty { throw .empty }
        return rows
    }

    /// One field, quoted when it holds the delimiter, a quote or a line break, or starts with a
    /// character a spreadsheet would run as a formula (`=`, `+`, `-`, `@`: OWASP's CSV injection).
    public static func field(_ value: String, delimiter: Character) -> String {
        var value = value
        if let first = value.first, "=+-@".contains(first), Double(value) == nil { value = "'" + value }
        guard value.contains(where: { $0 == delimiter || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// A whole file: header and rows, CRLF line ends, with a UTF-8 byte-order mark so Excel reads Cyrillic.
    public static func write(header: [String], rows: [[String]], delimiter: Character = ";") -> String {
        var out = "\u{FEFF}"
        for row in [header] + rows {
            out += row.map { field($0, delimiter: delimiter) }.joined(separator: String(delimiter)) + "\r\n"
        }
        return out
    }
}

/// The columns of the directory's CSV files (SPEC A2), each known by its English key or its
/// Russian heading.
public struct CSVColumns: Sendable {
    public let columns: [(key: String, ru: String)]

    public init(_ columns: [(key: String, ru: String)]) { self.columns = columns }

    public static let organizations = CSVColumns([
        ("name", "Название"), ("inn", "ИНН"), ("contract_number", "Номер договора"), ("logins", "Логины"),
        ("plan", "Тариф"), ("contract_ends_on", "Договор до"), ("quota", "Квота"), ("usage", "Использовано"),
        ("phones", "Телефоны"), ("email_domains", "Почтовые домены"), ("addresses", "Адреса"), ("notes", "Заметки"),
    ])
    public static let contacts = CSVColumns([
        ("email", "Email"), ("name", "Имя"), ("phone", "Телефон"), ("organization_inn", "ИНН организации"),
        ("organization", "Организация"), ("locale", "Язык"),
    ])

    /// Where each known column is in `header`; unknown headings are returned too.
    public func map(header: [String]) -> (positions: [String: Int], unknown: [String]) {
        var positions: [String: Int] = [:]
        var unknown: [String] = []
        for (index, raw) in header.enumerated() {
            let heading = raw.trimmingCharacters(in: .whitespaces)
            let folded = heading.lowercased().replacingOccurrences(of: "ё", with: "е")
            if let column = columns.first(where: { $0.key == folded || $0.ru.lowercased().replacingOccurrences(of: "ё", with: "е") == folded }) {
                if positions[column.key] == nil { positions[column.key] = index }
            } else if !heading.isEmpty {
                unknown.append(heading)
            }
        }
        return (positions, unknown)
    }

    /// Several values in one cell: separated by commas, semicolons or line breaks.
    public static func list(_ cell: String) -> [String] {
        cell.split(whereSeparator: { ",;\n".contains($0) }).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Several values that may hold commas themselves (addresses): separated by semicolons or line breaks.
    public static func lines(_ cell: String) -> [String] {
        // "\r\n" (what browsers send from a textarea) is one Character: isNewline, not "\n".
        cell.split(whereSeparator: { $0 == ";" || $0.isNewline }).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// A date as ISO (2026-12-31) or as Russians write it (31.12.2026), in ISO; nil when neither.
    public static func isoDate(_ cell: String) -> String? {
        let text = cell.trimmingCharacters(in: .whitespaces)
        if LocalDate(text) != nil { return text }
        let ru = text.split(separator: ".")
        if ru.count == 3, ru[0].count <= 2, ru[1].count <= 2, ru[2].count == 4 {
            let iso = ru[2] + "-" + String(repeating: "0", count: 2 - ru[1].count) + ru[1] + "-" + String(repeating: "0", count: 2 - ru[0].count) + ru[0]
            if LocalDate(iso) != nil { return iso }
        }
        return nil
    }
}
