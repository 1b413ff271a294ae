import Foundation
import Testing
import Vapor
@testable import ZayavkaApp
import ZayavkaCore

/// A small seeded generator (SplitMix64), so a failing run can be replayed with ZAYAVKA_FUZZ_SEED.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random and extreme values of the kinds that once stopped the server: overflowing numbers,
/// non-finite floats, NUL and CR/LF, stacked combining marks, huge strings, forged cursors.
enum HostileValues {
    static let strings: [String] = [
        "", " ", "0", "-1", "1", "9223372036854775807", "-9223372036854775808", "9223372036854775808", "99999999999999999999999",
        "1e308", "-1e308", "1e300", "NaN", "Infinity", "-0", "0x1F", "1.5", "abc", "true", "null", "none", "new", "all",
        "до\u{0}после", "\u{0}", "a\r\nBcc: x@evil.example", "\t", "../../etc/passwd", "'; DROP TABLE tickets; --", "<script>alert(1)</script>",
        "a" + String(repeating: "\u{0301}", count: 2000), String(repeating: "я", count: 5000), "😀👨‍👩‍👧‍👦", "\u{202E}evil", "%00", "%",
        "2026-02-30T25:61:00Z", "400000-01-01T00:00:00Z", "0000-01-01", "9999-12-31T23:59", "2026-12-02T10:00", "//evil.example",
        "/%09/evil.example", "admin@test.local", "a@b.ru\r\nRCPT TO:<x@evil.example>", "+7 913 919-90-99", "7707083893",
        cursor(#"{"v":1e300,"n":1}"#), cursor(#"{"v":-9223372036854775808,"n":9223372036854775807}"#), cursor(#"{"v":"NaN"}"#),
    ]

    static func cursor(_ json: String) -> String {
        Data(json.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func string(_ rng: inout SeededGenerator) -> String {
        if Int.random(in: 0..<4, using: &rng) == 0 {
            let scalars = (0..<Int.random(in: 0..<40, using: &rng)).compactMap { _ in Unicode.Scalar(UInt32.random(in: 0...0x2FFF, using: &rng)) }
            return String(String.UnicodeScalarView(scalars))
        }
        return strings.randomElement(using: &rng)!
    }

    /// A JSON value of a random kind, extreme more often than not.
    static func json(_ rng: inout SeededGenerator) -> Any {
        switch Int.random(in: 0..<9, using: &rng) {
        case 0: return [Int64.max, Int64.min, 0, -1, 1, 1_000_000_000_001].randomElement(using: &rng)!
        case 1: return [1e308, -1e308, 1e300, 0.5, -0.0].randomElement(using: &rng)!
        case 2: return Bool.random(using: &rng)
        case 3: return NSNull()
        case 4: return [string(&rng), string(&rng)]
        case 5: return [string(&rng): string(&rng)]
        default: return string(&rng)
        }
    }

    static func percentEncoded(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
    }
}

/// Names of the fields the web forms and the API read (a form or body with none of them tests little).
private let fieldNames = [
    "subject", "body", "minutes", "number", "ticket_number", "callback_at", "outcome", "note", "status", "priority", "type", "urgency",
    "assignee_id", "group_id", "due_at", "email", "name", "role", "phone", "organization_id", "password", "current_password", "calendar",
    "is_active", "inn", "contract_number", "quota", "usage", "plan", "logins", "phones", "email_domains", "addresses", "notes", "title",
    "position", "key", "label_ru", "label_en", "options", "kind", "required", "customer_visible", "active", "q", "category", "direction",
    "back", "next", "language", "time_zone", "days", "id", "public", "answer", "promised_at", "refusal_reason", "route", "message_ru",
    "message_en", "retry_minutes", "busy_retries", "user_id", "not_before", "week", "from", "to", "limit", "cursor", "sort", "order",
    "bulk_assignee", "bulk_status", "tickets", "field.category", "hours", "zone", "target", "warn_at_percent", "phrases", "paid_only",
]

@Suite("Every route survives random and extreme input", .serialized)
struct RouteFuzzTests {
    @Test("random and extreme values at every path parameter, query parameter, JSON body field and form field of every route: never a 5xx, never down",
          arguments: TestDatabase.all)
    func everyRoute(database: TestDatabase) async throws {
        let seed = ProcessInfo.processInfo.environment["ZAYAVKA_FUZZ_SEED"].flatMap(UInt64.init) ?? UInt64(Date().timeIntervalSince1970)
        let rounds = ProcessInfo.processInfo.environment["ZAYAVKA_FUZZ_ROUNDS"].flatMap(Int.init) ?? 3
        // scripts/fuzz-routes runs the same generator for minutes: passes over every route until the time is up.
        let seconds = ProcessInfo.processInfo.environment["ZAYAVKA_FUZZ_SECONDS"].flatMap(Double.init) ?? 0
        let deadline = Date().addingTimeInterval(seconds)
        print("route fuzz: seed \(seed), \(rounds) rounds a route, \(Int(seconds)) s (ZAYAVKA_FUZZ_SEED, ZAYAVKA_FUZZ_ROUNDS, ZAYAVKA_FUZZ_SECONDS)")
        var rng = SeededGenerator(state: seed)
        try await TestServer.with(database) { server in
            let customer = try await server.makeUser("c@client.ru", role: .customer)
            let agent = try await server.makeUser("agent@zayavka.test", role: .agent)
            let number = try #require(try await server.makeTicket(token: customer.token)["number"] as? Int)
            let tokens: [String?] = [server.adminToken, agent.token, customer.token, nil]
            let admin = WebClient(server)
            try await admin.signIn(TestServer.adminEmail, TestServer.adminPassword)
            let portal = WebClient(server)
            try await portal.signIn("c@client.ru", "password-c@client.ru")
            let csrfAdmin = try await admin.get("/agent").csrf ?? ""
            let csrfPortal = try await portal.get("/portal").csrf ?? ""

            // Sign-out and the language switch last: they change the sessions the other requests use.
            // The live pages' event stream is left out: it answers for minutes by design (AgentDayTests and
            // the browser test read it).
            let routes = server.app.routes.all.sorted { a, b in
                let late = { (r: Route) in r.path.map(\.description).joined(separator: "/").contains("sign-out") }
                return !late(a) && late(b)
            }.filter { $0.path.map(\.description).joined(separator: "/") != SitePath.agentLive.path.dropFirst() }
            var failures: [String] = []
            var sent = 0
            var passes = 0
            repeat {
            passes += 1
            for route in routes {
                let endpoint = API.endpoints.first { $0.method == route.method && $0.routeComponents.map(\.description) == route.path.map(\.description) }
                for _ in 0..<rounds {
                    var path = ""
                    for component in route.path {
                        switch component {
                        case .constant(let value): path += "/" + value
                        case .parameter:
                            let choice = Int.random(in: 0..<3, using: &rng)
                            path += "/" + (choice == 0 ? String(number) : HostileValues.percentEncoded(HostileValues.string(&rng)))
                        case .anything, .catchall: path += "/" + HostileValues.percentEncoded(HostileValues.string(&rng))
                        }
                    }
                    var names = (endpoint?.query.map(\.name) ?? []) + [fieldNames.randomElement(using: &rng)!, fieldNames.randomElement(using: &rng)!]
                    names.shuffle(using: &rng)
                    let query = names.prefix(4).map { "\(HostileValues.percentEncoded($0))=\(HostileValues.percentEncoded(HostileValues.string(&rng)))" }
                    let target = path.isEmpty ? "/" : path
                    let url = target + "?" + query.joined(separator: "&")
                    let reply: TestServer.Reply
                    if target.hasPrefix("/api/") {
                        let token = tokens.randomElement(using: &rng)!
                        var json: Any?
                        var body: Data?
                        var headers: [(String, String)] = [("Accept-Language", Bool.random(using: &rng) ? "ru" : "en")]
                        if route.method != .GET, route.method != .DELETE {
                            var object: [String: Any] = [:]
                            var properties: [String] = []
                            if case .json(let schema) = endpoint?.body, case .object(let fields, _)? = OpenAPIDocument.schemas[schema] { properties = fields.map(\.0) }
                            for name in (properties + [fieldNames.randomElement(using: &rng)!]).shuffled(using: &rng).prefix(6) {
                                object[name] = HostileValues.json(&rng)
                            }
                            switch Int.random(in: 0..<6, using: &rng) {
                            case 0: body = Data(HostileValues.string(&rng).utf8); headers.append(("Content-Type", ["text/plain", "application/json", "multipart/form-data; boundary=", "text/csv"].randomElement(using: &rng)!))
                            case 1: body = Data(); headers.append(("Content-Type", "application/json"))
                            default: json = object
                            }
                        }
                        reply = try await server.request(route.method, url, token: token, json: json, body: body, headers: headers)
                    } else if route.method == .GET {
                        reply = try await server.request(.GET, url, headers: [("Accept", "text/html")])
                        let page = try await (Bool.random(using: &rng) ? admin : portal).get(url)
                        if page.status.code >= 500 { failures.append("GET \(url) (signed in) → \(page.status)") }
                    } else {
                        let web = Bool.random(using: &rng) ? admin : portal
                        var fields: [(String, String)] = [("_csrf", web === admin ? csrfAdmin : csrfPortal)]
                        for name in fieldNames.shuffled(using: &rng).prefix(Int.random(in: 1...12, using: &rng)) {
                            fields.append((name, HostileValues.string(&rng)))
                        }
                        let page = try await web.post(url, fields)
                        reply = TestServer.Reply(status: page.status, headers: page.headers, body: Data(page.html.utf8))
                    }
                    sent += 1
                    if reply.status.code >= 500 { failures.append("\(route.method) \(url) → \(reply.status): \(reply.text.prefix(200))") }
                }
                if sent % 50 < rounds {
                    let health = try await server.request(.GET, "/healthz")
                    #expect(health.status == .ok, "down after \(route.method) \(route.path)")
                }
            }
            } while Date() < deadline && failures.isEmpty
            let report = failures.prefix(20).joined(separator: "\n")
            #expect(failures.isEmpty, "seed \(seed): \(failures.count) server errors:\n\(report)")
            #expect(sent >= routes.count * rounds)
            let health = try await server.request(.GET, "/healthz")
            #expect(health.status == .ok)
            print("route fuzz: \(sent) requests over \(routes.count) routes in \(passes) passes, \(failures.count) server errors")
        }
    }
}
