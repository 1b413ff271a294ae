import Foundation
import Logging
import Metrics
import NIOConcurrencyHelpers
import SQLKit
import Vapor
import ZayavkaCore
import ZayavkaMail
import ZayavkaMIME

/// Fetches hosted mailboxes over IMAP (issue 21). One instance holds a mailbox at a time through a
/// lease in its row; the holder waits in IDLE (or polls), takes new messages by UID, commits their
/// raw bytes together with the new last UID, and only then marks, moves or deletes them on the
/// server. A crash in between leaves them imported and the after-import step is redone on the next
/// session; a changed UIDVALIDITY starts the folder over, and Message-IDs keep what was imported
/// before from becoming tickets twice. What is stored goes through the same inbox as SMTP mail.
enum MailboxFetcher {
    static let imported = Counter(label: "zayavka_imap_imported_total")
    static let failures = Counter(label: "zayavka_imap_failures_total")

    /// How long a hold lasts without renewal; renewed every third of it.
    static let leaseSeconds: Double = 90

    struct LostLease: Error {}

    /// Takes (or renews) the mailbox for `owner`; nil when another instance holds it or it is gone.
    static func acquire(_ id: Int, owner: String, app: Application) async throws -> MailboxRow? {
        let sql = app.db as! any SQLDatabase
        let now = Date()
        let until = now.addingTimeInterval(leaseSeconds)
        return try await app.services.gate.run {
            try await sql.raw("""
                UPDATE mailboxes SET lease_owner = \(bind: owner), lease_until = \(bind: until)
                WHERE id = \(bind: id) AND enabled = \(bind: true) AND imap_host IS NOT NULL
                  AND (lease_owner IS NULL OR lease_owner = \(bind: owner) OR lease_until < \(bind: now))
                RETURNING \(unsafeRaw: MailboxRow.columns)
                """).first(decoding: MailboxRow.self)
        }
    }

    static func release(_ id: Int, owner: String, app: Application) async {
        let sql = app.db as! any SQLDatabase
        _ = try? await app.services.gate.run {
            try await sql.raw("UPDATE mailboxes SET lease_owner = NULL, lease_until = NULL WHERE id = \(bind: id) AND lease_owner = \(bind: owner)").run()
        }
    }

    static func recordError(_ id: Int, step: String, message: String, app: Application) async {
        failures.increment()
        let sql = app.db as! any SQLDatabase
        let now = Date()
        _ = try? await app.services.gate.run {
            try await sql.raw("""
                UPDATE mailboxes SET last_error = \(bind: String(message.prefix(1000))), last_error_step = \(bind: step), last_error_at = \(bind: now),
                       last_checked_at = \(bind: now)
                WHERE id = \(bind: id)
                """).run()
        }
    }

    /// One connected session: runs until the lease is lost, the task is cancelled or the server fails.
    static func session(_ start: MailboxRow, owner: String, app: Application, stop: @escaping @Sendable () -> Bool) async throws {
        let configuration = app.services.configuration
        guard let server = try start.imapServer(configuration) else { return }
        let logger = app.logger
        let maxBytes = configuration.mail.maxMessageBytes
        try await IMAPClient.withSession(server, group: app.eventLoopGroup, maxLiteralBytes: maxBytes + (1 << 20), logger: logger) { session in
            let state = try await session.select(start.folder)
            var lastUID = UInt32(clamping: start.last_uid)
            let sql = app.db as! any SQLDatabase
            if start.uid_validity != Int(state.uidValidity) {
                if start.uid_validity != 0 {
                    logger.notice("mailbox UIDVALIDITY changed; reading the folder again (Message-IDs keep out duplicates)",
                                  metadata: ["mailbox": "\(start.address)", "was": "\(start.uid_validity)", "now": "\(state.uidValidity)"])
                }
                lastUID = 0
                let moved = try await app.services.gate.run {
                    try await sql.raw("""
                        UPDATE mailboxes SET uid_validity = \(bind: Int(state.uidValidity)), last_uid = 0, last_error = NULL, last_error_step = NULL
                        WHERE id = \(bind: start.id) AND lease_owner = \(bind: owner) RETURNING id
                        """).all().count
                }
                guard moved == 1 else { throw LostLease() }
            } else {
                try await app.services.gate.run {
                    try await sql.raw("UPDATE mailboxes SET last_error = NULL, last_error_step = NULL WHERE id = \(bind: start.id)").run()
                }
            }
            // Messages committed before a crash may still wait for their after-import step.
            if lastUID > 0 {
                let waiting = try await session.uidsUpTo(lastUID, unseenOnly: start.after_import == "seen")
                try await afterImport(waiting, mailbox: start, session: &session)
            }
            var lastRenewal = Date()
            while !stop() {
                let uids = try await session.uidsAbove(lastUID)
                if !uids.isEmpty {
                    for batch in try await batches(uids, session: &session, maxBytes: maxBytes) {
                        guard !stop() else { break }
                        lastUID = try await importBatch(batch, mailbox: start, validity: state.uidValidity, owner: owner, session: &session, app: app)
                        lastRenewal = Date()
                    }
                    continue
                }
                guard try await renew(start.id, owner: owner, checked: true, app: app) else { throw LostLease() }
                lastRenewal = Date()
                if session.supportsIdle {
                    _ = try await session.idle(for: .seconds(configuration.imapIdleSeconds)) {
                        if stop() { return false }
                        if Date().timeIntervalSince(lastRenewal) >= leaseSeconds / 3 {
                            lastRenewal = Date()
                            return (try? await renew(start.id, owner: owner, checked: false, app: app)) ?? false
                        }
                        return true
                    }
                } else {
                    let until = Date().addingTimeInterval(Double(configuration.imapPollSeconds))
                    while Date() < until && !stop() {
                        await app.services.mailSignal.wait(timeout: .seconds(min(5, Double(configuration.imapPollSeconds))))
                        if Date().timeIntervalSince(lastRenewal) >= leaseSeconds / 3 {
                            guard try await renew(start.id, owner: owner, checked: false, app: app) else { throw LostLease() }
                            lastRenewal = Date()
                        }
                    }
                    _ = try await session.noop()
                }
            }
        }
    }

    /// Renews the hold; false when it was lost.
    static func renew(_ id: Int, owner: String, checked: Bool, app: Application) async throws -> Bool {
        let sql = app.db as! any SQLDatabase
        let now = Date()
        let checkedAt: SQLQueryString = checked ? ", last_checked_at = \(bind: now)" : ""
        return try await app.services.gate.run {
            try await sql.raw("UPDATE mailboxes SET lease_until = \(bind: now.addingTimeInterval(leaseSeconds))" + checkedAt
                              + " WHERE id = \(bind: id) AND lease_owner = \(bind: owner) AND enabled = \(bind: true) RETURNING id").all().count == 1
        }
    }

    /// UIDs in fetch batches of at most 8 MiB and 50 messages; a message over the size limit alone,
    /// marked so only its header is fetched.
    static func batches(_ uids: [UInt32], session: inout IMAPSession, maxBytes: Int) async throws -> [[(uid: UInt32, oversized: Bool)]] {
        var out: [[(uid: UInt32, oversized: Bool)]] = []
        for start in stride(from: 0, to: uids.count, by: 500) {
            let part = Array(uids[start..<min(start + 500, uids.count)])
            let sizes = try await session.sizes(part)
            var current: [(uid: UInt32, oversized: Bool)] = []
            var bytes = 0
            for uid in part {
                let size = sizes[uid] ?? 0
                if size > maxBytes {
                    out.append([(uid, true)])
                    continue
                }
                if !current.isEmpty && (current.count >= 50 || bytes + size > 8 << 20) {
                    out.append(current)
                    current = []
                    bytes = 0
                }
                current.append((uid, false))
                bytes += size
            }
            if !current.isEmpty { out.append(current) }
        }
        return out
    }

    /// Fetches, stores and commits one batch with the new last UID; then the after-import step.
    static func importBatch(_ batch: [(uid: UInt32, oversized: Bool)], mailbox: MailboxRow, validity: UInt32, owner: String,
                            session: inout IMAPSession, app: Application) async throws -> UInt32 {
        let whole = batch.filter { !$0.oversized }.map(\.uid)
        let heads = batch.filter(\.oversized).map(\.uid)
        var received: [MailInbox.Incoming] = []
        for message in try await session.fetch(whole) {
            var item = Self.incoming(message.raw, mailbox: mailbox)
            item.mailboxID = mailbox.id
            received.append(item)
        }
        for message in try await session.fetch(heads, headersOnly: true) {
            // Too large to take: kept in quarantine with its headers so an admin sees it; the message
            // itself stays in the mailbox untouched.
            var item = Self.incoming(message.raw, mailbox: mailbox)
            item.mailboxID = mailbox.id
            item.status = "quarantined"
            item.reason = "larger than ZAYAVKA_MAIL_MAX_MB (\(app.services.configuration.mail.maxMessageBytes >> 20) MiB): left in the mailbox, not imported"
            received.append(item)
        }
        let last = batch.map(\.uid).max() ?? 0
        let sql = app.db as! any SQLDatabase
        let now = Date()
        let stored = received
        try await app.services.gate.run {
            try await app.db.transaction { db in
                let sql = db as! any SQLDatabase
                // The position moves in the same commit as the bytes, and only while this instance holds the mailbox.
                let moved = try await sql.raw("""
                    UPDATE mailboxes SET last_uid = \(bind: Int(last)), imported = imported + \(bind: whole.count), last_imported_at = \(bind: now),
                           last_checked_at = \(bind: now), lease_until = \(bind: now.addingTimeInterval(leaseSeconds))
                    WHERE id = \(bind: mailbox.id) AND lease_owner = \(bind: owner) AND uid_validity = \(bind: Int(validity)) RETURNING id
                    """).all().count
                guard moved == 1 else { throw LostLease() }
                if !stored.isEmpty { _ = try await MailInbox.write(stored, on: sql) }
            }
        }
        _ = sql
        imported.increment(by: whole.count)
        MailWorker.poke(app.services)
        try await afterImport(whole, mailbox: mailbox, session: &session)
        return last
    }

    static func incoming(_ raw: [UInt8], mailbox: MailboxRow) -> MailInbox.Incoming {
        let headers = MIMEParser.headers(of: raw)
        let returnPath = MailAddress.list(headers["Return-Path"]).first?.address ?? MailAddress.list(headers["From"]).first?.address ?? ""
        return MailInbox.Incoming(raw: raw, envelopeFrom: returnPath, envelopeTo: [mailbox.address])
    }

    /// Marks, moves or deletes messages whose bytes are committed.
    static func afterImport(_ uids: [UInt32], mailbox: MailboxRow, session: inout IMAPSession) async throws {
        guard !uids.isEmpty else { return }
        switch mailbox.after_import {
        case "move": try await session.move(uids, to: mailbox.move_folder ?? "Archive")
        case "delete": try await session.delete(uids)
        default: try await session.markSeen(uids)
        }
    }

    /// Saves copies of sent mail in the mailbox's Sent folder (best effort, after delivery).
    static func saveSentCopies(_ messages: [[UInt8]], mailbox: MailboxRow, app: Application) {
        guard let server = try? mailbox.imapServer(app.services.configuration) else { return }
        let folder = mailbox.sent_folder
        let group = app.eventLoopGroup
        let logger = app.logger
        Task {
            do {
                try await IMAPClient.withSession(server, group: group) { session in
                    for message in messages { try await session.append(message, to: folder) }
                }
            } catch {
                logger.warning("could not save a copy in the Sent folder", metadata: ["mailbox": "\(mailbox.address)", "error": "\(error)"])
            }
        }
    }
}

/// Keeps one fetching task per enabled mailbox on this instance; each task takes the mailbox's
/// lease when it is free, so several instances share the work and never fetch one mailbox twice.
final class MailboxSupervisor: Sendable {
    let owner: String
    private let tasks = NIOLockedValueBox<[Int: (updatedAt: Date, task: Task<Void, Never>, stop: NIOLockedValueBox<Bool>)]>([:])

    init() {
        owner = ProcessIdentity.holder()
    }

    /// Starts tasks for new or changed mailboxes and stops those for removed ones; called every few seconds.
    func reconcile(app: Application) async throws {
        let sql = app.db as! any SQLDatabase
        // Keeps the SMTP listener's list of support addresses current.
        _ = try await app.services.mailboxes.entries(sql)
        try await releaseOrphans(app: app)
        var wanted: [Int: Date] = [:]
        for row in try await sql.raw("SELECT id, updated_at FROM mailboxes WHERE enabled = \(bind: true) AND imap_host IS NOT NULL").all() {
            wanted[try row.decode(column: "id", as: Int.self)] = try row.decode(column: "updated_at", as: Date.self)
        }
        let stale: [(Int, Task<Void, Never>, NIOLockedValueBox<Bool>)] = tasks.withLockedValue { running in
            var out: [(Int, Task<Void, Never>, NIOLockedValueBox<Bool>)] = []
            for (id, entry) in running where wanted[id] != entry.updatedAt {
                out.append((id, entry.task, entry.stop))
                running[id] = nil
            }
            return out
        }
        for (_, task, stop) in stale {
            stop.withLockedValue { $0 = true }
            task.cancel()
            await task.value
        }
        for (id, updatedAt) in wanted where tasks.withLockedValue({ $0[id] == nil }) {
            let stop = NIOLockedValueBox(false)
            let owner = self.owner
            let task = Task { await Self.run(id, owner: owner, app: app, stop: stop) }
            tasks.withLockedValue { $0[id] = (updatedAt, task, stop) }
        }
    }

    /// Holds left by a process of this machine that is gone (killed, crashed): released at once, so a
    /// restarted desk does not wait out the 90 s. Holds of other machines run out by themselves.
    func releaseOrphans(app: Application) async throws {
        let sql = app.db as! any SQLDatabase
        for row in try await sql.raw("SELECT id, lease_owner FROM mailboxes WHERE lease_owner LIKE \(bind: ProcessIdentity.host + "/%")").all() {
            let id = try row.decode(column: "id", as: Int.self)
            let holder = try row.decode(column: "lease_owner", as: String.self)
            guard holder != owner, ProcessIdentity.isGone(holder) else { continue }
            try await app.services.gate.run {
                try await sql.raw("UPDATE mailboxes SET lease_owner = NULL, lease_until = NULL WHERE id = \(bind: id) AND lease_owner = \(bind: holder)").run()
            }
            app.logger.notice("released the hold of a process that is gone", metadata: ["mailbox": "\(id)", "holder": "\(holder)"])
        }
    }

    func stopAll(app: Application) async {
        let all = tasks.withLockedValue { running in
            let all = Array(running)
            running = [:]
            return all
        }
        for (_, entry) in all {
            entry.stop.withLockedValue { $0 = true }
            entry.task.cancel()
        }
        for (id, entry) in all {
            await entry.task.value
            await MailboxFetcher.release(id, owner: owner, app: app)
        }
    }

    /// One mailbox's life on this instance: wait for its lease, fetch while holding it, back off on failure.
    private static func run(_ id: Int, owner: String, app: Application, stop: NIOLockedValueBox<Bool>) async {
        let shouldStop: @Sendable () -> Bool = { stop.withLockedValue { $0 } || Task.isCancelled }
        var backoff: Double = 2
        while !shouldStop() {
            let row: MailboxRow?
            do { row = try await MailboxFetcher.acquire(id, owner: owner, app: app) } catch {
                row = nil
            }
            guard let row else {
                // Another instance holds it: look again in a while.
                try? await Task.sleep(for: .seconds(MailboxFetcher.leaseSeconds / 9))
                continue
            }
            do {
                try await MailboxFetcher.session(row, owner: owner, app: app, stop: shouldStop)
                backoff = 2
            } catch is MailboxFetcher.LostLease {
                continue
            } catch is CancellationError {
                break
            } catch let error as IMAPError {
                if shouldStop() { break }
                app.logger.warning("mailbox fetch failed", metadata: ["mailbox": "\(row.address)", "error": "\(error)"])
                await MailboxFetcher.recordError(id, step: error.step.rawValue, message: error.description, app: app)
                try? await Task.sleep(for: .seconds(backoff))
                backoff = min(backoff * 2, 300)
            } catch is MailboxSecrets.NoKey, is MailboxSecrets.Unreadable {
                await MailboxFetcher.recordError(id, step: "password", message: "the stored password cannot be decrypted (ZAYAVKA_SECRET_KEY)", app: app)
                try? await Task.sleep(for: .seconds(300))
            } catch {
                if shouldStop() { break }
                app.logger.warning("mailbox fetch failed", metadata: ["mailbox": "\(row.address)", "error": "\(error)"])
                await MailboxFetcher.recordError(id, step: "command", message: "\(error)", app: app)
                try? await Task.sleep(for: .seconds(backoff))
                backoff = min(backoff * 2, 300)
            }
        }
    }
}
