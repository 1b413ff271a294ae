import Foundation
import ZayavkaCore

/// The words of the web pages: every string is given in Russian and English at the place it is
/// used, so neither language can be forgotten; dates in the reader's time zone.
struct L: Sendable {
    let language: Language
    let timeZone: TimeZone

    init(_ language: Language, timeZone: TimeZone = WebTime.moscow) {
        self.language = language
        self.timeZone = timeZone
    }

    func callAsFunction(_ ru: String, _ en: String) -> String { language == .ru ? ru : en }

    var localizer: Localizer { Localizer(language) }

    /// "5 заявок" / "5 tickets".
    /// 10 000 (a no-break space between thousands) / 10,000.
    func number(_ n: Int) -> String {
        let digits = String(abs(n))
        var groups: [String] = []
        var end = digits.endIndex
        while end > digits.startIndex {
            let start = digits.index(end, offsetBy: -3, limitedBy: digits.startIndex) ?? digits.startIndex
            groups.insert(String(digits[start..<end]), at: 0)
            end = start
        }
        return (n < 0 ? "-" : "") + groups.joined(separator: language == .ru ? "\u{00A0}" : ",")
    }
    /// 4,5 / 4.5 with `digits` after the separator (Russian writes a comma).
    func decimal(_ value: Double, digits: Int) -> String {
        let text = String(format: "%.\(max(0, min(digits, 6)))f", value.isFinite ? value : 0)
        return language == .ru ? text.replacingOccurrences(of: ".", with: ",") : text
    }
    func minutes(_ n: Int) -> String { localizer.count(n, ru: ("минута", "минуты", "минут"), en: ("minute", "minutes")) }
    func tickets(_ n: Int) -> String { localizer.count(n, ru: ("заявка", "заявки", "заявок"), en: ("ticket", "tickets")) }

    /// "21.11.2026 14:05" / "21 Nov 2026 14:05", in the reader's time zone.
    func dateTime(_ date: Date) -> String {
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        let time = String(format: "%02d:%02d", c.hour!, c.minute!)
        switch language {
        case .ru: return String(format: "%02d.%02d.%04d ", c.day!, c.month!, c.year!) + time
        case .en:
            let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
            return "\(c.day!) \(months[c.month! - 1]) \(c.year!) \(time)"
        }
    }

    /// The value of a `datetime-local` input: "2026-11-21T14:05" in the reader's time zone.
    func localInput(_ date: Date) -> String {
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        return String(format: "%04d-%02d-%02dT%02d:%02d", c.year!, c.month!, c.day!, c.hour!, c.minute!)
    }

    /// Reads a `datetime-local` value back, in the reader's time zone.
    func parseLocalInput(_ raw: String) -> Date? {
        guard raw.utf8.count <= 40 else { return nil }
        let parts = raw.split(whereSeparator: { $0 == "-" || $0 == "T" || $0 == ":" }).compactMap { Int($0) }
        // Each part in its range before Calendar sees it; the result within the dates anything may hold.
        guard parts.count >= 5, (1900...9999).contains(parts[0]), (1...12).contains(parts[1]), (1...31).contains(parts[2]),
              (0...23).contains(parts[3]), (0...59).contains(parts[4]) else { return nil }
        return calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2], hour: parts[3], minute: parts[4]))
            .flatMap { DateWindow.contains($0) ? $0 : nil }
    }

    private var calendar: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar
    }

    /// Machine-readable time for `<time datetime>`.
    func iso(_ date: Date) -> String { date.formatted(.iso8601) }

    /// How long ago, in the largest whole unit: "5 минут", "3 часа", "2 дня" / "5 minutes".
    func age(since date: Date, now: Date) -> String {
        duration(max(0, now.timeIntervalSince(date)))
    }

    func duration(_ seconds: TimeInterval) -> String {
        let minutes = Int(seconds / 60)
        if minutes < 1 { return self("меньше минуты", "less than a minute") }
        if minutes < 60 { return localizer.count(minutes, ru: ("минута", "минуты", "минут"), en: ("minute", "minutes")) }
        let hours = minutes / 60
        if hours < 48 { return localizer.count(hours, ru: ("час", "часа", "часов"), en: ("hour", "hours")) }
        return localizer.count(hours / 24, ru: ("день", "дня", "дней"), en: ("day", "days"))
    }

    /// "через 2 часа" / "in 2 hours", or "просрочено на 5 минут" / "overdue by 5 minutes".
    func due(_ date: Date, now: Date) -> String {
        let delta = date.timeIntervalSince(now)
        return delta >= 0 ? self("через ", "in ") + duration(delta) : self("просрочено на ", "overdue by ") + duration(-delta)
    }

    func fileSize(_ bytes: Int) -> String { Localizer.formatBytes(bytes, language) }
}

/// SLA targets and their state as a person reads them.
enum SLAWords {
    static func metric(_ metric: SLAMetric, _ l: L) -> String {
        switch metric {
        case .firstResponse: l("Первый ответ", "First response")
        case .nextResponse: l("Следующий ответ", "Next response")
        case .resolution: l("Решение", "Resolution")
        case .promise: l("Обещанный срок", "Promised time")
        }
    }

    /// "через 2 часа", "просрочен на 5 минут", "выполнен за 12 минут", "выполнен с опозданием на 3 минуты".
    static func state(_ clock: SLAClockDTO, now: Date, _ l: L) -> String {
        switch clock.state {
        case .running, .warning:
            let due = clock.dueAt.map { l.due($0, now: now) } ?? ""
            return clock.state == .warning ? l("скоро срок · ", "due soon · ") + due : due
        case .breached:
            return l("нарушен", "breached") + (clock.dueAt.map { " · " + l("просрочен на ", "overdue by ") + l.duration(now.timeIntervalSince($0)) } ?? "")
        case .paused: return l("на паузе: ждём клиента", "paused: waiting for the customer")
        case .achieved: return l("выполнен за ", "met in ") + l.minutes(max(0, clock.elapsedMinutes))
        case .missed:
            if let due = clock.dueAt, let stopped = clock.stoppedAt {
                return l("выполнен с опозданием на ", "met late by ") + l.duration(stopped.timeIntervalSince(due))
            }
            return l("выполнен с опозданием", "met late")
        }
    }
}
