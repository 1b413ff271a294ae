import Foundation
import NIOCore
import Vapor
import ZayavkaCore

/// Runs the periodic jobs (auto-close, SLA warnings and breaches) every 30 seconds while the
/// server is up; logs and carries on after a failure.
struct PeriodicJobs: LifecycleHandler {
    private struct TaskKey: StorageKey { typealias Value = NIOCore.RepeatedTask }

    func shutdownAsync(_ application: Application) async {
        application.storage[TaskKey.self]?.cancel()
    }

    func didBootAsync(_ application: Application) async throws {
        let policy = AutoClosePolicy(days: application.services.configuration.autoCloseDays)
        let services = application.services
        let logger = application.logger
        let db = application.db
        application.storage[TaskKey.self] = application.eventLoopGroup.next().scheduleRepeatedAsyncTask(
            initialDelay: .seconds(30), delay: .seconds(30)
        ) { _ in
            application.eventLoopGroup.next().makeFutureWithTask {
                do {
                    let closed = try await AutoCloseJob.run(policy: policy, now: Date(), services: services, db: db)
                    if !closed.isEmpty { logger.info("auto-closed solved tickets", metadata: ["numbers": "\(closed)"]) }
                } catch {
                    logger.error("auto-close failed; will try again", metadata: ["error": "\(error)"])
                }
                do {
                    let fired = try await SLATimerJob.run(now: Date(), services: services, db: db)
                    if fired.warnings + fired.breaches > 0 {
                        logger.info("SLA timers fired", metadata: ["warnings": "\(fired.warnings)", "breaches": "\(fired.breaches)"])
                    }
                } catch {
                    logger.error("SLA timers failed; will try again", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}
