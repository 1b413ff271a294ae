import Foundation
import Testing
@testable import ZayavkaCore

@Suite("Directory, routing, phone and conduct rules (issue 6)")
struct DirectoryTests {
    @Test("INN: 10 and 12 digits with their check digits", arguments: [
        ("7707083893", true),     // Sberbank
        ("7736207543", true),     // Yandex
        ("500100732259", true),   // a person's INN (12 digits, both check digits)
        (" 7707083893 ", true),
        ("7707083894", false),    // last digit wrong
        ("500100732258", false),  // 12th digit wrong
        ("500100732249", false),  // 11th digit wrong
        ("770708389", false), ("77070838930", false), ("77070838ab", false), ("", false), ("７７０７０８３８９３", false),
    ])
    func inn(text: String, valid: Bool) {
        #expect(INN.isValid(text) == valid, "\(text)")
    }

    @Test("phones in any common spelling become one number", arguments: [
        "+7 (913) 919-90-99", "89139199099", "8 913 919 90 99", "79139199099", "9139199099", "+7-913-919-90-99", "8(913)9199099",
    ])
    func phone(text: String) {
        #expect(PhoneNumber.normalize(text) == "+79139199099")
    }

    @Test("phones that are not phones are refused")
    func notPhones() {
        #expect(PhoneNumber.normalize("звоните вечером") == nil)
        #expect(PhoneNumber.normalize("12345") == nil)
    }

    @Test("seed 002's routes: the consultation line is for paying customers only; the exact words are kept")
    func routes() {
        let routes = Dictionary(uniqueKeysWithValues: HandOffRoute.seed002.map { ($0.key, $0) })
        #expect(routes.count == 4)
        let line = routes["consultation_line"]!
        #expect(line.allows(plan: .paid) && !line.allows(plan: .free) && !line.allows(plan: nil))
        #expect(routes["development"]!.allows(plan: .free))
        #expect(routes["development"]!.messageRu == "Передали заявку программистам, они свяжутся с вами в ближайший рабочий день")
        #expect(routes["development"]!.status == "transfer_development" && line.status == "transfer_consultation")
        #expect(routes["manager"]!.messageRu == "Передали заявку вашему менеджеру, он свяжется с вами в ближайший рабочий день")
        #expect(routes["second_line"]!.messageRu.hasSuffix("свяжутся с вами завтра/в понедельник"))
        #expect(StatusDefinition.seed002HandOffs.map(\.key).contains(routes["manager"]!.status!))
    }

    @Test("critical problems: seed 002's four conditions, by words in any form or by the category chosen", arguments: [
        ("Не открывается кассовая смена", "Касса пишет ошибку", "cash_shift"),
        ("Касса", "Смена не открывается с утра, ошибка ФН", "cash_shift"),
        ("1С", "База зависла, аварийно закрывается при проведении", "database_down"),
        ("Не могу работать", "Не можем работать в базе бухгалтерии", "database_down"),
        ("RDP", "Не подключается к удалённому рабочему столу", "cannot_connect"),
        ("Отчётность", "Не отправляется отчёт в налоговую", "report_not_sent"),
    ])
    func critical(subject: String, body: String, rule: String) {
        #expect(CriticalRule.matching(CriticalRule.seed002, subject: subject, body: body).map(\.key).contains(rule), "\(subject) / \(body)")
    }

    /// What `RuleText.words` did before it read scalars: Characters of the lower-cased, composed text.
    static func referenceWords(_ text: String) -> [String] {
        var result: [String] = [], current = ""
        for character in text.precomposedStringWithCanonicalMapping.lowercased() {
            if character.isLetter || character.isNumber { current.append(character == "ё" ? "е" : character) }
            else if !current.isEmpty { result.append(current); current = "" }
        }
        if !current.isEmpty { result.append(current) }
        return result
    }

    @Test("rule words: the fast scalar reading gives the same words as reading Characters, for Russian, other scripts, marks and symbols",
          arguments: [
              "Не открывается кассовая смена! ОШИБКА ФН №235.", "ЁЛКА ёжик Ёж, щётка — «Щёлково»", "1С:Бухгалтерия 8.3 зависла (код 0x1F)",
              "Не могу войти в базу, пишет «доступ запрещён»", "Ѐ Ѓ Ђ Џ ђ ї Її Ґґ Ўў", "Crème brûlée, naïve CAFÉ, Straße, İstanbul",
              "Ελληνικά ΚΕΦΑΛΑΙΑ σοφός", "日本語のテキスト と 한국어 텍스트", "emoji 🙂👍🏽 and ZWJ 👨‍👩‍👧 stay out", "tab\tnew\nline\r\n",
              "", "   ", "Ааа_Ббб-Ввв.Ггг/Ддд", "x²³ ½ Ⅻ ٣", "\u{0418}\u{0306}од и\u{0306}ога", "е\u{0308}лка Е\u{0308}ж",
          ])
    func ruleWords(text: String) {
        #expect(RuleText.words(text) == Self.referenceWords(text))
    }

    @Test("a decomposed й or ё in a request matches a rule's stem written composed, and back")
    func decomposedText() {
        let rule = CriticalRule(key: "k", name: "n", phrases: [["ёлк", "йод"]])
        #expect(rule.matches(words: RuleText.words("Е\u{0308}лка и и\u{0306}од"), category: nil))
        let decomposedRule = CriticalRule(key: "k", name: "n", phrases: [["е\u{0308}лк", "и\u{0306}од"]])
        #expect(decomposedRule.matches(words: RuleText.words("ёлка и йод"), category: nil))
        #expect(!decomposedRule.matches(words: RuleText.words("ёлка и иод"), category: nil))
        // A stem of two letters is a whole word; a longer one the start of a word.
        let short = CriticalRule(key: "s", name: "s", phrases: [["не", "касс"]])
        #expect(short.matches(words: RuleText.words("Касса не работает"), category: nil))
        #expect(!short.matches(words: RuleText.words("Касса нестабильна"), category: nil))
        #expect(!short.matches(words: RuleText.words("Не работает кас"), category: nil))
    }

    @Test("ordinary requests are not critical; a category makes one critical without words")
    func notCritical() {
        #expect(CriticalRule.matching(CriticalRule.seed002, subject: "Вопрос по тарифу", body: "Сколько стоит продление на год?").isEmpty)
        #expect(CriticalRule.matching(CriticalRule.seed002, subject: "Смена пароля", body: "Как сменить пароль?").isEmpty)
        #expect(CriticalRule.matching(CriticalRule.seed002, subject: "Отчёт", body: "Отчёт отправлен, спасибо").isEmpty)
        #expect(CriticalRule.matching(CriticalRule.seed002, subject: "Касса", body: "Касса не закрывает смену").isEmpty)
        #expect(CriticalRule.matching(CriticalRule.seed002, subject: "Помогите", body: "", category: "cash_shift").map(\.key) == ["cash_shift"])
    }

    @Test("seed 002's callback rule: busy → again in 15 minutes; busy again, no answer or switched off → tell the customer")
    func callbacks() {
        let rule = CallbackRule.seed002
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(rule.next(after: .busy, busyBefore: 0, at: now) == .retry(at: now.addingTimeInterval(900)))
        #expect(rule.next(after: .busy, busyBefore: 1, at: now) == .tellCustomer)
        #expect(rule.next(after: .noAnswer, busyBefore: 0, at: now) == .tellCustomer)
        #expect(rule.next(after: .switchedOff, busyBefore: 0, at: now) == .tellCustomer)
        #expect(rule.next(after: .answered, busyBefore: 1, at: now) == .done)
        let patient = CallbackRule(retryMinutes: 10, busyRetries: 2)
        #expect(patient.next(after: .busy, busyBefore: 1, at: now) == .retry(at: now.addingTimeInterval(600)))
    }

    @Test("account checks: an ended contract (the last day still counts) and a quota exceeded")
    func accountChecks() {
        let today = LocalDate(year: 2026, month: 11, day: 22)
        #expect(AccountCheck.evaluate(contractEndsOn: LocalDate(year: 2026, month: 11, day: 21), quota: 10, usage: 12, today: today)
                == [.contractEnded(on: LocalDate(year: 2026, month: 11, day: 21)), .quotaExceeded(quota: 10, usage: 12)])
        #expect(AccountCheck.evaluate(contractEndsOn: today, quota: 10, usage: 10, today: today).isEmpty)
        #expect(AccountCheck.evaluate(contractEndsOn: nil, quota: nil, usage: 5, today: today).isEmpty)
    }

    @Test("the local day of an instant follows the zone")
    func localDay() {
        let instant = Date(timeIntervalSince1970: 1_773_437_400)  // 2026-03-13 21:30 UTC = 2026-03-14 00:30 in Moscow
        #expect(LocalDate(containing: instant, in: .moscow) == LocalDate(year: 2026, month: 3, day: 14))
        #expect(LocalDate(containing: instant, in: TimeZone(identifier: "UTC")!) == LocalDate(year: 2026, month: 3, day: 13))
    }

    @Test("seed 001's remark, and a ban offered on the second warning")
    func conduct() {
        #expect(ConductRule.remarkRu.hasPrefix("Давайте вернемся к разговору в деловом и уважительном стиле"))
        #expect(!ConductRule.offersBan(previousWarnings: 0))
        #expect(ConductRule.offersBan(previousWarnings: 1))
    }
}
