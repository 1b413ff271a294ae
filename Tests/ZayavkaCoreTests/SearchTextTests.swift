import Testing
@testable import ZayavkaCore

/// The morphology of search (issue 17): forms of one word share a stem, different words do not.
@Suite struct SearchTextTests {
    /// Each row: forms that must all reduce to the same stem.
    static let sameStem: [(String, [String])] = [
        // A masculine noun in every case and number.
        ("принтер", ["принтер", "принтера", "принтеру", "принтером", "принтере", "принтеры", "принтеров", "принтерам", "принтерами", "принтерах"]),
        // A feminine noun.
        ("смена", ["смена", "смены", "смене", "смену", "сменой", "смен", "сменам", "сменами", "сменах"]),
        // A neuter noun.
        ("окно", ["окно", "окна", "окну", "окном", "окне", "окнам", "окнами", "окнах"]),
        // ё is е: «отчётов» and «отчет».
        ("отчет", ["отчет", "отчёт", "отчёта", "отчетов", "отчётов", "отчетам", "отчёты", "ОТЧЁТ"]),
        // An adjective in every gender, case and number.
        ("кассовый", ["кассовый", "кассовая", "кассовое", "кассовые", "кассового", "кассовой", "кассовому", "кассовую", "кассовым",
                      "кассовом", "кассовых", "кассовыми"]),
        ("новый", ["новый", "новая", "новое", "новые", "нового", "новой", "новому", "новую", "новым", "новых"]),
        // A verb in every person and number, present and past.
        ("работать", ["работает", "работают", "работаю", "работаешь", "работаем", "работаете", "работал", "работала", "работали", "работало"]),
        ("печатать", ["печатает", "печатают", "печатаю", "печатал", "печатала", "печатали", "печатать"]),
        // English.
        ("printer", ["printer", "printers", "Printer's"]),
        ("connect", ["connect", "connected", "connecting", "connection", "connects"]),
    ]

    @Test(arguments: sameStem)
    func formsShareAStem(_ row: (String, [String])) {
        let stems = Set(row.1.flatMap { SearchText.terms($0) }.filter { $0 != "s" })
        #expect(stems.count == 1, "\(row.0): \(stems.sorted())")
    }

    @Test func differentWordsDiffer() {
        let words = ["принтер", "сканер", "смена", "касса", "отчет", "ошибка", "работа", "сервер", "кабель"]
        let stems = words.map { SearchText.terms($0)[0] }
        #expect(Set(stems).count == words.count)
    }

    @Test func phrasesMatchAcrossForms() {
        #expect(SearchText.terms("кассовой смены") == SearchText.terms("Кассовая смена"))
        #expect(SearchText.terms("не работают принтеры") == SearchText.terms("НЕ РАБОТАЕТ принтер"))
    }

    @Test func wordsFoldCaseYoAndStress() {
        #expect(SearchText.words("Ёлка ЁЖ, е́ль: ABC-12 x_y") == ["елка", "еж", "ель", "abc", "12", "x", "y"])
        #expect(SearchText.words("") == [])
        #expect(SearchText.words("🙂 — … \"*\" (OR)") == ["or"])
    }

    @Test func digitsAndMixedWordsAreKept() {
        #expect(SearchText.terms("ошибка 0x80070005 в 1С") == [SearchText.stem("ошибка"), "0x80070005", "в", "1с"])
        #expect(SearchText.indexed("КЕ-1234") == "ке 1234")
    }

    @Test func longWordsAreCut() {
        let word = String(repeating: "а", count: 500)
        #expect(SearchText.words(word)[0].count == SearchText.maxWordLength)
    }

    @Test func queriesDropSmallWordsAndRepeats() {
        let query = SearchText.Query("Не работает принтер, принтеры не печатают")
        #expect(query.terms == SearchText.terms("работает принтер печатают"))
        #expect(SearchText.Query("что это").terms.count == 2)
        #expect(SearchText.Query("").isEmpty)
        #expect(SearchText.Query("\"*\" - OR ( )").terms == ["or"])
    }

    @Test func longQueriesAreCappedNotRefused() {
        let many = SearchText.Query((1...50).map { "слово\($0)" }.joined(separator: " "))
        #expect(many.terms.count == SearchText.maxQueryTerms)
        // 12,000 characters: only the beginning is read.
        let long = SearchText.Query(String(repeating: "принтер сканер кабель монитор ", count: 400) + "последнее")
        #expect(long.terms == SearchText.terms("принтер сканер кабель монитор"))
    }

    @Test func prefixOnlyForAnUnfinishedWord() {
        #expect(SearchText.Query("кассов", prefix: true).lastIsPrefix)
        #expect(!SearchText.Query("кассовая ", prefix: true).lastIsPrefix)
        #expect(!SearchText.Query("к", prefix: true).lastIsPrefix)
        #expect(!SearchText.Query("кассовая").lastIsPrefix)
    }

    @Test func snippetMarksInflectedForms() {
        let query = SearchText.Query("принтер")
        let segments = SearchText.snippet("У нас два принтера, и оба Принтеры не печатают.", query: query)
        #expect(segments.filter(\.isMatch).map(\.text) == ["принтера", "Принтеры"])
        #expect(segments.map(\.text).joined() == "У нас два принтера, и оба Принтеры не печатают.")
    }

    @Test func snippetCentresOnTheFirstMatch() {
        let text = String(repeating: "вступление без нужного слова. ", count: 40) + "Здесь сломался сканер этажа." + String(repeating: " хвост", count: 60)
        let segments = SearchText.snippet(text, query: SearchText.Query("сканеры"), length: 120)
        let joined = segments.map(\.text).joined()
        #expect(joined.hasPrefix("…"))
        #expect(joined.hasSuffix("…"))
        #expect(joined.count <= 122)
        #expect(segments.filter(\.isMatch).map(\.text) == ["сканер"])
    }

    @Test func snippetFoldsCaseYoAndStressInEveryScript() {
        // Capitals, ё, a stress mark, Latin, a digit word, a one-letter term, and a Greek word (the long way).
        let text = "ЁЛКИ и Ёлка; печа́тает; PRINTERS; 1С; Ω-метр ωμέγα; я"
        let marked = { (query: String) in SearchText.snippet(text, query: SearchText.Query(query)).filter(\.isMatch).map(\.text) }
        #expect(marked("елки") == ["ЁЛКИ", "Ёлка"])
        #expect(marked("печатает") == ["печа́тает"])
        #expect(marked("printer") == ["PRINTERS"])
        #expect(marked("1с") == ["1С"])
        #expect(marked("ΩΜΈΓΑ") == ["ωμέγα"])
        #expect(marked("ω") == ["Ω"])
    }

    @Test func snippetWithoutMatchIsTheBeginning() {
        let segments = SearchText.snippet("Короткий текст", query: SearchText.Query("сервер"))
        #expect(segments == [SearchText.Segment("Короткий текст", isMatch: false)])
    }
}
