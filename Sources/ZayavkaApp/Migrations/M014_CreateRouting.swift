import Fluent
import Foundation
import SQLKit
import ZayavkaCore

/// Issue 6: hand-off routes (seed 002's four ship ready) and critical-problem rules (seed 002's
/// four conditions).
struct M014CreateRouting: AsyncMigration {
    var name: String { "M014CreateRouting" }

    func prepare(on database: any Database) async throws {
        try await database.schema("hand_off_routes")
            .field("id", .int, .identifier(auto: true))
            .field("key", .string, .required)
            .field("name", .string, .required)
            .field("status", .string)
            .field("group_id", .int)
            .field("assignee_id", .int)
            .field("message_ru", .string, .required)
            .field("message_en", .string, .required)
            .field("paid_only", .bool, .required)
            .field("agent_hint", .string)
            .field("position", .int, .required)
            .field("active", .bool, .required)
            .unique(on: "key")
            .create()
        try await database.schema("critical_rules")
            .field("id", .int, .identifier(auto: true))
            .field("key", .string, .required)
            .field("name", .string, .required)
            // JSON: the categories and the stem phrases of `CriticalRule`.
            .field("categories", .string, .required)
            .field("phrases", .string, .required)
            .field("position", .int, .required)
            .field("active", .bool, .required)
            .unique(on: "key")
            .create()
        let sql = database as! any SQLDatabase
        for (index, route) in HandOffRoute.seed002.enumerated() {
            try await sql.raw("""
                INSERT INTO hand_off_routes (key, name, status, message_ru, message_en, paid_only, agent_hint, position, active)
                VALUES (\(bind: route.key), \(bind: route.name), \(bind: route.status), \(bind: route.messageRu), \(bind: route.messageEn),
                        \(bind: route.paidOnly), \(bind: route.agentHint), \(bind: (index + 1) * 10), \(bind: true))
                """).run()
        }
        for (index, rule) in CriticalRule.seed002.enumerated() {
            try await sql.raw("""
                INSERT INTO critical_rules (key, name, categories, phrases, position, active)
                VALUES (\(bind: rule.key), \(bind: rule.name), \(bind: try WorkingTimeJSON.encode(rule.categories)),
                        \(bind: try WorkingTimeJSON.encode(rule.phrases)), \(bind: (index + 1) * 10), \(bind: true))
                """).run()
        }
    }

    func revert(on database: any Database) async throws {
        try await database.schema("critical_rules").delete()
        try await database.schema("hand_off_routes").delete()
    }
}
