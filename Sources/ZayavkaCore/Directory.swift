import Foundation

/// The Russian taxpayer number (ИНН, SPEC A2): 10 digits for an organization, 12 for a person or
/// an individual entrepreneur, the last one or two being check digits.
/// An organization's addresses as stored (SPEC A2): one a line, each on one line, trimmed, empty
/// ones dropped, none longer than `maxLength`.
public enum OrganizationAddresses {
    public static let maxLength = 500

    public static func clean(_ values: [String]) -> (stored: String?, error: FieldError?) {
        let kept = values.map { $0.split(whereSeparator: \.isNewline).joined(separator: " ").trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        let error = kept.contains { $0.count > maxLength } ? FieldError("addresses", .tooLong, String(maxLength)) : nil
        return (kept.isEmpty ? nil : kept.joined(separator: "\n"), error)
    }
}

public enum INN {
    static let weights10 = [2, 4, 10, 3, 5, 9, 4, 6, 8]
    static let weights11 = [7, 2, 4, 10, 3, 5, 9, 4, 6, 8]
    static let weights12 = [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8]

    private static func check(_ digits: [Int], _ weights: [Int]) -> Int {
        zip(digits, weights).reduce(0) { $0 + $1.0 * $1.1 } % 11 % 10
    }

    /// The digits of a valid INN (spaces allowed around), else nil.
    public static func normalize(_ text: String) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard trimmed.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        let digits = trimmed.compactMap(\.wholeNumberValue)
        switch digits.count {
        case 10:
            guard check(digits, weights10) == digits[9] else { return nil }
        case 12:
            guard check(digits, weights11) == digits[10], check(digits, weights12) == digits[11] else { return nil }
        default:
            return nil
        }
        return trimmed
    }

    public static func isValid(_ text: String) -> Bool { normalize(text) != nil }
}

/// A hand-off route (SPEC T8, seed 002): where a ticket goes, with which status and responsible,
/// and what the customer is told. Some routes are for paying customers only.
public struct HandOffRoute: Sendable, Equatable, Codable {
    public var key: String
    public var name: String
    /// The status the ticket gets (a hand-off status of the team's workflow).
    public var status: String?
    public var groupID: Int?
    public var assigneeID: Int?
    /// The message posted to the customer, Russian and English.
    public var messageRu: String
    public var messageEn: String
    public var paidOnly: Bool
    /// A note for the agent to fill in before handing off (seed 002: ask whose request it is).
    public var agentHint: String?

    public init(key: String, name: String, status: String? = nil, groupID: Int? = nil, assigneeID: Int? = nil,
                messageRu: String, messageEn: String, paidOnly: Bool = false, agentHint: String? = nil) {
        self.key = key
        self.name = name
        self.status = status
        self.groupID = groupID
        self.assigneeID = assigneeID
        self.messageRu = messageRu
        self.messageEn = messageEn
        self.paidOnly = paidOnly
        self.agentHint = agentHint
    }

    enum CodingKeys: String, CodingKey {
        case key, name, status
        case groupID = "group_id", assigneeID = "assignee_id", messageRu = "message_ru", messageEn = "message_en",
             paidOnly = "paid_only", agentHint = "agent_hint"
    }

    /// Whether a customer on `plan` may be routed here; a route for paying customers refuses the
    /// free plan and an unknown one.
    public func allows(plan: CustomerPlan?) -> Bool { !paidOnly || plan == .paid }

    /// The four routes of seed 002, with its exact words; statuses are the built-in hand-off statuses.
    public static let seed002: [HandOffRoute] = [
        HandOffRoute(key: "consultation_line", name: "На ЛК (линия консультаций)", status: "transfer_consultation",
                     messageRu: "Передали заявку на линию консультаций, они свяжутся с вами в ближайший рабочий день",
                     messageEn: "We have passed your request to the consultation line; they will contact you on the next working day",
                     paidOnly: true,
                     agentHint: "Уточните у клиента, оставляет он заявку на себя или на другое лицо; если на другое — ФИО этого лица в скрытом комментарии."),
        HandOffRoute(key: "development", name: "На программистов", status: "transfer_development",
                     messageRu: "Передали заявку программистам, они свяжутся с вами в ближайший рабочий день",
                     messageEn: "We have passed your request to the developers; they will contact you on the next working day"),
        HandOffRoute(key: "manager", name: "Менеджер свяжется", status: "to_manager",
                     messageRu: "Передали заявку вашему менеджеру, он свяжется с вами в ближайший рабочий день",
                     messageEn: "We have passed your request to your manager; they will contact you on the next working day"),
        HandOffRoute(key: "second_line", name: "На завтра/понедельник (2-я линия)",
                     messageRu: "Передали заявку на специалистов 2-линии техподдержки, они свяжутся с вами завтра/в понедельник",
                     messageEn: "We have passed your request to the second-line specialists; they will contact you tomorrow/on Monday"),
    ]
}

/// Text folded for matching rules: lower case, ё as е, letters and digits only.
public enum RuleText {
    /// Lower-case words, ё read as е, in one pass over the text's Unicode scalars. Text in composed
    /// form (NFC, what keyboards and mail clients send) is read as it is; text with combining marks
    /// is composed first, so «й» typed as и + ◌̆ is the same word. (Iterating Characters, with their
    /// grapheme breaking, and comparing Strings with canonical equivalence was a fifth of ticket
    /// creation's CPU.)
    public static func words(_ text: String) -> [String] {
        var scalars = text.unicodeScalars
        if scalars.contains(where: { $0.value >= 0x300 && $0.properties.canonicalCombiningClass.rawValue != 0 }) {
            scalars = text.precomposedStringWithCanonicalMapping.unicodeScalars
        }
        var result: [String] = []
        var current = String.UnicodeScalarView()
        func flush() {
            if !current.isEmpty {
                result.append(String(current))
                current = String.UnicodeScalarView()
            }
        }
        for scalar in scalars {
            let value = scalar.value
            switch value {
            case 0x30...0x39, 0x61...0x7A: current.append(scalar)
            case 0x41...0x5A: current.append(Unicode.Scalar(value + 0x20)!)
            case 0x0451, 0x0401: current.append("е")                                   // ё, Ё
            case 0x0430...0x044F: current.append(scalar)                                // а…я
            case 0x0410...0x042F: current.append(Unicode.Scalar(value + 0x20)!)         // А…Я
            case 0x0400...0x040F: current.append(Unicode.Scalar(value + 0x50)!)         // Ѐ…Џ
            case 0x0452...0x045F: current.append(scalar)                                // ђ…џ
            case 0...0x7F: flush()
            default:
                let properties = scalar.properties
                if properties.isAlphabetic || properties.numericType != nil {
                    if properties.changesWhenLowercased {
                        for lower in properties.lowercaseMapping.unicodeScalars { current.append(lower == "ё" ? "е" : lower) }
                    } else {
                        current.append(scalar)
                    }
                } else if !current.isEmpty && properties.canonicalCombiningClass.rawValue != 0 {
                    current.append(scalar)  // a mark with no composed form stays in its word
                } else {
                    flush()
                }
            }
        }
        flush()
        return result
    }
}

/// A critical-problem rule (SPEC T4, seed 002): a request is critical when its category is one of
/// the rule's, or its text holds every stem of one of the rule's phrases (a stem matches the start
/// of a word; "не" must be a word of its own).
public struct CriticalRule: Sendable, Equatable, Codable {
    public var key: String
    public var name: String
    /// Values of the intake question "category" that mark the request critical at once.
    public var categories: [String]
    /// Each phrase is a list of word stems, e.g. ["не", "открыва", "смен"].
    public var phrases: [[String]]

    public init(key: String, name: String, categories: [String] = [], phrases: [[String]]) {
        self.key = key
        self.name = name
        self.categories = categories
        self.phrases = phrases
    }

    public func matches(words: [String], category: String?) -> Bool {
        Matcher(self).matches(words: words, category: category)
    }

    /// The rules that match a request's subject and body (and category), in order.
    public static func matching(_ rules: [CriticalRule], subject: String, body: String, category: String? = nil) -> [CriticalRule] {
        let words = RuleText.words(subject + " " + body)
        return rules.map(Matcher.init).filter { $0.matches(words: words, category: category) }.map(\.rule)
    }

    /// A rule with its stems read once (lower case, ё as е, as UTF-8): what a cache keeps, so checking
    /// a ticket compares bytes. A stem of one or two letters must be a whole word; a longer one the
    /// start of a word.
    public struct Matcher: Sendable {
        public let rule: CriticalRule
        private let phrases: [[(bytes: [UInt8], whole: Bool)]]

        public init(_ rule: CriticalRule) {
            self.rule = rule
            phrases = rule.phrases.filter { !$0.isEmpty }.map { phrase in
                phrase.map { stem in
                    let normalized = RuleText.words(stem).joined()
                    return (Array(normalized.utf8), normalized.unicodeScalars.count <= 2)
                }
            }
        }

        public func matches(words: [String], category: String?) -> Bool {
            if let category, rule.categories.contains(category) { return true }
            return phrases.contains { phrase in
                phrase.allSatisfy { stem in
                    stem.whole ? words.contains { $0.utf8.elementsEqual(stem.bytes) } : words.contains { $0.utf8.starts(with: stem.bytes) }
                }
            }
        }
    }

    /// Seed 002's four conditions: cannot work in the database (it hangs, crashes), cannot connect to it
    /// or to the remote desktop, cannot send a report, the cash shift will not open.
    public static let seed002: [CriticalRule] = [
        CriticalRule(key: "database_down", name: "Клиент не может работать в базе", categories: ["database_down"],
                     phrases: [["не", "работ", "баз"], ["баз", "завис"], ["баз", "аварийн"], ["баз", "вылета"], ["баз", "закрыва"],
                               ["1с", "завис"], ["программ", "завис"]]),
        CriticalRule(key: "cannot_connect", name: "Не может подключиться к базе или к удалённому рабочему столу", categories: ["cannot_connect"],
                     phrases: [["не", "подключ", "баз"], ["не", "подключ", "удален"], ["не", "подключ", "rdp"], ["не", "заход", "баз"],
                               ["удален", "рабоч", "стол", "не"], ["не", "войти", "баз"]]),
        CriticalRule(key: "report_not_sent", name: "Не может отправить отчёт", categories: ["report_not_sent"],
                     phrases: [["не", "отправ", "отчет"], ["отчет", "не", "уход"], ["не", "сдать", "отчет"]]),
        CriticalRule(key: "cash_shift", name: "Не открывается кассовая смена", categories: ["cash_shift"],
                     phrases: [["не", "открыва", "смен"], ["не", "открыть", "смен"], ["не", "открыл", "смен"]]),
    ]
}

/// What happened on a call (SPEC C5).
public enum CallOutcome: String, Sendable, Codable, CaseIterable {
    case answered, busy, noAnswer = "no_answer", switchedOff = "switched_off"
}

/// Seed 002's callback rule: busy → call again within 15 minutes; busy again, no answer or the
/// phone switched off → write that to the customer in the ticket.
public struct CallbackRule: Sendable, Equatable, Codable {
    public var retryMinutes: Int
    /// How many busy signals in a row are retried before the customer is written to.
    public var busyRetries: Int
    public var messageRu: String
    public var messageEn: String

    public init(retryMinutes: Int = 15, busyRetries: Int = 1,
                messageRu: String = "Мы звонили вам по заявке, но не смогли дозвониться. Ответьте, пожалуйста, в заявке или сообщите удобное время для звонка (по московскому времени).",
                messageEn: String = "We called you about your request but could not reach you. Please reply here or tell us a good time to call (Moscow time).") {
        self.retryMinutes = retryMinutes
        self.busyRetries = busyRetries
        self.messageRu = messageRu
        self.messageEn = messageEn
    }

    enum CodingKeys: String, CodingKey {
        case retryMinutes = "retry_minutes", busyRetries = "busy_retries", messageRu = "message_ru", messageEn = "message_en"
    }

    public enum Next: Sendable, Equatable {
        /// The call went through: nothing more to do.
        case done
        /// Call again at this time.
        case retry(at: Date)
        /// Write to the customer in the ticket.
        case tellCustomer
    }

    /// What follows a callback with `outcome`, made at `now`, after `busyBefore` busy signals in a row.
    public func next(after outcome: CallOutcome, busyBefore: Int, at now: Date) -> Next {
        switch outcome {
        case .answered: return .done
        case .busy where busyBefore < busyRetries: return .retry(at: now.addingTimeInterval(Double(retryMinutes) * 60))
        case .busy, .noAnswer, .switchedOff: return .tellCustomer
        }
    }

    public static let seed002 = CallbackRule()
}

/// Seed 001's conduct rule (SPEC V8): the prescribed remark, and a ban offered on a repeat.
public enum ConductRule {
    public static let remarkRu = "Давайте вернемся к разговору в деловом и уважительном стиле, в противном случае, я по инструкции должен прекратить наш разговор"
    public static let remarkEn = "Let us return to a businesslike and respectful conversation; otherwise, as instructed, I must end our conversation"

    /// After this many warnings to the same person, the agent is offered a ban.
    public static let warningsBeforeBan = 1

    public static func offersBan(previousWarnings: Int) -> Bool { previousWarnings >= warningsBeforeBan }
}

/// What a dispatcher must notice about the customer's account before working a request (SPEC A3,
/// seed 002: "check that the contract has not ended … that the quota is not exceeded").
public enum AccountCheck: Sendable, Equatable {
    case contractEnded(on: LocalDate)
    case quotaExceeded(quota: Int, usage: Int)

    public var kind: String {
        switch self {
        case .contractEnded: "contract_ended"
        case .quotaExceeded: "quota_exceeded"
        }
    }

    /// The checks that fail on `today` (the contract's last day still counts as in force).
    public static func evaluate(contractEndsOn: LocalDate?, quota: Int?, usage: Int?, today: LocalDate) -> [AccountCheck] {
        var failed: [AccountCheck] = []
        if let ends = contractEndsOn, ends < today { failed.append(.contractEnded(on: ends)) }
        if let quota, let usage, usage > quota { failed.append(.quotaExceeded(quota: quota, usage: usage)) }
        return failed
    }
}
