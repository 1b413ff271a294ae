import Foundation
import SQLKit
import Testing
import Vapor
@testable import ZayavkaApp
import ZayavkaCore

@Suite("Load protection (SPEC X2): limits answer 429, sustained abuse blocks for a time, blocks end or are lifted", .serialized)
struct LoadShieldTests {
    /// Polls until `condition` holds (at most 10 s).
    static func eventually(_ condition: () async throws -> Bool) async throws -> Bool {
        for _ in 0..<100 {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    @Test("an account over its limit gets 429 with Retry-After; a minute of it blocks the account, mails its owner and lists the block; the block ends by itself or is lifted",
          arguments: TestDatabase.all)
    func accountLimitAndBlock(database: TestDatabase) async throws {
        let environment = ["ZAYAVKA_LIMIT_ACCOUNT": "0.2/12", "ZAYAVKA_BLOCK_AFTER": "10", "ZAYAVKA_BLOCK_MINUTES": "1",
                           "ZAYAVKA_MAIL_FROM": "Поддержка <support@zayavka.test>"]
        try await TestServer.with(database, environment: environment) { server in
            let customer = try await server.makeUser("loop@client.ru", name: "Интеграция", role: .customer)
            let manager = try await server.makeUser("boss@zayavka.test", role: .manager)
            // The burst, then refusals with the wait and words in the person's language.
            var statuses: [HTTPResponseStatus] = []
            for _ in 0..<12 { statuses.append(try await server.request(.GET, "/api/v1/me", token: customer.token).status) }
            #expect(statuses.allSatisfy { $0 == .ok }, "\(statuses)")
            let refused = try await server.request(.GET, "/api/v1/me", token: customer.token)
            #expect(refused.status == .tooManyRequests)
            let error = try #require(refused["error"] as? [String: Any])
            #expect(error["code"] as? String == "rate_limited" && (error["message"] as? String ?? "").contains("Слишком много запросов"), "\(refused.text)")
            #expect(Int(refused.headers.first(name: .retryAfter) ?? "") ?? 0 >= 1)
            // Other accounts are not touched by one account's excess.
            #expect(try await server.request(.GET, "/api/v1/me", token: manager.token).status == .ok)

            // Keep going: the tenth refusal within the minute blocks the account.
            for _ in 0..<12 { _ = try await server.request(.GET, "/api/v1/me", token: customer.token) }
            #expect(try await Self.eventually {
                try await server.sql.raw("SELECT COUNT(*) AS n FROM load_blocks").first()?.decode(column: "n", as: Int.self) == 1
            })
            let block = try #require(try await server.request(.GET, "/api/v1/load-blocks", token: manager.token).items.first)
            server.expectConforms(block, to: "LoadBlock")
            #expect(block["scope"] as? String == "account" && block["key"] as? String == String(customer.id) && block["account_email"] as? String == "loop@client.ru")
            try await Task.sleep(for: .milliseconds(300))
            let blocked = try await server.request(.GET, "/api/v1/me", token: customer.token)
            #expect(blocked.status == .tooManyRequests && blocked.text.contains("\"blocked\"") && blocked.text.contains("Доступ временно ограничен"), "\(blocked.text)")
            #expect(Int(blocked.headers.first(name: .retryAfter) ?? "") ?? 0 > 30, "the wait runs to the block's end")
            let mails = try await server.sql.raw("SELECT COUNT(*) AS n FROM mail_outbox WHERE kind = 'account_blocked'").first()?.decode(column: "n", as: Int.self)
            #expect(mails == 1, "one mail to the owner")
            // The web too: the portal answers with a page in the person's language and Retry-After.
            let web = WebClient(server)
            let signIn = try await web.signIn("loop@client.ru", "password-loop@client.ru")
            let page = signIn.status == .tooManyRequests ? signIn : try await web.get("/portal")
            #expect(page.status == .tooManyRequests && page.html.contains("Доступ временно ограничен") && page.headers.first(name: .retryAfter) != nil)

            // It ends by itself (its end moved close instead of waiting the minute).
            let blockID = try #require(block["id"] as? Int)
            try await server.sql.raw("UPDATE load_blocks SET until = \(bind: Date().addingTimeInterval(1)) WHERE id = \(bind: blockID)").run()
            server.app.services.shield.invalidate()
            server.app.services.shield.forget(.account, String(customer.id))
            try await Task.sleep(for: .milliseconds(1_300))
            #expect(try await server.request(.GET, "/api/v1/me", token: customer.token).status == .ok, "the block ended by itself")
            #expect(try await server.request(.GET, "/api/v1/load-blocks", token: manager.token).items.isEmpty)
            #expect(try await server.request(.GET, "/api/v1/load-blocks?state=all", token: manager.token).items.first?["state"] as? String == "expired")

            // Again, and lifted by hand from the page.
            try await server.sql.raw("UPDATE load_blocks SET until = \(bind: Date().addingTimeInterval(600)) WHERE id = \(bind: blockID)").run()
            server.app.services.shield.invalidate()
            #expect(try await server.request(.GET, "/api/v1/me", token: customer.token).status == .tooManyRequests)
            let boss = WebClient(server)
            try await boss.signIn("boss@zayavka.test", "password-boss@zayavka.test")
            let bans = try await boss.get("/admin/bans")
            #expect(bans.html.contains("load-block-\(blockID)") && bans.html.contains("loop@client.ru"))
            let lifted = try await boss.post("/admin/load-blocks/\(blockID)/unblock", [("_csrf", bans.csrf ?? "")])
            #expect(lifted.location == "/admin/bans?notice=unblocked")
            #expect(try await server.request(.GET, "/api/v1/me", token: customer.token).status == .ok)
            #expect(try await server.request(.POST, "/api/v1/load-blocks/\(blockID)/unblock", token: customer.token).status == .forbidden)
            #expect(try await server.request(.POST, "/api/v1/load-blocks/99999/unblock", token: manager.token).status == .notFound)
            let audit = try await server.request(.GET, "/api/v1/audit-events", token: server.adminToken).items.compactMap { $0["action"] as? String }
            #expect(audit.contains("load_block_lifted"))
            let metrics = try await server.request(.GET, "/metrics").text
            #expect(metrics.contains("zayavka_load_refusals_total") && metrics.contains("zayavka_load_blocks_total"))
        }
    }

    @Test("client addresses: X-Forwarded-For counts only from a trusted proxy; one address over its limit does not slow another; health checks are never limited")
    func addresses() async throws {
        try await TestServer.with(.sqlite, environment: ["ZAYAVKA_LIMIT_ADDRESS": "0.1/3", "ZAYAVKA_TRUSTED_PROXIES": "127.0.0.0/8, ::1"]) { server in
            func get(_ forwarded: String?) async throws -> HTTPResponseStatus {
                try await server.request(.GET, "/api/v1/openapi.json", headers: forwarded.map { [("X-Forwarded-For", $0)] } ?? []).status
            }
            var first: [HTTPResponseStatus] = []
            for _ in 0..<4 { first.append(try await get("198.51.100.7, 203.0.113.5")) }
            #expect(first == [.ok, .ok, .ok, .tooManyRequests], "\(first)")
            #expect(try await get("203.0.113.6") == .ok, "another client behind the proxy")
            #expect(try await get("203.0.113.6, 203.0.113.5") == .tooManyRequests, "the right-most untrusted entry is the client")
            for _ in 0..<5 { #expect(try await server.request(.GET, "/healthz").status == .ok) }
        }
        try await TestServer.with(.sqlite, environment: ["ZAYAVKA_LIMIT_ADDRESS": "0.1/4"]) { server in
            // No trusted proxy: the header is the client's own words and changes nothing (the
            // harness's own sign-in took the first token of 127.0.0.1's four).
            var statuses: [HTTPResponseStatus] = []
            for k in 0..<4 {
                statuses.append(try await server.request(.GET, "/api/v1/openapi.json", headers: [("X-Forwarded-For", "203.0.113.\(k)")]).status)
            }
            #expect(statuses == [.ok, .ok, .ok, .tooManyRequests], "\(statuses)")
            // A person gets a page in their language.
            let page = try await server.request(.GET, "/kb", headers: [("Accept", "text/html"), ("Accept-Language", "en")])
            #expect(page.status == .tooManyRequests && page.text.contains("Too many requests"))
        }
    }

    @Test("the client address of a request", arguments: [
        ("10.0.0.5", "1.2.3.4", "", "10.0.0.5"),
        ("10.0.0.5", "1.2.3.4", "10.0.0.0/8", "1.2.3.4"),
        ("10.0.0.5", "6.6.6.6, 1.2.3.4, 10.0.0.9", "10.0.0.0/8", "1.2.3.4"),
        ("10.0.0.5", "not-an-address", "10.0.0.0/8", "10.0.0.5"),
        ("::1", "2001:db8::7", "::1", "2001:db8::7"),
        ("::ffff:10.0.0.5", "1.2.3.4", "10.0.0.0/8", "1.2.3.4"),
        ("203.0.113.1", "1.2.3.4", "10.0.0.0/8", "203.0.113.1"),
    ])
    func clientAddress(peer: String, forwarded: String, trusted: String, expected: String) {
        let blocks = trusted.split(separator: ",").compactMap { AddressBlock(String($0)) }
        #expect(ClientAddress.resolve(peer: peer, forwardedFor: forwarded.isEmpty ? [] : [forwarded], trusted: blocks) == expected)
    }

    @Test("address blocks parse and match")
    func blocks() throws {
        #expect(AddressBlock("10.0.0.0/33") == nil && AddressBlock("10.0.0") == nil && AddressBlock("x") == nil && AddressBlock("::/129") == nil)
        let net = try #require(AddressBlock("192.168.1.0/24"))
        let (a, b) = (try #require(AddressBlock.bytes("192.168.1.200")), try #require(AddressBlock.bytes("192.168.2.1")))
        #expect(net.contains(a) && !net.contains(b))
        let odd = try #require(AddressBlock("10.0.0.0/9"))
        let (c, d) = (try #require(AddressBlock.bytes("10.127.0.1")), try #require(AddressBlock.bytes("10.128.0.1")))
        #expect(odd.contains(c) && !odd.contains(d))
        let unique = try #require(AddressBlock("fd00::/8")), all = try #require(AddressBlock("0.0.0.0/0"))
        let inside = try #require(AddressBlock.bytes("fd12::1")), anywhere = try #require(AddressBlock.bytes("8.8.8.8"))
        #expect(unique.contains(inside) && all.contains(anywhere))
        #expect(throws: ConfigurationError.self) { _ = try AppConfiguration.load(environment: ["ZAYAVKA_TRUSTED_PROXIES": "10.0.0.0/40"]) }
        #expect(throws: ConfigurationError.self) { _ = try AppConfiguration.load(environment: ["ZAYAVKA_LIMIT_ACCOUNT": "fast"]) }
        let off = try AppConfiguration.load(environment: ["ZAYAVKA_LIMIT_ACCOUNT": "off"])
        let set = try AppConfiguration.load(environment: ["ZAYAVKA_LIMIT_ADDRESS": "20/40"])
        #expect(off.limitPerAccount == nil && set.limitPerAddress == RateLimit(rate: 20, burst: 40))
    }
}
