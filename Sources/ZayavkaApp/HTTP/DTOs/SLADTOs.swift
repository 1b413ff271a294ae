import Foundation
import NIOConcurrencyHelpers
import SQLKit
import Vapor
import ZayavkaCore

struct SLAClockDTO: Content {
    let metric: SLAMetric
    let policy: String?
    let targetMinutes: Int
    let startedAt: Date
    let dueAt: Date?
    let stoppedAt: Date?
    let state: SLAState
    let elapsedMinutes: Int
    /// When the timers recorded the warning and the breach.
    let warnedAt: Date?
    let breachedAt: Date?

    enum CodingKeys: String, CodingKey {
        case metric, policy, state
        case targetMinutes = "target_minutes", startedAt = "started_at", dueAt = "due_at", stoppedAt = "stopped_at",
             elapsedMinutes = "elapsed_minutes", warnedAt = "warned_at", breachedAt = "breached_at"
    }
}
