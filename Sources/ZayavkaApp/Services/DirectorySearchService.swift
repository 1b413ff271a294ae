import Fluent
import Foundation
import SQLKit
import Vapor
import ZayavkaCore

/// The one search box (SPEC A2) for people and programs.
enum DirectorySearchService {
    static let defaultLimit = 20

    static func search(_ raw: String, limit: Int = defaultLimit, context: ServiceContext) async throws -> DirectorySearchDTO {
        try context.require(.readDirectory)
        let query = String(raw.trimmingCharacters(in: .whitespacesAndNewlines).prefix(200))
        let sql = context.sql
        let found = try await DirectoryIndex.lookup(query, limit: limit, on: sql)
        let catalog = try await context.services.catalog.snapshot(context.database)
        let active = catalog.statuses.filter { $0.category.isActive }.map(\.key)
        let today = LocalDate(containing: context.now, in: .moscow)

        var organizations: [OrganizationMatchDTO] = []
        if !found.organizations.isEmpty {
            let ids = found.organizations.map(\.id)
            let records = Dictionary(try await OrganizationRecord.query(on: context.database).filter(\.$id ~~ ids).all().map { ($0.id!, $0) },
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
