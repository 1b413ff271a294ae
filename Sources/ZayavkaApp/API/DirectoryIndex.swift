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

struct DirectoryMatchDTO: Content {
    let kind: String
    let value: String
}

struct OrganizationMatchDTO: Content {
    let organization: OrganizationDTO
    let matched: DirectoryMatchDTO
    let openTickets: Int
    /// Failing account checks: contract_ended, quota_exceeded.
    let checks: [String]

    enum CodingKeys: String, CodingKey { case organization, matched, checks, openTickets = "open_tickets" }
}

struct ContactMatchDTO: Content {
    let id: Int
    let name: String
    let email: String
    let phone: String?
    let organization: PersonRef?
    let matched: DirectoryMatchDTO
    let openTickets: Int

    enum CodingKeys: String, CodingKey { case id, name, email, phone, organization, matched, openTickets = "open_tickets" }
}

struct DirectorySearchDTO: Content {
    let query: String
    let organizations: [OrganizationMatchDTO]
    let contacts: [ContactMatchDTO]
}

/// The one search box (SPEC A2) for people and programs.
enum DirectorySearchService {
    static let defaultLimit = 20

    static func search(_ raw: String, limit: Int = defaultLimit, request: Request) async throws -> DirectorySearchDTO {
        try request.require(.readDirectory)
        let query = String(raw.trimmingCharacters(in: .whitespacesAndNewlines).prefix(200))
        let sql = try request.sql
        let found = try await DirectoryIndex.lookup(query, limit: limit, on: sql)
        let catalog = try await request.services.catalog.snapshot(request.database)
        let active = catalog.statuses.filter { $0.category.isActive }.map(\.key)
        let today = LocalDate(containing: Date(), in: .moscow)

        var organizations: [OrganizationMatchDTO] = []
        if !found.organizations.isEmpty {
            let ids = found.organizations.map(\.id)
            let records = Dictionary(try await OrganizationRecord.query(on: request.database).filter(\.$id ~~ ids).all().map { ($0.id!, $0) },
                                     uniquingKeysWith: { a, _ in a })
            let open = try await counts("organization_id", ids, active, on: sql)
            for (id, hit) in found.organizations {
                guard let record = records[id] else { continue }
                let checks = AccountCheck.evaluate(contractEndsOn: record.contractEndsOn.flatMap { LocalDate($0) }, quota: record.quota,
                                                   usage: record.usage, today: today)
                organizations.append(OrganizationMatchDTO(organization: OrganizationDTO(record), matched: DirectoryMatchDTO(kind: hit.kind.rawValue, value: hit.key),
                                                          openTickets: open[id] ?? 0, checks: checks.map(\.kind)))
            }
        }
        var contacts: [ContactMatchDTO] = []
        if !found.contacts.isEmpty {
            let ids = found.contacts.map(\.id)
            let rows = try await sql.raw("""
                SELECT u.id, u.name, u.email, u.phone, u.organization_id, o.name AS organization_name
                FROM users u LEFT JOIN organizations o ON o.id = u.organization_id WHERE u.id IN (\(binds: ids))
                """).all()
            var byID: [Int: any SQLRow] = [:]
            for row in rows { byID[try row.decode(column: "id", as: Int.self)] = row }
            let open = try await counts("requester_id", ids, active, on: sql)
            for (id, hit) in found.contacts {
                guard let row = byID[id] else { continue }
                let organization = try row.decode(column: "organization_id", as: Int?.self).map {
                    PersonRef(id: $0, name: try row.decode(column: "organization_name", as: String.self))
                }
                contacts.append(ContactMatchDTO(id: id, name: try row.decode(column: "name", as: String.self),
                                                email: try row.decode(column: "email", as: String.self),
                                                phone: try row.decode(column: "phone", as: String?.self), organization: organization,
                                                matched: DirectoryMatchDTO(kind: hit.kind.rawValue, value: hit.key), openTickets: open[id] ?? 0))
            }
        }
        return DirectorySearchDTO(query: query, organizations: organizations, contacts: contacts)
    }

    /// Open tickets per organization or requester.
    private static func counts(_ column: String, _ ids: [Int], _ active: [String], on sql: any SQLDatabase) async throws -> [Int: Int] {
        guard !ids.isEmpty, !active.isEmpty else { return [:] }
        let rows = try await sql.raw("""
            SELECT \(ident: column) AS owner, COUNT(*) AS n FROM tickets
            WHERE \(ident: column) IN (\(binds: ids)) AND status IN (\(binds: active)) GROUP BY \(ident: column)
            """).all()
        var result: [Int: Int] = [:]
        for row in rows { result[try row.decode(column: "owner", as: Int.self)] = try row.decode(column: "n", as: Int.self) }
        return result
    }
}
