import Foundation
import SQLKit
import Vapor
import ZayavkaCore

/// Achieved and missed targets for reports (SPEC S3): every clock that stopped is recorded once.
enum SLAReport {
    /// Clocks stopped in [from, to); by default the three weeks before this one up to tomorrow.
    static func outcomes(from: Date?, to: Date?, context: ServiceContext) async throws -> ListOf<SLAOutcomeDTO> {
        try context.require(.readAllTickets)
        let (weekStart, _) = WorkloadService.week(of: context.now)
        let from = from ?? weekStart.addingTimeInterval(-21 * 86400)
        let to = to ?? context.now.addingTimeInterval(86400)
        let rows = try await context.sql.raw("""
            SELECT p.key, o.metric, SUM(CASE WHEN o.achieved THEN 1 ELSE 0 END) AS achieved, SUM(CASE WHEN o.achieved THEN 0 ELSE 1 END) AS missed
            FROM sla_outcomes o LEFT JOIN sla_policies p ON p.id = o.policy_id
            WHERE o.stopped_at >= \(bind: from) AND o.stopped_at < \(bind: to)
            GROUP BY p.key, o.metric ORDER BY p.key, o.metric
            """).all()
        return ListOf(items: try rows.map { row in
            let achieved = try row.decode(column: "achieved", as: Int.self)
            let missed = try row.decode(column: "missed", as: Int.self)
            return SLAOutcomeDTO(policy: try row.decode(column: "key", as: String?.self),
                                 metric: SLAMetric(rawValue: try row.decode(column: "metric", as: String.self)) ?? .resolution,
                                 achieved: achieved, missed: missed,
                                 achievedPercent: achieved + missed == 0 ? 0 : (Double(achieved) * 1000 / Double(achieved + missed)).rounded() / 10)
        }, nextCursor: nil)
    }
}
