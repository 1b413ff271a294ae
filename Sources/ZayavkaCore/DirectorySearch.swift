import Foundation

/// The one search box of the directory (SPEC A2, seed 002: "find the client by contract number,
/// login, INN or organization name"): every organization and contact is indexed under short keys,
/// and a query is turned into the few keys it could be a prefix of. A lookup is then a range scan of
/// one index, fast at any size.
public enum DirectorySearch {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case inn, contract, login, phone, email, domain, name
        /// Stronger identifiers sort first among equal matches.
        public var rank: Int { Kind.allCases.firstIndex(of: self)! }
    }

    public struct Entry: Sendable, Hashable {
        public let kind: Kind
        public let key: String
        public init(_ kind: Kind, _ key: String) {
            self.kind = kind
            self.key = key
        }
    }

    /// Longest key stored; longer values are cut (a prefix still finds them).
    public static let maxKeyLength = 120
    /// Shortest query that is looked up.
    public static let minQueryLength = 2

    /// Lower case, ё as е, every run of characters other than letters, digits and `@._-` as one space.
    public static func fold(_ text: String) -> String {
        let lowered = text.lowercased().replacingOccurrences(of: "ё", with: "е")
        var out = ""
        var pendingSpace = false
        for ch in lowered {
            if ch.isLetter || ch.isNumber || "@._-".contains(ch) {
                if pendingSpace, !out.isEmpty { out.append(" ") }
                pendingSpace = false
                out.append(ch)
            } else {
                pendingSpace = true
            }
        }
        return String(out.prefix(maxKeyLength))
    }

    /// Letters and digits only, folded: "ЕО-12 345" and "ео12345" agree.
    public static func compact(_ text: String) -> String {
        String(text.lowercased().replacingOccurrences(of: "ё", with: "е").filter { $0.isLetter || $0.isNumber }.prefix(maxKeyLength))
    }

    /// A phone's key: its E.164 digits without the plus ("79139199099").
    public static func phoneKey(_ text: String) -> String? {
        PhoneNumber.normalize(text).map { String($0.dropFirst()) }
    }

    private static func nameEntries(_ name: String) -> [Entry] {
        let folded = fold(name)
        guard !folded.isEmpty else { return [] }
        var entries = [Entry(.name, folded)]
        for word in folded.split(separator: " ") where word.count >= minQueryLength && String(word) != folded {
            entries.append(Entry(.name, String(word)))
        }
        return entries
    }

    public static func organization(name: String, inn: String?, contractNumber: String?, logins: [String],
                                    phones: [String], emailDomains: [String]) -> [Entry] {
        var entries = nameEntries(name)
        if let inn, !compact(inn).isEmpty { entries.append(Entry(.inn, compact(inn))) }
        if let contractNumber, !compact(contractNumber).isEmpty { entries.append(Entry(.contract, compact(contractNumber))) }
        for login in logins where !compact(login).isEmpty { entries.append(Entry(.login, compact(login))) }
        for phone in phones { if let key = phoneKey(phone) { entries.append(Entry(.phone, key)) } }
        for domain in emailDomains where !domain.isEmpty { entries.append(Entry(.domain, fold(domain))) }
        return unique(entries)
    }

    public static func contact(name: String, email: String?, phone: String?) -> [Entry] {
        var entries = nameEntries(name)
        if let email, !email.isEmpty { entries.append(Entry(.email, fold(email))) }
        if let phone, let key = phoneKey(phone) { entries.append(Entry(.phone, key)) }
        return unique(entries)
    }

    private static func unique(_ entries: [Entry]) -> [Entry] {
        var seen = Set<Entry>()
        return entries.filter { seen.insert($0).inserted }
    }

    /// The keys a query may be the start of: its folded text, its letters and digits, and, when it
    /// looks like (part of) a phone number, that number in the stored form whichever way it was
    /// written (+7 (913) 919-90-99, 8 913 919 90 99, 9139199099).
    public static func prefixes(for query: String) -> [String] {
        var result: [String] = []
        func add(_ candidate: String) {
            if candidate.count >= minQueryLength, !result.contains(candidate) { result.append(candidate) }
        }
        add(fold(query))
        add(compact(query))
        let trimmed = query.trimmingCharacters(in: .whitespaces)
        let digits = trimmed.filter { $0.isASCII && $0.isNumber }
        if digits.count >= 5, trimmed.allSatisfy({ $0.isNumber || " +-()./".contains($0) }) {
            if let full = phoneKey(trimmed) { add(full) }
            if digits.hasPrefix("8"), !trimmed.hasPrefix("+") { add("7" + digits.dropFirst()) }
            if digits.hasPrefix("9") { add("7" + digits) }
        }
        return result
    }

    /// Words a customer puts around the number itself ("договор № Д-77", "логин: granit").
    private static let referenceFillers: Set<String> = ["договор", "договора", "дог", "логин", "номер", "ном", "no", "n", "contract", "login",
                                                        "number", "лк", "и", "или", "and", "or"]

    /// The contract or login keys a customer's answer to seed 002's "contract number or login" may
    /// name: the whole answer and each word of it, letters and digits only, without the words said
    /// around them. "Договор № ЕО-000123" gives "ео000123"; "Д-77 / granit" gives "д77", "granit".
    public static func referenceKeys(_ answer: String) -> [String] {
        var keys: [String] = []
        func add(_ key: String) {
            if key.count >= minQueryLength, !referenceFillers.contains(key), !keys.contains(key) { keys.append(key) }
        }
        let words = answer.split { $0.isWhitespace || ",;/\\|:()«»\"'".contains($0) }.map { compact(String($0)) }.filter { !$0.isEmpty }
        let meaningful = words.filter { !referenceFillers.contains($0) }
        add(meaningful.joined())
        meaningful.forEach(add)
        return Array(keys.prefix(8))
    }

    /// The smallest string greater than every string that starts with `prefix`, by code point
    /// (and so by UTF-8 bytes, the order of SQLite's BINARY and PostgreSQL's "C" collation).
    public static func upperBound(_ prefix: String) -> String {
        var scalars = Array(prefix.unicodeScalars)
        while let last = scalars.popLast() {
            var next = last.value + 1
            if (0xD800...0xDFFF).contains(next) { next = 0xE000 }
            if let scalar = Unicode.Scalar(next) {
                scalars.append(scalar)
                var out = String.UnicodeScalarView()
                out.append(contentsOf: scalars)
                return String(out)
            }
        }
        return "\u{10FFFF}"
    }

    /// One hit of a lookup, before the entity is loaded.
    public struct Hit: Sendable, Equatable {
        public let kind: Kind
        public let key: String
        public let exact: Bool
        public init(kind: Kind, key: String, exact: Bool) {
            self.kind = kind
            self.key = key
            self.exact = exact
        }

        /// Exact matches first, then the stronger identifier, then the shorter key.
        public static func before(_ a: Hit, _ b: Hit) -> Bool {
            if a.exact != b.exact { return a.exact }
            if a.kind.rank != b.kind.rank { return a.kind.rank < b.kind.rank }
            return a.key.count < b.key.count
        }
    }
}

/// How a group hands out its new tickets (SPEC T6).
public enum AssignmentMode: String, Sendable, Codable, CaseIterable {
    /// A dispatcher assigns by hand from the group's queue.
    case manual
    /// In turn, to each agent on shift.
    case roundRobin = "round_robin"
    /// To the agent on shift with the fewest open tickets.
    case leastLoaded = "least_loaded"
}

public enum AssignmentChooser {
    /// The agent to receive a ticket, among `onShift` (user ids), or nil when nobody is on shift
    /// or the group is assigned by hand. Round robin takes the next id after `lastAssigned`;
    /// least loaded the fewest open tickets, ties broken the same way as round robin.
    public static func choose(_ mode: AssignmentMode, onShift: [Int], lastAssigned: Int?, openTickets: [Int: Int]) -> Int? {
        let ids = Array(Set(onShift)).sorted()
        guard !ids.isEmpty else { return nil }
        // The rota starting after the last one served.
        let start = lastAssigned.flatMap { last in ids.firstIndex { $0 > last } } ?? 0
        let rota = Array(ids[start...] + ids[..<start])
        switch mode {
        case .manual: return nil
        case .roundRobin: return rota.first
        case .leastLoaded:
            let fewest = rota.map { openTickets[$0] ?? 0 }.min()!
            return rota.first { (openTickets[$0] ?? 0) == fewest }
        }
    }
}

/// Seed 002's support lines, shipped as a template: the groups, how each assigns, and which
/// hand-off route leads to it.
public struct SupportLine: Sendable, Equatable {
    public let name: String
    public let description: String
    public let assignment: AssignmentMode
    public let route: String?

    public static let seed002: [SupportLine] = [
        SupportLine(name: "Первая линия", description: "Принимает звонки и заявки, решает по инструкциям", assignment: .roundRobin, route: nil),
        SupportLine(name: "Вторая линия", description: "Заявки «на завтра/понедельник»", assignment: .leastLoaded, route: "second_line"),
        SupportLine(name: "Программисты (ОС)", description: "Ошибки программ: «Требует передачи на ОС»", assignment: .manual, route: "development"),
        SupportLine(name: "Линия консультаций (ЛК)", description: "Только платные клиенты: «Требует передачи на ЛК»", assignment: .manual,
                    route: "consultation_line"),
        SupportLine(name: "Менеджеры", description: "«Менеджер свяжется»", assignment: .manual, route: "manager"),
    ]
}
