import Foundation
import Testing
@testable import ZayavkaCore

@Suite("Directory search keys, CSV, assignment (issue 6)")
struct DirectorySearchTests {
    /// Does a query find an entry the way the database will: some prefix `p` with p <= key < upperBound(p)?
    func finds(_ query: String, _ entries: [DirectorySearch.Entry]) -> DirectorySearch.Kind? {
        let prefixes = DirectorySearch.prefixes(for: query)
        return entries.first { entry in
            prefixes.contains { p in
                let inRange = entry.key.unicodeScalars.lexicographicallyPrecedes(DirectorySearch.upperBound(p).unicodeScalars)
                    && !entry.key.unicodeScalars.lexicographicallyPrecedes(p.unicodeScalars)
                #expect(inRange == entry.key.hasPrefix(p), "range and prefix disagree for \(p) / \(entry.key)")
                return inRange
            }
        }?.kind
    }

    let romashka = DirectorySearch.organization(name: "ООО «Ромашка-Софт»", inn: "7707083893", contractNumber: "ЕО-12/345",
                                                logins: ["romashka_1c"], phones: ["+7 (913) 919-90-99"], emailDomains: ["romashka.ru"])

    @Test("an organization is found by contract, login, INN, name, phone in any spelling, and domain", arguments: [
        ("7707083893", DirectorySearch.Kind.inn), ("770708", .inn),
        ("ЕО-12/345", .contract), ("ео12345", .contract), ("ЕО 12 345", .contract),
        ("romashka_1c", .login), ("ROMASHKA_1C", .login),
        ("Ромашка", .name), ("ромашка-софт", .name), ("ооо ромашка", .name), ("ООО «Ромашка", .name),
        ("+7 (913) 919-90-99", .phone), ("89139199099", .phone), ("8 913 919 90 99", .phone), ("9139199099", .phone),
        ("+7913919", .phone), ("8913919", .phone), ("913-919", .phone),
        ("romashka.ru", .domain),
    ])
    func organization(query: String, kind: DirectorySearch.Kind) {
        #expect(finds(query, romashka) == kind, "\(query)")
    }

    @Test("a customer's 'contract or login' answer gives the keys it may name, the whole answer first", arguments: [
        ("Д-77", ["д77"]),
        ("Договор № ЕО-000123", ["ео000123"]),
        ("договор ЕО 000123", ["ео000123", "ео", "000123"]),
        ("ЕО-12/345", ["ео12345", "ео12", "345"]),
        ("логин: romashka_1c", ["romashka1c"]),
        ("Д-77 или granit", ["д77granit", "д77", "granit"]),
        ("№", []),
        ("  ", []),
    ])
    func referenceKeys(answer: String, keys: [String]) {
        #expect(DirectorySearch.referenceKeys(answer) == keys, "\(answer)")
        // Every key is one the index stores for a contract or a login written that way.
        let stored = DirectorySearch.organization(name: "X", inn: nil, contractNumber: "ЕО-12/345", logins: ["romashka_1c"], phones: [], emailDomains: [])
        if answer == "ЕО-12/345" { #expect(stored.contains(DirectorySearch.Entry(.contract, keys[0]))) }
        if answer.hasPrefix("логин") { #expect(stored.contains(DirectorySearch.Entry(.login, keys[0]))) }
    }

    @Test("addresses keep their commas: one per line (LF or a browser's CRLF) or separated by semicolons")
    func addressLines() {
        #expect(CSVColumns.lines("г. Москва, ул. Ленина, д. 1\r\nг. Тверь, пр. Мира, 5") == ["г. Москва, ул. Ленина, д. 1", "г. Тверь, пр. Мира, 5"])
        #expect(CSVColumns.lines("Тверь, 1; Тула, 2\n\n") == ["Тверь, 1", "Тула, 2"])
        #expect(CSVColumns.lines(" ; \r\n ").isEmpty)
    }

    @Test("queries that must not match")
    func misses() {
        #expect(finds("Лютик", romashka) == nil)
        #expect(finds("7707083894", romashka) == nil)
        #expect(finds("+7 (913) 919-90-98", romashka) == nil)
        #expect(DirectorySearch.prefixes(for: "р").isEmpty, "one letter is not looked up")
        #expect(DirectorySearch.prefixes(for: "  ").isEmpty)
    }

    @Test("a contact is found by email, name with ё, and phone")
    func contact() {
        let entries = DirectorySearch.contact(name: "Пётр Сергеевич Ёлкин", email: "Petr.Elkin@Romashka.ru", phone: "8 (343) 222-16-02")
        #expect(finds("petr.elkin@romashka.ru", entries) == .email)
        #expect(finds("petr.el", entries) == .email)
        #expect(finds("Елкин", entries) == .name)
        #expect(finds("ёлкин", entries) == .name)
        #expect(finds("петр сергеевич", entries) == .name)
        #expect(finds("+7 343 222 16 02", entries) == .phone)
        #expect(entries.contains(.init(.phone, "73432221602")))
    }

    @Test("upper bounds are the next string after every extension")
    func upperBound() {
        #expect(DirectorySearch.upperBound("ab") == "ac")
        #expect(DirectorySearch.upperBound("рог") == "род")
        #expect(DirectorySearch.upperBound("я") == "ѐ")
        #expect(DirectorySearch.upperBound("a\u{D7FF}") == "a\u{E000}")
    }

    @Test("hits are ordered: exact first, then the stronger identifier")
    func ordering() {
        let hits: [DirectorySearch.Hit] = [.init(kind: .name, key: "ромашка", exact: false), .init(kind: .inn, key: "7707083893", exact: false),
                                           .init(kind: .name, key: "ром", exact: true)]
        #expect(hits.sorted(by: DirectorySearch.Hit.before).map(\.key) == ["ром", "7707083893", "ромашка"])
    }

    @Test("CSV: semicolons, quotes, line breaks in a field, blank lines, CRLF")
    func csvParse() throws {
        let text = "Название;ИНН;Заметки\r\n\"ООО \"\"Ромашка\"\"\";7707083893;\"две\r\nстроки; с точкой с запятой\"\r\n\r\nИП Лютик;500100732259;\n"
        let rows = try CSV.parse(text)
        #expect(rows.count == 3)
        #expect(rows[1].fields == ["ООО \"Ромашка\"", "7707083893", "две\nстроки; с точкой с запятой"])
        #expect(rows[1].line == 2)
        #expect(rows[2].line == 5)
        #expect(rows[2].fields == ["ИП Лютик", "500100732259", ""])
        #expect(CSV.delimiter(of: "name,inn\nx,1") == ",")
        #expect(CSV.delimiter(of: "name\tinn\tplan\n") == "\t")
        #expect(throws: CSV.Problem.unterminatedQuote(line: 2)) { try CSV.parse("a;b\n\"open;1\n") }
        #expect(throws: CSV.Problem.empty) { try CSV.parse("\n\n") }
    }

    @Test("CSV: what is written reads back the same, formulas are defused, Cyrillic survives windows-1251")
    func csvRoundTrip() throws {
        let rows = [["ООО \"Ромашка\"", "a;b", "line\nbreak"], ["=HYPERLINK(\"x\")", "-5", "+7 913"]]
        let text = CSV.write(header: ["name", "x", "y"], rows: rows)
        #expect(text.hasPrefix("\u{FEFF}"))
        let back = try CSV.parse(CSV.text(of: Data(text.utf8)))
        #expect(back.map(\.fields) == [["name", "x", "y"], rows[0], ["'=HYPERLINK(\"x\")", "-5", "'+7 913"]])
        let cp1251 = "Название;ИНН\nООО Ёлка;7707083893\n".data(using: .windowsCP1251)!
        #expect(try CSV.parse(CSV.text(of: cp1251))[1].fields == ["ООО Ёлка", "7707083893"])
    }

    @Test("CSV columns are known by key or Russian heading; dates in both spellings")
    func csvColumns() {
        let (positions, unknown) = CSVColumns.organizations.map(header: ["Название", "inn", " Номер договора ", "Цвет"])
        #expect(positions == ["name": 0, "inn": 1, "contract_number": 2])
        #expect(unknown == ["Цвет"])
        #expect(CSVColumns.isoDate("2026-12-31") == "2026-12-31")
        #expect(CSVColumns.isoDate("31.12.2026") == "2026-12-31")
        #expect(CSVColumns.isoDate("1.2.2026") == "2026-02-01")
        #expect(CSVColumns.isoDate("31.02.2026") == nil)
        #expect(CSVColumns.isoDate("завтра") == nil)
        #expect(CSVColumns.list("a, b;c\nd") == ["a", "b", "c", "d"])
    }

    @Test("round robin goes in turn; least loaded takes the fewest open tickets; nobody on shift, nobody chosen")
    func assignment() {
        #expect(AssignmentChooser.choose(.roundRobin, onShift: [5, 2, 9], lastAssigned: nil, openTickets: [:]) == 2)
        #expect(AssignmentChooser.choose(.roundRobin, onShift: [5, 2, 9], lastAssigned: 2, openTickets: [:]) == 5)
        #expect(AssignmentChooser.choose(.roundRobin, onShift: [5, 2, 9], lastAssigned: 9, openTickets: [:]) == 2)
        #expect(AssignmentChooser.choose(.roundRobin, onShift: [5, 2, 9], lastAssigned: 7, openTickets: [:]) == 9, "the last one left the shift")
        #expect(AssignmentChooser.choose(.leastLoaded, onShift: [5, 2, 9], lastAssigned: nil, openTickets: [2: 4, 5: 1, 9: 1]) == 5)
        #expect(AssignmentChooser.choose(.leastLoaded, onShift: [5, 2, 9], lastAssigned: 5, openTickets: [2: 4, 5: 1, 9: 1]) == 9)
        #expect(AssignmentChooser.choose(.leastLoaded, onShift: [5, 2, 9], lastAssigned: nil, openTickets: [2: 0, 5: 1]) == 2)
        #expect(AssignmentChooser.choose(.manual, onShift: [5], lastAssigned: nil, openTickets: [:]) == nil)
        #expect(AssignmentChooser.choose(.roundRobin, onShift: [], lastAssigned: 1, openTickets: [:]) == nil)
    }

    @Test("a choice's options carry their labels; values are what is checked")
    func optionLabels() {
        let field = IntakeFieldDefinition.category
        #expect(field.optionValues.prefix(4) == ["database_down", "cannot_connect", "report_not_sent", "cash_shift"])
        #expect(field.optionLabel("cash_shift", .ru) == "Не открывается кассовая смена")
        #expect(field.optionLabel("cash_shift", .en) == "The cash shift will not open")
        #expect(field.check("cash_shift") == nil)
        #expect(field.check("cash_shift|Не открывается кассовая смена|The cash shift will not open") != nil)
        #expect(IntakeFieldDefinition(key: "x", kind: .choice, labelRu: "", labelEn: "", options: ["once"]).optionLabel("once", .ru) == "once")
        // Every critical rule of seed 002 has a category the form offers.
        for rule in CriticalRule.seed002 { #expect(rule.categories.allSatisfy(field.optionValues.contains)) }
    }
}
