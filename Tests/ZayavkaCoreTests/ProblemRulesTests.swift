import Foundation
import Testing
@testable import ZayavkaCore

@Suite("Known problems and mass incidents (SPEC P1–P3)")
struct ProblemTests {
    @Test("problem numbers are written with P- and read back in the spellings people type")
    func numbers() {
        #expect(ProblemNumber.format(101) == "P-101")
        for text in ["P-101", "p-101", "P101", "Р-101", " 101 "] { #expect(ProblemNumber.parse(text) == 101, "\(text)") }
        for text in ["", "P-", "#101", "P-10a", "P--1", "P-99999999999999999999", "-5", "١٠١"] { #expect(ProblemNumber.parse(text) == nil, "\(text)") }
    }

    @Test("a status change is allowed along the workflow and carries what the new status needs")
    func transitions() {
        #expect(ProblemTransition(from: .new, to: .confirmed).problems().isEmpty)
        #expect(ProblemTransition(from: .confirmed, to: .planned, targetVersion: "3.2").problems().isEmpty)
        #expect(ProblemTransition(from: .planned, to: .planned, targetDate: "2027-03-01").problems().isEmpty)
        #expect(ProblemTransition(from: .confirmed, to: .planned).problems().map(\.field) == ["target_version"])
        #expect(ProblemTransition(from: .confirmed, to: .planned, targetDate: "1 марта").problems().map(\.field) == ["target_date"])
        #expect(ProblemTransition(from: .planned, to: .fixed).problems().map(\.field) == ["fixed_version"])
        #expect(ProblemTransition(from: .new, to: .rejected, reason: "  ").problems().map(\.field) == ["reason"])
        // Reopening goes back to confirmed, never straight to planned or new.
        #expect(ProblemTransition(from: .fixed, to: .confirmed).problems().isEmpty)
        #expect(ProblemTransition(from: .fixed, to: .new).problems().map(\.field) == ["status"])
        #expect(ProblemTransition(from: .rejected, to: .fixed, fixedVersion: "1").problems().map(\.field) == ["status"])
        #expect(ProblemTransition(from: .confirmed, to: .new).problems().map(\.field) == ["status"])
        for status in ProblemStatus.allCases { #expect(status.isFinal == (status == .fixed || status == .rejected)) }
    }

    @Test("seed 002's four failure kinds match what customers write, and ordinary requests match none")
    func failureKinds() {
        func keys(_ subject: String, _ body: String = "", category: String? = nil) -> [String] {
            FailureKind.matching(FailureKind.failureKinds002, subject: subject, body: body, category: category).map(\.key)
        }
        #expect(keys("Не могу войти в базу") == ["cannot_log_in"])
        #expect(keys("Всё зависло", "1С висит уже полчаса, всё тормозит") == ["slowness"])
        #expect(keys("Выкидывает из базы каждые 5 минут") == ["thrown_out"])
        #expect(keys("Сервис недоступен") == ["unavailable"])
        #expect(keys("Ошибка", category: "cannot_connect") == ["cannot_log_in"])
        #expect(keys("Ошибка", category: "database_down") == ["slowness"])
        #expect(keys("Как добавить нового сотрудника?", "Подскажите, где в настройках права доступа").isEmpty)
        #expect(keys("Войти в базу получилось, спасибо").isEmpty)
    }

    @Test("an outbreak needs enough distinct customers inside the window; one organization counts once")
    func outbreak() {
        let rule = OutbreakRule(customers: 3, windowMinutes: 15)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        func report(_ ticket: Int, user: Int, org: Int? = nil, minutesAgo: Double) -> OutbreakRule.Report {
            .init(ticketID: ticket, requesterID: user, organizationID: org, at: now.addingTimeInterval(-minutesAgo * 60))
        }
        let three = [report(1, user: 1, minutesAgo: 14), report(2, user: 2, minutesAgo: 5), report(3, user: 3, org: 7, minutesAgo: 0)]
        #expect(rule.outbreak(in: three, now: now)?.map(\.ticketID) == [1, 2, 3])
        // The first is older than the window: two customers are no outbreak.
        var late = three
        late[0] = report(1, user: 1, minutesAgo: 16)
        #expect(rule.outbreak(in: late, now: now) == nil)
        // Three people of one organization are one customer.
        let oneOrg = [report(1, user: 1, org: 9, minutesAgo: 3), report(2, user: 2, org: 9, minutesAgo: 2), report(3, user: 3, org: 9, minutesAgo: 1)]
        #expect(rule.outbreak(in: oneOrg, now: now) == nil)
        // One person writing three times is one customer.
        let onePerson = (1...3).map { report($0, user: 5, minutesAgo: Double($0)) }
        #expect(rule.outbreak(in: onePerson, now: now) == nil)
        #expect(OutbreakRule(customers: 1, windowMinutes: 0).problems().map(\.field) == ["customers", "window_minutes"])
    }
}
