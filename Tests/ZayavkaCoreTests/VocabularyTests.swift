import Testing
@testable import ZayavkaCore

@Suite("Vocabulary, intake and language")
struct VocabularyTests {
    @Test("urgency is 1…4 with seed 000's definitions")
    func urgency() {
        #expect(Urgency(0) == nil && Urgency(5) == nil)
        #expect(Urgency(1)!.definition(.ru).contains("совсем не можете обслужить"))
        #expect(Urgency(4)!.definition(.en).contains("change how the system works"))
        #expect(Urgency.all.count == 4)
    }

    @Test("priority ranks round-trip and order")
    func priority() {
        for p in TicketPriority.allCases { #expect(TicketPriority(rank: p.rank) == p) }
        #expect(TicketPriority.low < .urgent)
        #expect(TicketPriority(rank: 9) == nil)
    }

    @Test("Russian phone numbers normalise", arguments: [
        ("+7 (913) 919-90-99", "+79139199099"), ("89139199099", "+79139199099"),
        ("913 919 90 99", "+79139199099"), ("+7 804 333-16-02", "+78043331602"),
    ])
    func phones(input: String, expected: String) { #expect(PhoneNumber.normalize(input) == expected) }

    @Test("nonsense is not a phone number", arguments: ["12345", "звоните утром", "+7 913 abc"])
    func notPhones(input: String) { #expect(PhoneNumber.normalize(input) == nil) }

    @Test("intake field kinds check their values")
    func intakeKinds() {
        let url = IntakeFieldDefinition(key: "site", kind: .url, labelRu: "", labelEn: "")
        #expect(url.check("e-office24.ru") == nil)
        #expect(url.check("not a site") != nil)
        let number = IntakeFieldDefinition(key: "n", kind: .number, labelRu: "", labelEn: "")
        #expect(number.check("5,2") == nil)
        #expect(number.check("пять") != nil)
        let long = IntakeFieldDefinition(key: "t", kind: .text, labelRu: "", labelEn: "")
        #expect(long.check(String(repeating: "я", count: 2_001))?.0 == .tooLong)
    }

    @Test("the seeds' questions ship as the default form")
    func seedForm() {
        let keys = IntakeFieldDefinition.seedDefaults.map(\.key)
        for key in ["product_version", "recurrence", "error_report", "suspected_cause", "contract_or_login", "phone",
                    "call_time", "database_name", "position", "city", "site_address", "steps", "expected_result"] {
            #expect(keys.contains(key))
        }
    }

    @Test("Accept-Language picks the best supported language", arguments: [
        ("ru-RU,ru;q=0.9,en;q=0.8", Language.ru), ("en-US,en;q=0.9", .en), ("de-DE,en;q=0.5,ru;q=0.7", .ru),
    ])
    func negotiate(header: String, expected: Language) { #expect(Language.negotiate(acceptLanguage: header) == expected) }

    @Test("unsupported languages fall through to the default")
    func negotiateNone() {
        #expect(Language.negotiate(acceptLanguage: "de-DE,fr;q=0.5") == nil)
        #expect(Language.negotiate(acceptLanguage: nil) == nil)
    }

    @Test("Russian plural forms", arguments: [(1, "заявка"), (2, "заявки"), (5, "заявок"), (11, "заявок"), (21, "заявка"), (24, "заявки"), (111, "заявок"), (0, "заявок")])
    func plurals(n: Int, word: String) {
        #expect(Localizer.russianPlural(n, ("заявка", "заявки", "заявок")) == word)
    }

    @Test("errors read as sentences in both languages")
    func messages() {
        let error = ZayavkaError.illegalTransition(from: "closed", to: "open")
        #expect(Localizer(.ru).message(for: error).contains("Нельзя перевести"))
        #expect(Localizer(.en).message(for: error).contains("cannot move"))
        let validation = ZayavkaError.validation([FieldError("subject", .required)])
        #expect(Localizer(.ru).message(for: validation) == "Проверьте данные: subject: обязательное поле.")
        #expect(Localizer(.en).count(1, ru: ("заявка", "заявки", "заявок"), en: ("ticket", "tickets")) == "1 ticket")
    }
}
