import Foundation
import Testing
@testable import ZayavkaApp
import ZayavkaCore

/// Every page an agent, an admin and a customer opens, in both languages (issue 20): no English
/// word in Russian text, no Russian word in English text (people's data aside), no raw value.
@Suite("Every page in both languages", .serialized)
struct LanguageTests {
    /// Latin words Russian pages may hold: names of standards, products, keys and the language switch.
    static let latinAllowed: Set<String> = [
        "SLA", "API", "IMAP", "SMTP", "LMTP", "DKIM", "SPF", "CSV", "JSON", "URL", "ID", "HTML", "TLS", "PEM", "UTF", "HMAC", "SHA",
        "English", "Zayavka", "Ctrl", "Enter", "Esc", "j", "k", "x", "r", "P", "https", "http", "OpenAPI", "Markdown", "WebP", "PNG", "JPEG",
        "GIF", "PDF", "Prometheus", "HS", "JWT", "Bearer", "script", "src", "data", "token", "async", "XLSX", "INN", "webhook", "ok",
        // Names the admin pages must give as they are: encodings, CSV columns, IMAP terms, header and file-format words.
        "windows", "Email", "Microsoft", "STARTTLS", "Archive", "INBOX", "Signature", "webhooks", "holiday", "workday", "short",
    ]

    /// The visible text of a page: text nodes and the words a screen reader or a hover shows
    /// (placeholders, labels, titles); scripts, styles and code examples left out.
    static func visibleText(_ html: String) -> String {
        var text = html
        for pattern in [#"<script[\s\S]*?</script>"#, #"<style[\s\S]*?</style>"#, #"<code[\s\S]*?</code>"#, #"<pre[\s\S]*?</pre>"#] {
            text = text.replacingOccurrences(of: pattern, with: " ", options: .regularExpression)
        }
        var shown: [String] = []
        for attribute in ["placeholder", "aria-label", "title"] {
            let pattern = attribute + #"="([^"]*)""#
            var rest = text[...]
            while let range = rest.range(of: pattern, options: .regularExpression) {
                shown.append(String(rest[range].dropFirst(attribute.count + 2).dropLast()))
                rest = rest[range.upperBound...]
            }
        }
        // A search hit's highlight is inside a word: it goes without a space.
        text = text.replacingOccurrences(of: #"</?mark>"#, with: "", options: .regularExpression)
            .replacingOccurrences(of: #"<[^>]*>"#, with: " ", options: .regularExpression)
        return ([text] + shown).joined(separator: " ")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&#39;", with: "'").replacingOccurrences(of: "&amp;", with: "&")
    }

    /// Words of a text that are not data: addresses, links, numbers and `data` strings removed.
    static func words(_ text: String, without data: [String]) -> [String] {
        var text = text
        for item in data.sorted(by: { $0.count > $1.count }) where !item.isEmpty { text = text.replacingOccurrences(of: item, with: " ") }
        text = text.replacingOccurrences(of: #"\S+@\S+"#, with: " ", options: .regularExpression)
            .replacingOccurrences(of: #"https?://\S+"#, with: " ", options: .regularExpression)
            .replacingOccurrences(of: #"/[a-z0-9_/\-.?=&]+"#, with: " ", options: .regularExpression)
            .replacingOccurrences(of: #"\b[A-Za-z0-9-]+(\.[a-z0-9-]+)+\b"#, with: " ", options: .regularExpression)
            .replacingOccurrences(of: #"\bZAYAVKA_[A-Z_]+\b"#, with: " ", options: .regularExpression)
        // One letter is a key hint (j, k, x) or a piece of a code (0x1F), not a word.
        return text.split(whereSeparator: { !$0.isLetter && $0 != "_" }).map(String.init).filter { $0.count > 1 }
    }

    static func isLatin(_ word: String) -> Bool { word.unicodeScalars.allSatisfy { $0.isASCII } }
    static func isCyrillic(_ word: String) -> Bool { word.unicodeScalars.contains { (0x0400...0x04FF).contains($0.value) } }

    @Test("Russian pages hold no English, English pages no Russian, neither a raw value", arguments: TestDatabase.all)
    func pages(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let customer = try await server.makeUser("client@romashka.test", name: "Пётр Клиентов", role: .customer)
            _ = try await server.makeUser("agent@desk.test", name: "Анна Специалистова", role: .agent)
            let customerToken = try await server.token(email: "client@romashka.test", password: "password-client@romashka.test")
            let number = try #require(try await server.makeTicket(token: customerToken, subject: "Не печатается чек")["number"] as? Int)
            _ = try await server.request(.PATCH, "/api/v1/tickets/\(number)", token: server.adminToken,
                                         json: ["type": "problem", "priority": "high", "responsibility": "ours_software", "status": "pending"])
            _ = try await server.request(.POST, "/api/v1/tickets/\(number)/comments", token: server.adminToken, json: ["body": "Пришлите журнал."])
            _ = customer
            // People's and the team's data may be in either language; the interface may not.
            let staffData = try await dataStrings(server)
            let staffPages: [SitePath] = [
                .queue("unassigned"), .queue("mine"), .queue("waiting"), .agentTicket(number), .agentNew, .agentSearch, .settings, .workload,
                .directory, .call, .callbacks, .problems, .incidents, .agentKB, .agentChats, .reviews, .reports,
                .adminUsers, .adminGroups, .adminOrganizations, .adminFields, .adminMail, .adminMailTemplates, .adminMailboxes, .adminWorkingTime,
                .adminRouting, .adminCanned, .adminBans, .adminKB, .adminBot, .adminQuality, .adminFeedback, .adminWebhooks, .tokens,
            ]
            let customerPages: [SitePath] = [.portal, .portalNew, .portalRequest(number), .kb, .help, .feedback, .portalChat]
            var problems: [String] = []
            for (email, pages) in [(TestServer.adminEmail, staffPages), ("client@romashka.test", customerPages)] {
                for language in ["ru", "en"] {
                    let web = WebClient(server)
                    web.acceptLanguage = language
                    let password = email == TestServer.adminEmail ? TestServer.adminPassword : "password-" + email
                    _ = try await web.signIn(email, password)
                    if language == "en" {
                        // A person's own language wins over the browser's: switch it as a person does.
                        let home = try await web.get(email == TestServer.adminEmail ? SitePath.settings.path : SitePath.portal.path)
                        let csrf = try #require(home.csrf)
                        _ = try await web.post(SitePath.language.path, [("_csrf", csrf), ("lang", "en"), ("back", "/")])
                    }
                    for page in pages {
                        var path = page.path
                        if page == .agentSearch { path += "?q=чек" }
                        let reply = try await web.get(path)
                        guard reply.status == .ok else { problems.append("\(path) (\(language)): \(reply.status.code)"); continue }
                        let words = Self.words(Self.visibleText(reply.html), without: staffData)
                        let wrong = language == "ru"
                            ? words.filter { Self.isLatin($0) && !Self.latinAllowed.contains($0) }
                            : words.filter { Self.isCyrillic($0) && $0 != "Русский" }
                        let raw = words.filter { $0.contains("_") }
                        if !wrong.isEmpty || !raw.isEmpty {
                            problems.append("\(path) (\(language)): " + Array(Set(wrong + raw)).sorted().prefix(20).joined(separator: ", "))
                        }
                    }
                }
            }
            #expect(problems.isEmpty, Comment(rawValue: "\n" + problems.joined(separator: "\n")))
        }
    }

    /// The desk's own data that pages show as written: names of people, groups, organizations,
    /// routes, canned responses, statuses, questions, tickets.
    func dataStrings(_ server: TestServer) async throws -> [String] {
        var strings: [String] = []
        let sql = server.sql
        for (table, columns) in [("users", ["name"]), ("support_groups", ["name"]), ("organizations", ["name"]), ("tickets", ["subject"]),
                                 ("canned_responses", ["title", "body"]), ("hand_off_routes", ["key", "name", "message_ru", "message_en", "agent_hint"]),
                                 ("critical_rules", ["key", "name", "categories", "phrases"]),
                                 ("failure_kinds", ["key", "name", "categories", "phrases", "text_ru", "text_en"]),
                                 ("comments", ["body"]), ("intake_fields", ["key", "label_ru", "label_en", "options"]), ("statuses", ["key", "name_ru", "name_en"]),
                                 ("bot_nodes", ["label_ru", "label_en", "message_ru", "message_en"]), ("business_calendars", ["name"]),
                                 ("sla_policies", ["name"]), ("kb_categories", ["name"]), ("quality_criteria", ["key", "name_ru", "name_en"]),
                                 ("outbreak_settings", ["text_ru", "text_en"]), ("callback_rule", ["message_ru", "message_en"])] {
            for column in columns {
                guard let rows = try? await sql.raw("SELECT \(unsafeRaw: column) AS v FROM \(unsafeRaw: table)").all() else { continue }
                for row in rows {
                    if let value = try? row.decode(column: "v", as: String?.self) {
                        strings += value.components(separatedBy: CharacterSet(charactersIn: "\n|,"))
                            .map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " \"[]")) }
                    }
                }
            }
        }
        // The mail texts' page shows the built-in texts in both languages, and their placeholders.
        for kind in NotificationKind.allCases {
            for language in [Language.ru, .en] {
                let template = MailTemplate.standard(kind, language)
                strings += (template.subject + "\n" + template.body).components(separatedBy: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            }
        }
        strings += MailTemplate.placeholders
        // The CSV import's column names, given as the file must have them.
        strings += ["contract_number", "contract_ends_on", "email_domains", "organization_inn"]
        return strings.filter { $0.count >= 2 }
    }
}
