import Fluent
import Foundation
import SQLKit
import Vapor
import ZayavkaCore

/// Reads of tickets, written in SQL so that one query returns a ticket with its people and group.
enum TicketQueries {
    /// The ticket columns, its people, and its intake answers as one JSON object, in one SELECT.
    static func select(_ sql: any SQLDatabase) -> SQLQueryString {
        let fields: SQLQueryString = sql.dialect.name == "postgresql"
            ? "(SELECT json_object_agg(f.key, f.value)::text FROM ticket_field_values f WHERE f.ticket_id = t.id)"
            : "(SELECT json_group_object(f.key, f.value) FROM ticket_field_values f WHERE f.ticket_id = t.id)"
        return selectColumns + ", " + fields + " AS fields_json " + selectFrom
    }

    private static let selectColumns: SQLQueryString = """
        SELECT t.id, t.number, t.subject, t.status, t.type, t.priority, t.urgency, t.channel, t.responsibility, t.cause,
               t.requester_id, r.name AS requester_name, t.organization_id, o.name AS organization_name,
               t.assignee_id, a.name AS assignee_name, t.group_id, g.name AS group_name,
               t.due_at, t.created_at, t.updated_at, t.solved_at, t.closed_at, t.next_due_at
        """

    private static let selectFrom: SQLQueryString = """
        FROM tickets t
        JOIN users r ON r.id = t.requester_id
        LEFT JOIN organizations o ON o.id = t.organization_id
        LEFT JOIN users a ON a.id = t.assignee_id
        LEFT JOIN support_groups g ON g.id = t.group_id
        """

    struct Row {
        let id: Int
        /// created_at, updated_at and next_due_at as the database compares them (see `Columns.sortValue`).
        let createdKey: Double
        let updatedKey: Double
        let dueKey: Double?
        let facts: TicketFacts
        var number: Int { facts.number }
        var requesterID: Int { facts.requester.id }
        var organizationID: Int? { facts.organization?.id }

        func dto(_ viewer: Viewer, _ catalog: CatalogCache.Snapshot, _ language: Language) -> TicketDTO {
            facts.dto(for: viewer, catalog: catalog, language: language)
        }
    }

    static func decode(_ row: some Columns) throws -> Row {
        func string(_ c: String) throws -> String { try row.string(c) }
        func optString(_ c: String) throws -> String? { try row.optString(c) }
        func optInt(_ c: String) throws -> Int? { try row.optInt(c) }
        func optDate(_ c: String) throws -> Date? { try row.optDate(c) }
        let id = try row.int("id")
        let number = try row.int("number")
        let subject = try string("subject")
        let status = try string("status")
        let type = TicketType(rawValue: try string("type")) ?? .question
        let priority = TicketPriority(rank: try row.int("priority")) ?? .normal
        let urgency = try optInt("urgency")
        let channel = TicketChannel(rawValue: try string("channel")) ?? .api
        let responsibility = try optString("responsibility").flatMap(Responsibility.init(rawValue:))
        let cause = try optString("cause")
        let requester = PersonRef(id: try row.int("requester_id"), name: try string("requester_name"))
        let organizationID = try optInt("organization_id")
        let organization = try organizationID.map { PersonRef(id: $0, name: try string("organization_name")) }
        let assignee = try optInt("assignee_id").map { PersonRef(id: $0, name: try string("assignee_name")) }
        let group = try optInt("group_id").map { PersonRef(id: $0, name: try string("group_name")) }
        let dueAt = try optDate("due_at")
        let createdAt = try row.date("created_at")
        let updatedAt = try row.date("updated_at")
        let solvedAt = try optDate("solved_at")
        let closedAt = try optDate("closed_at")
        let nextDueAt = try optDate("next_due_at")
        let fields = try optString("fields_json").flatMap { try? JSONDecoder().decode([String: String].self, from: Data($0.utf8)) } ?? [:]
        return Row(id: id, createdKey: try row.sortValue("created_at"), updatedKey: try row.sortValue("updated_at"),
                   dueKey: nextDueAt == nil ? nil : try row.sortValue("next_due_at"), facts: TicketFacts(
            number: number, subject: subject, status: status, type: type, priority: priority, urgency: urgency, channel: channel,
            responsibility: responsibility, cause: cause, requester: requester, organization: organization, assignee: assignee,
            group: group, dueAt: dueAt, fields: fields, createdAt: createdAt, updatedAt: updatedAt, solvedAt: solvedAt,
            closedAt: closedAt, nextDueAt: nextDueAt))
    }


    /// A ticket the viewer may see, or `.notFound` (also when it exists but is not theirs).
    static func load(number: Int, viewer: Viewer, on sql: any SQLDatabase) async throws -> Row {
        guard let row = try await rows(select(sql) + " WHERE t.number = \(bind: number)", on: sql).first,
              Visibility.canSee(requesterID: row.requesterID, organizationID: row.organizationID, viewer: viewer)
        else { throw ZayavkaError.notFound(entity: "ticket", id: String(number)) }
        return row
    }

    /// Decoded ticket rows of `query`: read directly on SQLite, through SQLKit elsewhere.
    static func rows(_ query: SQLQueryString, on sql: any SQLDatabase) async throws -> [Row] {
        if let lite = SQLiteFastPath.database(sql), let rows = try await SQLiteFastPath.rows(query, on: sql, lite: lite) {
            return try rows.map(decode)
        }
        return try await sql.raw(query).all().map { try decode(SQLKitColumns(row: $0)) }
    }

    static func dto(number: Int, context: ServiceContext) async throws -> TicketDTO {
        let viewer = try context.viewer
        let row = try await load(number: number, viewer: viewer, on: context.sql)
        let catalog = try await context.services.catalog.snapshot(context.database)
        return row.dto(viewer, catalog, context.language)
    }

    // MARK: Lists

    enum SortKey: String, CaseIterable { case number, createdAt = "created_at", updatedAt = "updated_at", priority, due }

    /// An opaque position in a sorted list: the last row's sort value and number.
    struct Cursor: Codable {
        let v: Double
        let n: Int
        /// The row had no value to sort by (a ticket with no running SLA clock, sorted last).
        var z: Bool?

        var encoded: String {
            let data = try! JSONEncoder().encode(self)
            return data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
        }

        init(v: Double, n: Int, z: Bool? = nil) { self.v = v; self.n = n; self.z = z }

        /// A cursor is client input: its value must be one a row could have had (a finite number within
        /// what a timestamp in microseconds or a priority rank can be), so converting it cannot trap.
        var isPlausible: Bool {
            v.isFinite && abs(v) <= Self.valueBound && (0...Int(Int32.max)).contains(n)
        }

        /// Microseconds up to the year 9800, which PostgreSQL reads back as a timestamp.
        static let valueBound = 2.5e17

        init?(encoded: String) {
            var base64 = encoded.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            while base64.count % 4 != 0 { base64 += "=" }
            guard encoded.utf8.count <= 200, let data = Data(base64Encoded: base64),
                  let cursor = try? JSONDecoder().decode(Cursor.self, from: data), cursor.isPlausible else { return nil }
            self = cursor
        }
    }

    /// Lists tickets with filters, a stable sort and keyset pagination; customers see only theirs.
    static func list(_ params: [String: String], context: ServiceContext) async throws -> ListOf<TicketDTO> {
        let (rows, next) = try await page(params, context: context)
        let catalog = try await context.services.catalog.snapshot(context.database)
        let viewer = try context.viewer
        let language = context.language
        return ListOf(items: rows.map { $0.dto(viewer, catalog, language) }, nextCursor: next)
    }

    /// What a list's parameters mean: the conditions, the sort and the page.
    struct ListSpec {
        var conditions: [SQLQueryString]
        var sort: SortKey
        var descending: Bool
        var limit: Int
        var cursor: Cursor?
    }

    /// How many tickets match the filters of `params` (cursor and sort ignored).
    /// With a `cap`, counting stops past it (the result is then `cap` + 1).
    static func count(_ params: [String: String], cap: Int? = nil, context: ServiceContext) async throws -> Int {
        var spec = try parse(params, viewer: try context.viewer)
        spec.cursor = nil
        var statement: SQLQueryString = "SELECT 1 FROM tickets t"
        if !spec.conditions.isEmpty { statement += " WHERE " + spec.conditions.joined(separator: " AND ") }
        if let cap { statement += " LIMIT \(unsafeRaw: String(cap + 1))" }
        return try await context.sql.raw("SELECT COUNT(*) AS n FROM (" + statement + ") counted").first()?.decode(column: "n", as: Int.self) ?? 0
    }

    /// Parses list parameters (the API's query string; the web queues use the same names).
    static func parse(_ params: [String: String], viewer: Viewer) throws -> ListSpec {
        var errors: [FieldError] = []
        var conditions: [SQLQueryString] = []

        if !viewer.role.can(.readAllTickets) {
            if viewer.seesOrganizationTickets, let org = viewer.organizationID {
                conditions.append("(t.requester_id = \(bind: viewer.userID) OR t.organization_id = \(bind: org))")
            } else {
                conditions.append("t.requester_id = \(bind: viewer.userID)")
            }
        }
        func list(_ name: String) -> [String]? {
            params[name].flatMap { $0.isEmpty ? nil : $0 }.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        }
        func ints(_ name: String) -> [Int]? {
            guard let values = list(name) else { return nil }
            let parsed = values.compactMap(Int.init)
            if parsed.count != values.count { errors.append(FieldError(name, .invalid)) }
            return parsed
        }
        func date(_ name: String) -> Date? {
            guard let raw = params[name], !raw.isEmpty else { return nil }
            guard let value = DateWindow.parse(raw) else { errors.append(FieldError(name, .invalid)); return nil }
            return value
        }
        if let statuses = list("status") { conditions.append("t.status IN (\(binds: statuses))") }
        if let types = list("type") {
            if types.contains(where: { TicketType(rawValue: $0) == nil }) { errors.append(FieldError("type", .unknownValue)) }
            conditions.append("t.type IN (\(binds: types))")
        }
        if let priorities = list("priority") {
            let ranks = priorities.compactMap { TicketPriority(rawValue: $0)?.rank }
            if ranks.count != priorities.count { errors.append(FieldError("priority", .unknownValue)) }
            conditions.append("t.priority IN (\(binds: ranks))")
        }
        if let urgencies = ints("urgency") { conditions.append("t.urgency IN (\(binds: urgencies))") }
        if let channels = list("channel") { conditions.append("t.channel IN (\(binds: channels))") }
        for (name, column) in [("assignee_id", "assignee_id"), ("group_id", "group_id")] {
            if let raw = list(name) {
                if raw == ["none"] { conditions.append("t.\(unsafeRaw: column) IS NULL") }
                else if let ids = ints(name) { conditions.append("t.\(unsafeRaw: column) IN (\(binds: ids))") }
            }
        }
        if let ids = ints("requester_id") { conditions.append("t.requester_id IN (\(binds: ids))") }
        if let ids = ints("organization_id") { conditions.append("t.organization_id IN (\(binds: ids))") }
        if let value = date("created_after") { conditions.append("t.created_at >= \(bind: value)") }
        if let value = date("created_before") { conditions.append("t.created_at < \(bind: value)") }
        if let value = date("updated_after") { conditions.append("t.updated_at >= \(bind: value)") }
        if let value = date("updated_before") { conditions.append("t.updated_at < \(bind: value)") }
        if let text = params["q"]?.trimmingCharacters(in: .whitespaces), !text.isEmpty {
            let pattern = "%" + TextFolding.fold(text).replacingOccurrences(of: "\\", with: "\\\\")
                .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%"
            conditions.append("t.subject_folded LIKE \(bind: pattern) ESCAPE '\\'")
        }
        // Intake answers: field.<key>=value
        do {
            for (name, value) in params.sorted(by: { $0.key < $1.key }) where name.hasPrefix("field.") && !value.isEmpty {
                let key = String(name.dropFirst(6))
                conditions.append("EXISTS (SELECT 1 FROM ticket_field_values f WHERE f.ticket_id = t.id AND f.key = \(bind: key) AND f.value = \(bind: value))")
            }
        }

        let sortRaw = params["sort"]?.nilIfEmpty ?? "created_at"
        let orderRaw = params["order"]?.nilIfEmpty ?? (sortRaw == "due" ? "asc" : "desc")
        let sort = SortKey(rawValue: sortRaw)
        if sort == nil { errors.append(FieldError("sort", .unknownValue, SortKey.allCases.map(\.rawValue).joined(separator: ", "))) }
        if !["asc", "desc"].contains(orderRaw) { errors.append(FieldError("order", .unknownValue, "asc, desc")) }
        if sort == .due, orderRaw != "asc" { errors.append(FieldError("order", .unknownValue, "asc")) }
        let limit = params["limit"]?.nilIfEmpty.map { Int($0) ?? 0 } ?? 25
        if !(1...100).contains(limit) { errors.append(FieldError("limit", .invalid, "1…100")) }
        var cursor: Cursor?
        if let raw = params["cursor"]?.nilIfEmpty {
            cursor = Cursor(encoded: raw)
            if cursor == nil { errors.append(FieldError("cursor", .invalid)) }
        }
        if !errors.isEmpty { throw ZayavkaError.validation(errors) }
        return ListSpec(conditions: conditions, sort: sort!, descending: orderRaw == "desc", limit: limit, cursor: cursor)
    }

    /// One page of rows and the cursor of the next, for a viewer who may see them.
    static func page(_ params: [String: String], context: ServiceContext) async throws -> (rows: [Row], next: String?) {
        let spec = try parse(params, viewer: try context.viewer)
        var conditions = spec.conditions
        let sort = spec.sort
        let descending = spec.descending
        let limit = spec.limit
        let column: String = switch sort {
        case .number: "t.number"
        case .createdAt: "t.created_at"
        case .updatedAt: "t.updated_at"
        case .priority: "t.priority"
        case .due: "t.next_due_at"  // unused: due lists are read in two phases below
        }
        let op = descending ? "<" : ">"
        // Keyset conditions are row values, `(sort column, number) > (bound, n)`: both databases turn
        // them into an index range, where the equivalent OR is a filter over every row before the page.
        if let cursor = spec.cursor {
            switch sort {
            case .number: conditions.append("t.number \(unsafeRaw: op) \(bind: cursor.n)")
            case .priority:
                guard (0...100).contains(cursor.v), cursor.v == cursor.v.rounded() else {
                    throw ZayavkaError.validation([FieldError("cursor", .invalid)])
                }
                conditions.append("(t.priority, t.number) \(unsafeRaw: op) (\(bind: Int(cursor.v)), \(bind: cursor.n))")
            case .due:
                break  // two index-ordered phases below
            case .createdAt, .updatedAt:
                let bound = TimestampKey.bound(cursor.v, dialect: context.sql.dialect.name)
                conditions.append("(\(unsafeRaw: column), t.number) \(unsafeRaw: op) (" + bound + ", \(bind: cursor.n))")
            }
        }
        func statement(_ conditions: [SQLQueryString], order: SQLQueryString, limit: Int) throws -> SQLQueryString {
            var statement = select(context.sql)
            if !conditions.isEmpty { statement += " WHERE " + conditions.joined(separator: " AND ") }
            return statement + " ORDER BY " + order + " LIMIT \(literal: limit)"
        }
        let direction = descending ? "DESC" : "ASC"
        var fetched: [Row]
        switch sort {
        case .due:
            // Soonest due first, then the tickets without a due time by number. Two queries that each
            // walk the (next_due_at, number) index, instead of one that sorts every matching ticket.
            fetched = []
            if spec.cursor?.z != true {
                var dated = conditions + ["t.next_due_at IS NOT NULL"]
                if let cursor = spec.cursor {
                    let bound = TimestampKey.bound(cursor.v, dialect: context.sql.dialect.name)
                    dated.append("(t.next_due_at, t.number) > (" + bound + ", \(bind: cursor.n))")
                }
                fetched = try await rows(try statement(dated, order: "t.next_due_at, t.number", limit: limit + 1), on: context.sql)
            }
            if fetched.count <= limit {
                var undated = conditions + ["t.next_due_at IS NULL"]
                if let cursor = spec.cursor, cursor.z == true { undated.append("t.number > \(bind: cursor.n)") }
                fetched += try await rows(try statement(undated, order: "t.number", limit: limit + 1 - fetched.count), on: context.sql)
            }
        case .number:
            fetched = try await rows(try statement(conditions, order: "t.number \(unsafeRaw: direction)", limit: limit + 1), on: context.sql)
        default:
            fetched = try await rows(try statement(conditions, order: "\(unsafeRaw: column) \(unsafeRaw: direction), t.number \(unsafeRaw: direction)",
                                                   limit: limit + 1), on: context.sql)
        }
        let hasMore = fetched.count > limit
        let rows = Array(fetched.prefix(limit))
        var next: String?
        if hasMore, let last = rows.last {
            let value: Double = switch sort {
            case .number: Double(last.number)
            case .createdAt: last.createdKey
            case .updatedAt: last.updatedKey
            case .priority: Double(last.facts.priority.rank)
            case .due: last.dueKey ?? 0
            }
            next = Cursor(v: value, n: last.number, z: sort == .due && last.dueKey == nil ? true : nil).encoded
        }
        return (rows, next)
    }
}
