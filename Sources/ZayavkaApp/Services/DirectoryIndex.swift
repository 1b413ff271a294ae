import Fluent
import Foundation
import SQLKit
import Vapor
import ZayavkaCore

/// The directory's search keys (`directory_keys`), kept in step with organizations and customers:
/// every write of either calls `refresh` inside its own transaction.
enum DirectoryIndex {
    private struct KeyRow {
        let entry: DirectorySearch.Entry
        let organizationID: Int?
        let userID: Int?
    }

    private static func lines(_ text: String?) -> [String] {
        (text ?? "").split(separator: "\n").map(String.init)
    }

    private static func insert(_ rows: [KeyRow], on sql: any SQLDatabase) async throws {
        for chunk in stride(from: 0, to: rows.count, by: 400).map({ rows[$0..<min($0 + 400, rows.count)] }) {
            let values: [SQLQueryString] = chunk.map {
                "(\(bind: $0.entry.key), \(bind: $0.entry.kind.rawValue), \(bind: $0.organizationID), \(bind: $0.userID))"
            }
            try await sql.raw("INSERT INTO directory_keys (key, kind, organization_id, user_id) VALUES " + values.joined(separator: ", ")).run()
        }
    }

    /// Re-indexes these organizations (removed ones lose their keys).
    static func refresh(organizations ids: [Int], on sql: any SQLDatabase) async throws {
        guard !ids.isEmpty else { return }
        for chunk in stride(from: 0, to: ids.count, by: 500).map({ Array(ids[$0..<min($0 + 500, ids.count)]) }) {
            try await sql.raw("DELETE FROM directory_keys WHERE organization_id IN (\(binds: chunk))").run()
            let rows = try await sql.raw("""
                SELECT id, name, inn, contract_number, logins, phones, email_domains FROM organizations WHERE id IN (\(binds: chunk))
                """).all()
            try await insert(try rows.flatMap(organizationKeys), on: sql)
        }
    }

    /// Re-indexes these users: customers get keys, staff none.
    static func refresh(users ids: [Int], on sql: any SQLDatabase) async throws {
        guard !ids.isEmpty else { return }
        for chunk in stride(from: 0, to: ids.count, by: 500).map({ Array(ids[$0..<min($0 + 500, ids.count)]) }) {
            try await sql.raw("DELETE FROM directory_keys WHERE user_id IN (\(binds: chunk))").run()
            let rows = try await sql.raw("SELECT id, name, email, phone FROM users WHERE role = 'customer' AND id IN (\(binds: chunk))").all()
            try await insert(try rows.flatMap(contactKeys), on: sql)
        }
    }

    private static func organizationKeys(_ row: any SQLRow) throws -> [KeyRow] {
        let id = try row.decode(column: "id", as: Int.self)
        return DirectorySearch.organization(
            name: try row.decode(column: "name", as: String.self), inn: try row.decode(column: "inn", as: String?.self),
            contractNumber: try row.decode(column: "contract_number", as: String?.self),
            logins: lines(try row.decode(column: "logins", as: String?.self)), phones: lines(try row.decode(column: "phones", as: String?.self)),
            emailDomains: lines(try row.decode(column: "email_domains", as: String?.self))
        ).map { KeyRow(entry: $0, organizationID: id, userID: nil) }
    }

    private static func contactKeys(_ row: any SQLRow) throws -> [KeyRow] {
        let id = try row.decode(column: "id", as: Int.self)
        return DirectorySearch.contact(name: try row.decode(column: "name", as: String.self), email: try row.decode(column: "email", as: String.self),
                                       phone: try row.decode(column: "phone", as: String?.self))
            .map { KeyRow(entry: $0, organizationID: nil, userID: id) }
    }

    /// Builds the whole index again (the migration that adds it; `zayavka` never needs it otherwise).
    static func rebuild(on sql: any SQLDatabase) async throws {
        try await sql.raw("DELETE FROM directory_keys").run()
        var after = 0
        while true {
            let orgs = try await sql.raw("""
                SELECT id, name, inn, contract_number, logins, phones, email_domains FROM organizations WHERE id > \(bind: after) ORDER BY id LIMIT 1000
                """).all()
            guard let last = orgs.last else { break }
            try await insert(try orgs.flatMap(organizationKeys), on: sql)
            after = try last.decode(column: "id", as: Int.self)
        }
        after = 0
        while true {
            let users = try await sql.raw("""
                SELECT id, name, email, phone FROM users WHERE role = 'customer' AND id > \(bind: after) ORDER BY id LIMIT 1000
                """).all()
            guard let last = users.last else { break }
            try await insert(try users.flatMap(contactKeys), on: sql)
            after = try last.decode(column: "id", as: Int.self)
        }
    }

    struct Found: Sendable {
        var organizations: [(id: Int, hit: DirectorySearch.Hit)] = []
        var contacts: [(id: Int, hit: DirectorySearch.Hit)] = []
    }

    /// The best hit per organization and per contact, best first, at most `limit` of each.
    static func lookup(_ query: String, limit: Int, on sql: any SQLDatabase) async throws -> Found {
        var organizations: [Int: DirectorySearch.Hit] = [:]
        var contacts: [Int: DirectorySearch.Hit] = [:]
        func keep(_ hit: DirectorySearch.Hit, _ id: Int, in table: inout [Int: DirectorySearch.Hit]) {
            if let old = table[id], !DirectorySearch.Hit.before(hit, old) { return }
            table[id] = hit
        }
        for prefix in DirectorySearch.prefixes(for: query) {
            let rows = try await sql.raw("""
                SELECT key, kind, organization_id, user_id FROM directory_keys
                WHERE key >= \(bind: prefix) AND key < \(bind: DirectorySearch.upperBound(prefix)) ORDER BY key LIMIT \(unsafeRaw: String(limit * 8))
                """).all()
            for row in rows {
                let key = try row.decode(column: "key", as: String.self)
                guard let kind = DirectorySearch.Kind(rawValue: try row.decode(column: "kind", as: String.self)) else { continue }
                let hit = DirectorySearch.Hit(kind: kind, key: key, exact: key == prefix)
                if let id = try row.decode(column: "organization_id", as: Int?.self) { keep(hit, id, in: &organizations) }
                if let id = try row.decode(column: "user_id", as: Int?.self) { keep(hit, id, in: &contacts) }
            }
        }
        func best(_ table: [Int: DirectorySearch.Hit]) -> [(id: Int, hit: DirectorySearch.Hit)] {
            table.map { (id: $0.key, hit: $0.value) }
                .sorted { DirectorySearch.Hit.before($0.hit, $1.hit) || (!DirectorySearch.Hit.before($1.hit, $0.hit) && $0.id < $1.id) }
                .prefix(limit).map { $0 }
        }
        return Found(organizations: best(organizations), contacts: best(contacts))
    }
}
