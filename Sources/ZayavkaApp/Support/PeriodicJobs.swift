import Foundation
import NIOConcurrencyHelpers
import NIOCore
import SQLKit
import Vapor
import ZayavkaCore

/// Runs the periodic jobs (auto-close, SLA warnings and breaches, outbreak alerts, sweeps) every
/// `ZAYAVKA_JOBS_SECONDS` (30) while the server is up; logs and carries on after a failure. Every
/// instance runs them; each job claims its work with a conditional update, so each act happens once.
struct PeriodicJobs: LifecycleHandler {
    private struct TaskKey: StorageKey { typealias Value = NIOCore.RepeatedTask }

    func shutdownAsync(_ application: Application) async {
        application.storage[TaskKey.self]?.cancel()
    }

    func didBootAsync(_ application: Application) async throws {
        let policy = AutoClosePolicy(days: application.services.configuration.autoCloseDays)
        let logger = application.logger
        await SQLiteStatistics.refresh(application, analyze: true)
        let rounds = NIOLockedValueBox(0)
        let interval = application.services.configuration.jobsIntervalSeconds
        let statisticsEvery = max(1, 30 / interval)
        application.storage[TaskKey.self] = application.eventLoopGroup.next().scheduleRepeatedAsyncTask(
            initialDelay: .seconds(Int64(interval)), delay: .seconds(Int64(interval))
        ) { _ in
            application.eventLoopGroup.next().makeFutureWithTask {
                // SQLite statistics: reloaded about every 30 s and gathered about hourly, whatever the interval.
                let round = rounds.withLockedValue { $0 += 1; return $0 }
                if round % statisticsEvery == 0 {
                    await SQLiteStatistics.refresh(application, analyze: round % (120 * statisticsEvery) == 0)
                }
                // The jobs act as the desk itself, at one moment for the whole round.
                let context = ServiceContext.system(application)
                do {
                    let closed = try await AutoCloseJob.run(policy: policy, context: context)
                    if !closed.isEmpty { logger.info("auto-closed solved tickets", metadata: ["numbers": "\(closed)"]) }
                } catch {
                    logger.error("auto-close failed; will try again", metadata: ["error": "\(error)"])
                }
                do {
                    let removed = try await PendingUploads.sweep(context: context)
                    if removed > 0 { logger.info("removed uploads never attached", metadata: ["count": "\(removed)"]) }
                } catch {
                    logger.error("removing old uploads failed; will try again", metadata: ["error": "\(error)"])
                }
                do {
                    let forgotten = try await IdempotencyKey.sweep(context: context)
                    if forgotten > 0 { logger.info("forgot idempotency keys older than a day", metadata: ["count": "\(forgotten)"]) }
                } catch {
                    logger.error("forgetting old idempotency keys failed; will try again", metadata: ["error": "\(error)"])
                }
                do {
                    let gone = try await PresenceService.sweep(context: context)
                    if gone > 0 { logger.info("forgot ticket presence an hour old", metadata: ["count": "\(gone)"]) }
                } catch {
                    logger.error("forgetting old ticket presence failed; will try again", metadata: ["error": "\(error)"])
                }
                do {
                    let resumed = try await ProblemBroadcast.resume(context: context)
                    if resumed > 0 { logger.info("finished problem updates a restart cut off", metadata: ["count": "\(resumed)"]) }
                } catch {
                    logger.error("finishing problem updates failed; will try again", metadata: ["error": "\(error)"])
                }
                do {
                    let outbreaks = try await IncidentService.sweep(context: context)
                    if outbreaks.opened + outbreaks.reminded > 0 {
                        logger.info("outbreak alerts", metadata: ["opened": "\(outbreaks.opened)", "reminded": "\(outbreaks.reminded)"])
                    }
                } catch {
                    logger.error("outbreak detection failed; will try again", metadata: ["error": "\(error)"])
                }
                do {
                    let surveys = try await SatisfactionService.run(context: context)
                    if surveys.sent + surveys.skipped > 0 {
                        logger.info("satisfaction surveys", metadata: ["sent": "\(surveys.sent)", "skipped": "\(surveys.skipped)"])
                    }
                } catch {
                    logger.error("satisfaction surveys failed; will try again", metadata: ["error": "\(error)"])
                }
                do {
                    let days = try await ReportRollup.run(context: context)
                    if days > 0 { logger.debug("report rollups recomputed", metadata: ["days": "\(days)"]) }
                } catch {
                    logger.error("recomputing report rollups failed; will try again", metadata: ["error": "\(error)"])
                }
                do {
                    let sampled = try await ReviewService.sampleLastWeek(context: context)
                    if sampled > 0 { logger.info("conversations sampled for review", metadata: ["count": "\(sampled)"]) }
                } catch {
                    logger.error("sampling conversations for review failed; will try again", metadata: ["error": "\(error)"])
                }
                do {
                    let fired = try await SLATimerJob.run(context: context)
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

/// SQLite plans queries from statistics that only ANALYZE gathers: without them, or with ones taken
/// when the desk was small, the queue lists sort every open ticket (0.5 s at a million). A connection
/// reads the statistics when it opens and when it runs ANALYZE itself, not when another connection
/// gathers them; Fluent keeps one long-lived connection per event loop.
enum SQLiteStatistics {
    /// `analyze`: gather what changed enough (`PRAGMA optimize`, row-limited so it stays quick; SQLite's
    /// advice for long-lived connections, hourly here). Always: every pooled connection reloads the
    /// statistics (`ANALYZE sqlite_master`, which only reads them) — every 30 s, so statistics gathered
    /// by any connection or process reach them all.
    static func refresh(_ app: Application, analyze: Bool) async {
        guard (app.db as? any SQLDatabase)?.dialect.name == "sqlite" else { return }
        do {
            if analyze, let sql = app.db as? any SQLDatabase {
                try await sql.raw("PRAGMA analysis_limit = 2000").run()
                try await sql.raw("PRAGMA optimize = 0x10002").run()
            }
            for eventLoop in app.eventLoopGroup.makeIterator() {
                guard let sql = app.databases.database(.sqlite, logger: app.logger, on: eventLoop) as? any SQLDatabase else { continue }
                try await sql.raw("ANALYZE sqlite_master").run()
            }
        } catch {
            app.logger.error("refreshing SQLite statistics failed; will try again", metadata: ["error": "\(error)"])
        }
    }
}
