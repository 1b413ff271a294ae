import Foundation

/// A kind of service failure that, reported by several customers at once, is a mass incident
/// (SPEC P3, seed 002). It is matched exactly like a critical-problem rule — a category answer, or
/// every stem of one phrase in the text — so it is one: the same type, with its own seed.
public typealias FailureKind = CriticalRule

extension CriticalRule {
    /// Seed 002's four: hangs or slowness; unavailable or a very poor response over the internet;
    /// users thrown out of the database; cannot log in to the database. The form's category answers
    /// "cannot work in the database (hangs)" and "cannot connect" are the first and the last; the other
    /// two are known by their words.
    public static let failureKinds002: [FailureKind] = [
        FailureKind(key: "slowness", name: "Зависание или торможение", categories: ["database_down"],
                    phrases: [["завис"], ["торм"], ["медлен", "работ"], ["долго", "загруж"], ["долго", "открыва"]]),
        FailureKind(key: "unavailable", name: "Недоступность или очень плохой отклик по интернету", categories: [],
                    phrases: [["недоступ"], ["не", "доступ"], ["не", "открыва", "сайт"], ["плох", "отклик"], ["нет", "соединен"],
                              ["не", "подключ", "сервер"], ["сервер", "не", "отвеча"]]),
        FailureKind(key: "thrown_out", name: "Выкидывает пользователей из базы", categories: [],
                    phrases: [["выкидыва"], ["выкинул"], ["выбрасыва"], ["выбива", "баз"], ["вылета", "баз"], ["разрыв", "соединен"]]),
        FailureKind(key: "cannot_log_in", name: "Невозможно войти в базу", categories: ["cannot_connect"],
                    phrases: [["не", "мог", "войти"], ["не", "получа", "войти"], ["не", "заход", "баз"], ["не", "пуска", "баз"],
                              ["не", "войти", "баз"], ["не", "вход", "баз"], ["ошибк", "вход"]]),
    ]
}

/// When a burst of matching requests is an outbreak (SPEC P3): `customers` distinct customers
/// (distinct organizations where they have one) within `windowMinutes`.
public struct OutbreakRule: Sendable, Equatable, Codable {
    public var customers: Int
    public var windowMinutes: Int
    /// Nobody acknowledged the alert after this long: managers are alerted again (seed 002: 10 minutes).
    public var reminderMinutes: Int

    public init(customers: Int = 3, windowMinutes: Int = 15, reminderMinutes: Int = 10) {
        self.customers = customers
        self.windowMinutes = windowMinutes
        self.reminderMinutes = reminderMinutes
    }

    /// One matching request: who it is from (an organization counts once however many of its people write).
    public struct Report: Sendable, Equatable {
        public var ticketID: Int
        public var requesterID: Int
        public var organizationID: Int?
        public var at: Date

        public init(ticketID: Int, requesterID: Int, organizationID: Int?, at: Date) {
            self.ticketID = ticketID
            self.requesterID = requesterID
            self.organizationID = organizationID
            self.at = at
        }

        var customer: String { organizationID.map { "o\($0)" } ?? "u\(requesterID)" }
    }

    /// The reports of one failure kind within the window ending at `now`, when they come from enough
    /// distinct customers; nil otherwise. Oldest first.
    public func outbreak(in reports: [Report], now: Date) -> [Report]? {
        let start = now.addingTimeInterval(-Double(windowMinutes) * 60)
        // No upper bound: a date read back from the database may come out a hair after `now`.
        let recent = reports.filter { $0.at >= start }.sorted { ($0.at, $0.ticketID) < ($1.at, $1.ticketID) }
        return Set(recent.map(\.customer)).count >= customers ? recent : nil
    }

    /// How many distinct customers the reports come from.
    public static func customers(in reports: [Report]) -> Int { Set(reports.map(\.customer)).count }

    public func problems() -> [FieldError] {
        var errors: [FieldError] = []
        if !(2...100).contains(customers) { errors.append(FieldError("customers", .invalid, "2…100")) }
        if !(1...1440).contains(windowMinutes) { errors.append(FieldError("window_minutes", .invalid, "1…1440")) }
        if !(1...1440).contains(reminderMinutes) { errors.append(FieldError("reminder_minutes", .invalid, "1…1440")) }
        return errors
    }
}

/// What customers affected by a mass incident are told (seed 002's words), editable per desk.
public enum MassIncidentText {
    public static let ongoingRu = "В данный момент наблюдаются технические проблемы у некоторых пользователей, ошибку уже решают, точное время решения будет известно позже."
    public static let ongoingEn = "Some users are experiencing technical problems at the moment. We are already fixing them; the exact time of the fix will be known later."

    public static func estimate(_ when: String, _ language: Language) -> String {
        language == .ru ? "Технические проблемы будут устранены ориентировочно \(when)." : "The technical problems are expected to be fixed by \(when)."
    }

    public static func fixed(_ language: Language) -> String {
        language == .ru ? "Технические проблемы устранены. Если у вас что-то по-прежнему не работает, ответьте на это письмо."
            : "The technical problems are fixed. If something still does not work for you, reply to this message."
    }
}
