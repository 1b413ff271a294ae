import Foundation
import SQLKit
import Testing
import Vapor
@testable import ZayavkaApp
import ZayavkaCore

/// Migrations only grow (issue 15): a desk made by an earlier release (a committed fixture, made by
/// `Tests/Fixtures/make_fixture.py` with that release's own binary) is upgraded by this version; its
/// schema must then equal a fresh desk's (tables, columns, types, defaults, indexes, triggers,
/// constraints) and every row must still be there and readable through the API.
@Suite("Upgrading a desk made by an earlier release", .serialized)
struct MigrationUpgradeTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// Every release that changed the schema and has a fixture.
    static let releases = ["release-12-d1c28ee"]

    struct Expected: Decodable {
        struct Admin: Decodable { let email: String; let password: String }
        struct Ticket: Decodable { let number: Int; let subject: String; let status: String; let comments: [String]; let events: Int }
        let admin: Admin
        let tickets: [Ticket]
        let organizations: [String]
        let users: [String]
        let calendars: [String]
        let slaPolicies: [String]
        enum CodingKeys: String, CodingKey { case admin, tickets, organizations, users, calendars, slaPolicies = "sla_policies" }
    }

    @Test("an earlier release's desk upgrades to the fresh schema with all its data", arguments: TestDatabase.all)
    func upgrade(database: TestDatabase) async throws {
        for release in Self.releases {
            let isPostgres: Bool = if case .postgres = database { true } else { false }
            let expectedURL = Self.fixtures.appendingPathComponent(release + (isPostgres ? ".pg" : "") + ".json")
            let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: expectedURL))
            var fresh: [String] = []
            try await TestServer.with(database) { server in fresh = try await SchemaSnapshot.take(server.sql) }
            #expect(fresh.count > 100, "the snapshot sees the schema")

            let environment = ["ZAYAVKA_ADMIN_EMAIL": expected.admin.email, "ZAYAVKA_ADMIN_PASSWORD": expected.admin.password]
            try await TestServer.with(database, environment: environment, before: { directory, schema in
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                if let schema, case .postgres(let url) = database {
                    let dump = try String(contentsOf: Self.fixtures.appendingPathComponent(release + ".pgsql"), encoding: .utf8)
                    try Self.psql(url, dump.replacingOccurrences(of: "@SCHEMA@", with: schema))
                } else {
                    try FileManager.default.copyItem(at: Self.fixtures.appendingPathComponent(release + ".sqlite"),
                                                     to: directory.appendingPathComponent("zayavka.sqlite"))
                }
            }) { server in
                let upgraded = try await SchemaSnapshot.take(server.sql)
                let missing = Set(fresh).subtracting(upgraded).sorted(), extra = Set(upgraded).subtracting(fresh).sorted()
                #expect(missing.isEmpty && extra.isEmpty, "\(release): missing after the upgrade \(missing); not in a fresh desk \(extra)")

                let admin = server.adminToken
                for ticket in expected.tickets {
                    let reply = try await server.request(.GET, "/api/v1/tickets/\(ticket.number)", token: admin)
                    #expect(reply.status == .ok)
                    server.expectConforms(reply.json, to: "Ticket")
                    #expect(reply["subject"] as? String == ticket.subject && reply["status"] as? String == ticket.status)
                    let comments = try await server.request(.GET, "/api/v1/tickets/\(ticket.number)/comments", token: admin).items
                    #expect(comments.map { $0["body"] as? String ?? "" } == ticket.comments, "#\(ticket.number)'s conversation")
                    let events = try await server.request(.GET, "/api/v1/tickets/\(ticket.number)/events", token: admin).items
                    #expect(events.count == ticket.events)
                }
                let organizations = try await server.request(.GET, "/api/v1/organizations", token: admin).items
                #expect(organizations.map { $0["name"] as? String ?? "" } == expected.organizations)
                let users = try await server.request(.GET, "/api/v1/users?limit=200", token: admin).items
                #expect(users.compactMap { $0["email"] as? String }.sorted() == expected.users)
                let calendars = try await server.request(.GET, "/api/v1/calendars", token: admin).items
                #expect(calendars.compactMap { $0["key"] as? String }.sorted() == expected.calendars)
                let policies = try await server.request(.GET, "/api/v1/sla-policies", token: admin).items
                #expect(policies.compactMap { $0["key"] as? String } == expected.slaPolicies)
                // And the upgraded desk works: a new ticket on top of the old ones.
                let customer = try await server.token(email: "ivan@romashka.ru", password: "customer-1")
                let created = try await server.makeTicket(token: customer)
                #expect(created.status == .created)
                #expect((created["number"] as? Int ?? 0) > (expected.tickets.map(\.number).max() ?? 0))
            }
        }
    }

    @Test("the repair migration adds what a desk made before M011, M013 and M015 were edited lacks", arguments: TestDatabase.all)
    func repair(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let fresh = try await SchemaSnapshot.take(server.sql)
            // Take the schema back to what such a desk has: no addresses column, none of the five indexes.
            for index in ["tickets_assignee_status_idx", "tickets_group_status_idx", "sla_clocks_to_warn_idx", "sla_clocks_to_breach_idx", "tickets_solved_at_idx"] {
                try await server.sql.raw("DROP INDEX \(ident: index)").run()
            }
            try await server.app.db.schema("organizations").deleteField("addresses").update()
            #expect(try await SchemaSnapshot.take(server.sql) != fresh)
            try await M017RepairEditedMigrations().prepare(on: server.app.db)
            #expect(try await SchemaSnapshot.take(server.sql) == fresh)
            // On a desk that has them it changes nothing.
            try await M017RepairEditedMigrations().prepare(on: server.app.db)
            #expect(try await SchemaSnapshot.take(server.sql) == fresh)
        }
    }

    static func psql(_ url: String, _ script: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["psql", url, "-q", "-v", "ON_ERROR_STOP=1"]
        let input = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        input.fileHandleForWriting.write(Data(script.utf8))
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw Abort(.internalServerError, reason: "psql failed loading the fixture") }
    }
}

/// The schema as a sorted list of lines: one per table, column (type, nullability, default, key),
/// index (its columns, uniqueness and condition), trigger and constraint; names of the PostgreSQL
/// schema taken out so that two schemas compare.
enum SchemaSnapshot {
    static func take(_ sql: any SQLDatabase) async throws -> [String] {
        var lines: [String] = []
        func text(_ row: any SQLRow, _ column: String) throws -> String { try row.decode(column: column, as: String?.self) ?? "∅" }
        if sql.dialect.name == "sqlite" {
            let objects = try await sql.raw("""
                SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND name NOT LIKE '_fluent_%' ORDER BY name
                """).all()
            for object in objects {
                let type = try text(object, "type"), name = try text(object, "name"), table = try text(object, "tbl_name")
                switch type {
                case "table":
                    lines.append("table \(name)")
                    for column in try await sql.raw("SELECT name, type, \"notnull\" AS nn, dflt_value, pk FROM pragma_table_info(\(bind: name))").all() {
                        lines.append("column \(name).\(try text(column, "name")) \(try text(column, "type").lowercased()) notnull=\(try column.decode(column: "nn", as: Int.self)) default=\(try text(column, "dflt_value")) pk=\(try column.decode(column: "pk", as: Int.self))")
                    }
                    for key in try await sql.raw("SELECT \"table\" AS target, \"from\" AS source, \"to\" AS dest, on_delete FROM pragma_foreign_key_list(\(bind: name))").all() {
                        lines.append("foreign key \(name).\(try text(key, "source")) → \(try text(key, "target")).\(try text(key, "dest")) on delete \(try text(key, "on_delete"))")
                    }
                case "index":
                    let columns = try await sql.raw("SELECT name FROM pragma_index_info(\(bind: name)) ORDER BY seqno").all().map { try text($0, "name") }
                    let definition = try text(object, "sql")
                    let condition = definition.range(of: " WHERE ", options: .caseInsensitive).map { String(definition[$0.upperBound...]) } ?? ""
                    let unique = definition.uppercased().hasPrefix("CREATE UNIQUE") || name.hasPrefix("sqlite_autoindex")
                    lines.append("index \(name) on \(table) (\(columns.joined(separator: ", "))) unique=\(unique) where \(normalize(condition))")
                case "trigger":
                    lines.append("trigger \(name) on \(table): \(normalize(try text(object, "sql")))")
                default:
                    lines.append("\(type) \(name)")
                }
            }
        } else {
            let schema = try await sql.raw("SELECT current_schema() AS s").first()!.decode(column: "s", as: String.self)
            func clean(_ value: String) -> String { normalize(value.replacingOccurrences(of: schema + ".", with: "")) }
            for column in try await sql.raw("""
                SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns
                WHERE table_schema = current_schema() AND table_name NOT LIKE '\\_fluent%' ESCAPE '\\' ORDER BY table_name, column_name
                """).all() {
                lines.append("column \(try text(column, "table_name")).\(try text(column, "column_name")) \(try text(column, "data_type")) nullable=\(try text(column, "is_nullable")) default=\(clean(try text(column, "column_default")))")
            }
            for index in try await sql.raw("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename NOT LIKE '\\_fluent%' ESCAPE '\\'").all() {
                lines.append("index \(try text(index, "indexname")): \(clean(try text(index, "indexdef")))")
            }
            for trigger in try await sql.raw("""
                SELECT trigger_name, event_manipulation, event_object_table, action_statement, action_timing FROM information_schema.triggers
                WHERE trigger_schema = current_schema()
                """).all() {
                lines.append("trigger \(try text(trigger, "trigger_name")) \(try text(trigger, "action_timing")) \(try text(trigger, "event_manipulation")) on \(try text(trigger, "event_object_table")): \(clean(try text(trigger, "action_statement")))")
            }
            for constraint in try await sql.raw("""
                SELECT c.conname, c.contype, t.relname, pg_get_constraintdef(c.oid) AS def FROM pg_constraint c
                JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
                WHERE n.nspname = current_schema() AND t.relname NOT LIKE '\\_fluent%' ESCAPE '\\'
                """).all() {
                lines.append("constraint \(try text(constraint, "conname")) \(try text(constraint, "contype")) on \(try text(constraint, "relname")): \(clean(try text(constraint, "def")))")
            }
            for function in try await sql.raw("""
                SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = current_schema()
                """).all() {
                lines.append("function \(try text(function, "proname"))")
            }
        }
        return lines.sorted()
    }

    /// Whitespace collapsed, identifier quotes and `IF NOT EXISTS` taken out, lower case.
    static func normalize(_ text: String) -> String {
        text.replacingOccurrences(of: "\"", with: "").replacingOccurrences(of: "IF NOT EXISTS ", with: "", options: .caseInsensitive)
            .split(whereSeparator: { $0.isWhitespace }).joined(separator: " ").lowercased()
    }
}
