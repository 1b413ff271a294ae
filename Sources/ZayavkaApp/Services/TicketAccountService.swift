import Fluent
import Foundation
import SQLKit
import Vapor
import ZayavkaCore

/// Seed 002: "find the client by contract number or login … check that it is correct; check the
/// contract and the quota". A ticket filed by mail or on the portal by somebody not yet placed in
/// an organization still names one in its "contract or login" answer: that answer is looked up
/// in the directory (exact contract or login keys), its account checks are shown, and a
/// dispatcher can place the customer in it with one action.
enum TicketAccountService {
    /// The organizations whose contract or login is exactly what the answer says, for the most
    /// specific reading of it that matches anything (the whole answer before its single words).
    static func resolve(_ answer: String, on sql: any SQLDatabase) async throws -> AccountReferenceDTO? {
        let trimmed = answer.trimmingCharacters(in: .whitespacesAndNewlines)
        let keys = DirectorySearch.referenceKeys(trimmed)
        guard !keys.isEmpty else { return nil }
        let rows = try await sql.raw("""
            SELECT DISTINCT k.key, o.id, o.name FROM directory_keys k JOIN organizations o ON o.id = k.organization_id
            WHERE k.key IN (\(binds: keys)) AND k.kind IN (\(binds: [DirectorySearch.Kind.contract.rawValue, DirectorySearch.Kind.login.rawValue]))
            ORDER BY o.name, o.id LIMIT 50
            """).all()
        // DISTINCT leaves one row per key and organization (a contract that is also a login counts once).
        var byKey: [String: [PersonRef]] = [:]
        for row in rows {
            byKey[try row.decode(column: "key", as: String.self), default: []]
                .append(PersonRef(id: try row.decode(column: "id", as: Int.self), name: try row.decode(column: "name", as: String.self)))
        }
        let found = keys.lazy.compactMap { byKey[$0] }.first ?? []
        let state = found.isEmpty ? "not_found" : (found.count == 1 ? "found" : "ambiguous")
        return AccountReferenceDTO(value: trimmed, state: state, organizations: Array(found.prefix(5)))
    }

    /// The account of ticket `number` as the API gives it (staff).
    static func account(number: Int, context: ServiceContext) async throws -> TicketAccountDTO {
        try context.require(.readAllTickets)
        let row = try await TicketQueries.load(number: number, viewer: try context.viewer, on: context.sql)
        return try await account(of: row, language: context.language, context: context)
    }

    static func account(of ticket: TicketQueries.Row, language: Language, context: ServiceContext) async throws -> TicketAccountDTO {
        let sql = context.sql
        var reference: AccountReferenceDTO?
        if let answer = ticket.facts.fields[AccountReference.fieldKey] { reference = try await resolve(answer, on: sql) }
        let named = reference?.state == "found" ? reference?.organizations.first : nil
        if let organization = ticket.facts.organization {
            let mismatch = reference.map { $0.state != "not_found" && !$0.organizations.contains { $0.id == organization.id } } ?? false
            return TicketAccountDTO(organization: organization, source: "ticket", reference: reference, referenceMismatch: mismatch,
                                    checks: try await AccountCheckService.checks(of: organization, language: language, context: context),
                                    canPlace: false)
        }
        guard let named else {
            return TicketAccountDTO(organization: nil, source: "none", reference: reference, referenceMismatch: false, checks: [], canPlace: false)
        }
        let requesterOrganization = try await sql.raw("SELECT organization_id FROM users WHERE id = \(bind: ticket.requesterID)")
            .first()?.decode(column: "organization_id", as: Int?.self)
        let viewer = try context.viewer
        return TicketAccountDTO(organization: named, source: "reference", reference: reference, referenceMismatch: false,
                                checks: try await AccountCheckService.checks(of: named, language: language, context: context),
                                canPlace: viewer.role.can(.manageOrganizations) && (requesterOrganization == nil || requesterOrganization == named.id))
    }

    /// Places the requester (if not yet in an organization) and their tickets without one in the
    /// organization the ticket's "contract or login" answer names; records it on the ticket and
    /// recomputes its SLA due times (the plan may choose another policy).
    static func place(number: Int, context: ServiceContext) async throws -> TicketAccountDTO {
        try context.require(.manageOrganizations)
        let viewer = try context.viewer
        let sql = context.sql
        let row = try await TicketQueries.load(number: number, viewer: viewer, on: sql)
        let current = try await account(of: row, language: context.language, context: context)
        guard current.canPlace, let organization = current.organization else {
            throw ZayavkaError.validation([FieldError("fields." + AccountReference.fieldKey, current.source == "ticket" ? .notAllowed : .unknownValue)])
        }
        let catalog = try await context.services.catalog.snapshot(context.database)
        let slaSetup = try await context.services.sla.setup(sql)
        let requesterID = row.requesterID
        try await context.write { db in
            let sql = db as! any SQLDatabase
            guard let ticket = try await TicketRecord.find(row.id, on: db) else {
                throw ZayavkaError.notFound(entity: "ticket", id: String(number))
            }
            try await sql.raw("UPDATE users SET organization_id = \(bind: organization.id) WHERE id = \(bind: requesterID) AND organization_id IS NULL").run()
            try await sql.raw("""
                UPDATE tickets SET organization_id = \(bind: organization.id) WHERE requester_id = \(bind: requesterID) AND organization_id IS NULL
                """).run()
            ticket.organizationID = organization.id
            let now = context.now
            var events = [NewEvent(ticketID: row.id, actorID: viewer.userID, kind: .fieldChanged, field: "organization_id",
                                   before: nil, after: organization.name, isPublic: false, at: now, reason: AccountReference.fieldKey)]
            if !slaSetup.policies.isEmpty {
                events += try await SLAClocks.replan(
                    ticketID: row.id, subject: try await TicketService.slaSubject(of: ticket, fields: row.facts.fields, on: sql),
                    createdAt: ticket.createdAt, firstResponseAt: ticket.firstResponseAt,
                    waitingSince: catalog.workflow.definition(ticket.status)?.category == .pending ? now : nil,
                    reason: "organization_id", actorID: viewer.userID, at: now, setup: slaSetup, on: sql)
            }
            try await History.record(events, on: sql)
        }
        try await DirectoryIndex.refresh(users: [requesterID], on: sql)
        context.services.tokens.forgetAll()
        let placed = try await TicketQueries.load(number: number, viewer: viewer, on: sql)
        return try await account(of: placed, language: context.language, context: context)
    }
}
