import Crypto
import Fluent
import Foundation
import JWTKit
import SQLKit
import Vapor
import ZayavkaCore

/// The quality settings and the key that signs mail links, read through short caches.
final class QualityCache: Sendable {
    let settings = RefreshingCache<QualitySettings>(ttl: 5)
    let keys = RefreshingCache<JWTKeyCollection>(ttl: 3600)
}

/// The team's quality settings (issue 18): survey timing, resolution report requirements per type,
/// review sample size. Stored as keys in `settings`; what is not stored has its default.
enum QualitySettingsService {
    private struct SettingRow: Decodable {
        let key: String
        let value: String
    }

    static func current(services: AppServices, on sql: any SQLDatabase) async throws -> QualitySettings {
        try await services.quality.settings.value {
            var stored: [String: String] = [:]
            for row in try await sql.raw("SELECT key, value FROM settings").all(decoding: SettingRow.self) { stored[row.key] = row.value }
            return QualitySettings(stored: stored)
        }
    }

    static func get(context: ServiceContext) async throws -> QualitySettings {
        try context.require(.manageQuality)
        return try await current(services: context.services, on: context.sql)
    }

    /// Saves the keys given (all checked first; none saved when one is wrong).
    static func save(_ values: [String: String], context: ServiceContext) async throws -> QualitySettings {
        try context.require(.manageQuality)
        var settings = try await current(services: context.services, on: context.sql)
        try settings.apply(values)
        let stored = settings.stored.filter { values.keys.contains($0.key) }
        let now = context.now
        try await context.write { db in
            let sql = db as! any SQLDatabase
            for (key, value) in stored.sorted(by: { $0.key < $1.key }) {
                try await sql.raw("""
                    INSERT INTO settings (key, value, updated_at) VALUES (\(bind: key), \(bind: value), \(bind: now))
                    ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
                    """).run()
            }
        }
        context.services.quality.settings.invalidate()
        return settings
    }
}

/// What a link in a survey or solved mail stands for: one survey or one resolution report of one
/// ticket, until it expires. Signed with HMAC-SHA256 by a key every instance reads from the
/// database; the random `nonce` must also match the row, so a link cannot be moved to another row.
struct QualityLink: JWTPayload {
    enum Kind: String, Codable { case survey, resolution }

    let kind: Kind
    let id: Int
    let ticket: Int
    let nonce: String
    let expires: ExpirationClaim

    enum CodingKeys: String, CodingKey {
        case kind = "k", id = "i", ticket = "t", nonce = "n", expires = "exp"
    }

    /// Expiry is checked against the moment of the request (`QualityLinks.open`), which tests set.
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

enum QualityLinks {
    /// Why a link is refused; every one gets a page saying so and changes nothing.
    enum Refusal: Error, Equatable {
        /// Not ours, altered, or naming something that is not there.
        case invalid
        case expired
    }

    static func nonce() -> String {
        SymmetricKey(size: .bits128).withUnsafeBytes { Data($0) }.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// The shared signing key, made once by whichever instance needs it first.
    static func keys(services: AppServices, on sql: any SQLDatabase) async throws -> JWTKeyCollection {
        try await services.quality.keys.value {
            let select: SQLQueryString = "SELECT secret FROM signing_keys WHERE name = 'links'"
            var secret = try await sql.raw(select).first()?.decode(column: "secret", as: String.self)
            if secret == nil {
                let made = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.base64EncodedString()
                try await services.gate.run {
                    try await sql.raw("""
                        INSERT INTO signing_keys (name, secret, created_at) VALUES ('links', \(bind: made), \(bind: Date()))
                        ON CONFLICT (name) DO NOTHING
                        """).run()
                }
                secret = try await sql.raw(select).first()?.decode(column: "secret", as: String.self)
            }
            guard let secret, let bytes = Data(base64Encoded: secret) else { throw Abort(.internalServerError, reason: "no signing key") }
            return await JWTKeyCollection().add(hmac: HMACKey(from: bytes), digestAlgorithm: .sha256)
        }
    }

    static func sign(_ link: QualityLink, services: AppServices, on sql: any SQLDatabase) async throws -> String {
        try await keys(services: services, on: sql).sign(link)
    }

    /// The link a token stands for, if it is ours, unaltered and not expired at `now`.
    static func open(_ token: String, now: Date, services: AppServices, on sql: any SQLDatabase) async throws -> QualityLink {
        guard token.count <= 1_000, token.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
            throw Refusal.invalid
        }
        let link: QualityLink
        do {
            link = try await keys(services: services, on: sql).verify(token, as: QualityLink.self)
        } catch {
            throw Refusal.invalid
        }
        guard link.expires.value > now else { throw Refusal.expired }
        return link
    }
}
