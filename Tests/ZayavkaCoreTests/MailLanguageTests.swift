import Foundation
import Testing
import ZayavkaCore

/// Every built-in mail in both languages (issue 20): no English word in Russian text, no Russian
/// in English, no placeholder left unfilled, no raw value.
@Suite("Mail templates in both languages")
struct MailLanguageTests {
    static let values: [String: String] = Dictionary(uniqueKeysWithValues: MailTemplate.placeholders.map { ($0, "") })

    /// Latin words a Russian text may hold: names of standards and products.
    static let latinAllowed: Set<String> = ["SLA", "API", "IMAP", "SMTP", "DKIM", "SPF", "Re", "Zayavka", "ID", "CSV", "URL", "https", "http"]

    static func latinWords(_ text: String) -> [String] {
        text.split(whereSeparator: { !$0.isLetter }).map(String.init)
            .filter { word in word.unicodeScalars.allSatisfy { $0.isASCII } && !latinAllowed.contains(word) }
    }

    static func cyrillicWords(_ text: String) -> [String] {
        text.split(whereSeparator: { !$0.isLetter }).map(String.init)
            .filter { word in word.unicodeScalars.contains { (0x0400...0x04FF).contains($0.value) } }
    }

    @Test("each notification reads as Russian in Russian and as English in English")
    func templates() {
        for kind in NotificationKind.allCases {
            let ru = MailTemplate.standard(kind, .ru).render(Self.values)
            let en = MailTemplate.standard(kind, .en).render(Self.values)
            for (language, text) in [("ru", ru.subject + "\n" + ru.body), ("en", en.subject + "\n" + en.body)] {
                #expect(!text.contains("{{") && !text.contains("}}"), "\(kind) \(language): a placeholder is left")
                #expect(!text.contains("_"), "\(kind) \(language): a raw key")
            }
            #expect(Self.latinWords(ru.subject + " " + ru.body).isEmpty, "\(kind) ru: \(Self.latinWords(ru.subject + " " + ru.body))")
            #expect(Self.cyrillicWords(en.subject + " " + en.body).isEmpty, "\(kind) en: \(Self.cyrillicWords(en.subject + " " + en.body))")
        }
    }

    @Test("customers read statuses spoken to them, by category; staff read the team's names")
    func customerStatusNames() {
        let pending = StatusDefinition.builtIn.first { $0.key == "pending" }!
        #expect(pending.name(.ru, forStaff: true) == "Ожидает ответа клиента")
        #expect(pending.name(.ru, forStaff: false) == "Ждём вашего ответа")
        #expect(pending.name(.en, forStaff: false) == "Waiting for your reply")
        let handOff = StatusDefinition.seed002HandOffs[0]
        #expect(handOff.name(.ru, forStaff: false) == "В работе", "an internal hand-off is not shown to the customer")
        for status in StatusDefinition.builtIn + StatusDefinition.seed002HandOffs {
            #expect(Self.latinWords(status.customerName(.ru)).isEmpty)
            #expect(Self.cyrillicWords(status.customerName(.en)).isEmpty)
        }
    }
}
