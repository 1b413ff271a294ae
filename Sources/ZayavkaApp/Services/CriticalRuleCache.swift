import Foundation
import SQLKit
import Vapor
import ZayavkaCore

/// The active critical-problem rules, cached briefly: every new ticket is checked against them.
final class CriticalRuleCache: Sendable {
    private let cache = RefreshingCache<[CriticalRule]>()

    func rules(_ sql: any SQLDatabase) async throws -> [CriticalRule] {
        try await cache.value {
            try await RoutingService.criticalRules(on: sql, activeOnly: true).map {
                CriticalRule(key: $0.key, name: $0.name, categories: $0.categories, phrases: $0.phrases)
            }
        }
    }

    func invalidate() { cache.invalidate() }
}
