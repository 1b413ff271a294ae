import Foundation
import SQLKit
import Vapor
import ZayavkaCore

/// The active critical-problem rules (or failure kinds), cached briefly: every new ticket is checked against them.
final class CriticalRuleCache: Sendable {
    private let cache = RefreshingCache<[CriticalRule.Matcher]>()
    let table: RuleTable

    init(_ table: RuleTable) { self.table = table }

    /// The active rules, each with its stems prepared for matching.
    func rules(_ sql: any SQLDatabase) async throws -> [CriticalRule.Matcher] {
        try await cache.value {
            try await RoutingService.criticalRules(on: sql, activeOnly: true, table: table).map {
                CriticalRule.Matcher(CriticalRule(key: $0.key, name: $0.name, categories: $0.categories, phrases: $0.phrases))
            }
        }
    }

    func invalidate() { cache.invalidate() }
}

/// The two tables of rules shaped like `CriticalRule`: critical problems (SPEC T4) and failure kinds (SPEC P3).
enum RuleTable: String, Sendable {
    case critical = "critical_rules"
    case failureKinds = "failure_kinds"

    var entity: String { self == .critical ? "critical_rule" : "failure_kind" }
    var sqlName: SQLQueryString { self == .critical ? "critical_rules" : "failure_kinds" }
}
