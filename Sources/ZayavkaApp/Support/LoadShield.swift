import Foundation
import Metrics
import NIOConcurrencyHelpers
import SQLKit
import Vapor
import ZayavkaCore

/// Load protection (issue 19, SPEC X2). Two token buckets guard every request: one per client
/// address (checked first, before anything is read) and one per signed-in account (checked once
/// the token or session is known). A party over its limit gets 429 with Retry-After; a party
/// refused `ZAYAVKA_BLOCK_AFTER` times within a minute is blocked for `ZAYAVKA_BLOCK_MINUTES`: the
/// block is a row in `load_blocks`, listed on /admin/load-blocks with an "unblock" button, and the
/// owner of a blocked account is mailed.
///
/// Across instances: the buckets are counted per instance, in memory (a shared counter would cost a
/// database write per request, which is the very load being guarded against); so N instances behind
/// a balancer let a party have up to N times the rate. Blocks are shared: every instance reads the
/// blocks in force at most every 2 seconds, so a block made by one holds on all.
final class LoadShield: Sendable {
    enum Scope: String, Sendable {
        case address, account
    }

    /// A block in force, by `scope:key`.
    struct Block: Sendable {
        let id: Int
        let until: Date
    }

    private struct State {
        var buckets: [String: TokenBucket] = [:]
        var refusals: [String: AbuseRule.Counter] = [:]
        /// Blocks being written (so one abuser makes one block).
        var blocking: Set<String> = []
    }

    static let limited = (address: Counter(label: "zayavka_load_refusals_total", dimensions: [("scope", "address"), ("reason", "limit")]),
                          account: Counter(label: "zayavka_load_refusals_total", dimensions: [("scope", "account"), ("reason", "limit")]))
    static let blockedRequests = (address: Counter(label: "zayavka_load_refusals_total", dimensions: [("scope", "address"), ("reason", "blocked")]),
                                  account: Counter(label: "zayavka_load_refusals_total", dimensions: [("scope", "account"), ("reason", "blocked")]))
    static let blocksMade = Counter(label: "zayavka_load_blocks_total")

    let perAddress: RateLimit?
    let perAccount: RateLimit?
    let rule: AbuseRule?
    private let state = NIOLockedValueBox(State())
    private let blocks = RefreshingCache<[String: Block]>(ttl: 2)

    init(configuration: AppConfiguration) {
        perAddress = configuration.limitPerAddress
        perAccount = configuration.limitPerAccount
        rule = configuration.blockAfterRefusals > 0
            ? AbuseRule(threshold: configuration.blockAfterRefusals, window: 60, blockSeconds: Double(configuration.blockMinutes) * 60) : nil
    }

    static func key(_ scope: Scope, _ value: String) -> String { scope.rawValue + ":" + value }

    /// The blocks in force, reloaded at most every 2 seconds.
    func blocksInForce(_ sql: any SQLDatabase, now: Date) async throws -> [String: Block] {
        try await blocks.value {
            let rows = try await sql.raw("""
                SELECT id, scope, key, until FROM load_blocks WHERE lifted_at IS NULL AND until > \(bind: now)
                """).all()
            var found: [String: Block] = [:]
            for row in rows {
                let scope = try row.decode(column: "scope", as: String.self), key = try row.decode(column: "key", as: String.self)
                let block = Block(id: try row.decode(column: "id", as: Int.self), until: try row.decode(column: "until", as: Date.self))
                if let other = found[scope + ":" + key], other.until > block.until { continue }
                found[scope + ":" + key] = block
            }
            return found
        }
    }

    func invalidate() { blocks.invalidate() }

    /// The API's 429 for a refusal, its body made once per block (or wait) and language: an abuser's
    /// thousands of refusals a second cost no message formatting or JSON encoding each.
    private let refusalBodies = NIOLockedValueBox<[String: ByteBuffer]>([:])

    func refusal(seconds: Int, blockedUntil: Date?, language: Language) -> Response {
        let key = language.rawValue + "|" + (blockedUntil.map { String($0.timeIntervalSince1970) } ?? "wait " + String(seconds))
        let body = refusalBodies.withLockedValue { bodies -> ByteBuffer in
            if let known = bodies[key] { return known }
            let error = ZayavkaError.overloaded(retryAfterSeconds: seconds, blockedUntil: blockedUntil)
            let detail = ErrorBody(error: .init(code: blockedUntil == nil ? "rate_limited" : "blocked",
                                                message: Localizer(language).message(for: error), fields: nil))
            let buffer = ByteBuffer(data: (try? JSONEncoder().encode(detail)) ?? Data())
            if bodies.count > 1_000 { bodies.removeAll() }
            bodies[key] = buffer
            return buffer
        }
        var headers = HTTPHeaders()
        headers.add(name: .contentType, value: "application/json; charset=utf-8")
        headers.add(name: .retryAfter, value: String(max(1, seconds)))
        return Response(status: .tooManyRequests, headers: headers, body: .init(buffer: body))
    }

    /// Forgets a party's bucket and refusals (after an unblock here).
    func forget(_ scope: Scope, _ value: String) {
        let key = Self.key(scope, value)
        state.withLockedValue { state in
            state.buckets[key] = nil
            state.refusals[key] = nil
        }
    }

    /// Admits one request of a party or throws `.overloaded`; a party that crosses the abuse
    /// threshold is blocked (written in the background; `userID` names the account to mail).
    func check(_ scope: Scope, _ value: String, userID: Int? = nil, request: Request) async throws {
        guard let limit = scope == .address ? perAddress : perAccount else { return }
        let now = Date()
        let key = Self.key(scope, value)
        let blockMap = try await blocksInForce(request.sql, now: now)
        if !blockMap.isEmpty, let block = blockMap[key], block.until > now {
            (scope == .address ? Self.blockedRequests.address : Self.blockedRequests.account).increment()
            throw ZayavkaError.overloaded(retryAfterSeconds: Int(block.until.timeIntervalSince(now).rounded(.up)), blockedUntil: block.until)
        }
        let t = now.timeIntervalSinceReferenceDate
        let rule = self.rule
        let outcome: (retry: Double, block: Bool)? = state.withLockedValue { state in
            var bucket = state.buckets[key] ?? TokenBucket(limit: limit, now: t)
            let retry = bucket.take(limit, now: t)
            state.buckets[key] = bucket
            guard let retry else { return nil }
            var startBlock = false
            if let rule {
                var counter = state.refusals[key] ?? AbuseRule.Counter(now: t)
                if counter.refuse(rule, now: t), !state.blocking.contains(key) {
                    state.blocking.insert(key)
                    startBlock = true
                }
                state.refusals[key] = counter
            }
            // Bounded memory: a flood of made-up addresses cannot grow the tables without end.
            if state.buckets.count > 200_000 { state.buckets = state.buckets.filter { !$0.value.isFull(limit, now: t) } }
            if state.refusals.count > 200_000 { state.refusals = state.refusals.filter { t - $0.value.since <= 60 } }
            return (retry, startBlock)
        }
        guard let outcome else { return }
        (scope == .address ? Self.limited.address : Self.limited.account).increment()
        if outcome.block, let rule {
            let app = request.application
            let until = now.addingTimeInterval(rule.blockSeconds)
            let refusals = rule.threshold
            // Not on this request's time: the abuser's next requests meet the block once it is written.
            Task.detached {
                await LoadBlockService.block(scope: scope, key: value, userID: userID, refusals: refusals, until: until, app: app)
                self.state.withLockedValue { _ = $0.blocking.remove(key) }
            }
        }
        throw ZayavkaError.overloaded(retryAfterSeconds: max(1, Int(outcome.retry.rounded(.up))), blockedUntil: nil)
    }
}

/// The per-address check, first on every request: the client's address (X-Forwarded-For only from
/// a trusted proxy) is resolved once and kept for the rest of the request.
struct LoadShieldMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let services = request.services
        let address = ClientAddress.resolve(peer: request.remoteAddress?.ipAddress, forwardedFor: request.headers[.xForwardedFor],
                                            trusted: services.trustedProxies)
        request.clientAddress = address
        // Health checks and metrics are the operators' own, and static assets cost nothing.
        let path = request.url.path
        if services.shield.perAddress != nil, path != "/healthz", path != "/metrics", !path.hasPrefix("/assets/") {
            do {
                try await services.shield.check(.address, address, request: request)
            } catch ZayavkaError.overloaded(let seconds, let blockedUntil) where path.hasPrefix("/api/") {
                return services.shield.refusal(seconds: seconds, blockedUntil: blockedUntil, language: request.language)
            }
        }
        return try await next.respond(to: request)
    }
}
