import Fluent
import Foundation
import Metrics
import SQLKit
import Vapor
import ZayavkaCore

/// Ticket writes: each is one transaction that stores the change and its history events together.
enum TicketService {
    static let ticketsCreated = Counter(label: "zayavka_tickets_created_total")
    static let commentsCreated = Counter(label: "zayavka_comments_created_total")

    // MARK: Create

    /// Creation with the client's `Idempotency-Key`: the ticket an earlier request with the key made
    /// (`replayed`), or a new one recorded under the key in its own transaction. A repeat that
    /// races the original loses on the key's unique index and replays too.
    static func create(_ input: TicketCreateInput, idempotency: IdempotencyKey, context: ServiceContext) async throws -> (ticket: TicketDTO, replayed: Bool) {
        if let earlier = try await idempotency.replay(context: context) { return (earlier, true) }
        do {
            return (try await create(input, idempotency: Optional(idempotency), context: context), false)
        } catch {
            guard UniqueViolation.matches(error),
                  let earlier = try await idempotency.replay(context: context) else { throw error }
            return (earlier, true)
        }
    }

    static func create(_ input: TicketCreateInput, idempotency: IdempotencyKey? = nil, context: ServiceContext) async throws -> TicketDTO {
        let viewer = try context.viewer
        let catalog = try await context.services.catalog.snapshot(context.db)
        let isCustomer = !viewer.role.can(.fileTicketsForOthers)
        let intake = context.mailIntake
        var errors: [FieldError] = []
        if isCustomer {
            let staffOnly: [(String, Bool)] = [
                ("requester_id", input.requesterId != nil && input.requesterId != viewer.userID),
                ("requester_email", input.requesterEmail != nil), ("priority", input.priority != nil),
                ("responsibility", input.responsibility != nil), ("cause", input.cause != nil), ("status", input.status != nil),
                ("assignee_id", input.assigneeId != nil), ("group_id", input.groupId != nil && intake == nil),
                ("channel", input.channel.map { ![.web, .api, .widget, .chat].contains($0) && $0 != intake?.channel } ?? false),
            ]
            errors += staffOnly.filter(\.1).map { FieldError($0.0, .notAllowed) }
            // Answers to questions hidden from customers are the team's to give (SPEC V1), as they are theirs to see.
            for key in (input.fields ?? [:]).keys.sorted() where catalog.intake.first(where: { $0.key == key })?.customerVisible == false {
                errors.append(FieldError("fields.\(key)", .notAllowed))
            }
        }
        let type = input.type ?? .question
        do {
            try TicketRules.validateNew(subject: input.subject, body: input.body, type: type, dueAt: input.dueAt,
                                        fields: input.fields ?? [:], intake: catalog.intake,
                                        checkRequiredFields: isCustomer && intake == nil, now: context.now)
        } catch ZayavkaError.validation(let more) { errors += more }
        let initialStatus = input.status ?? "new"
        if initialStatus != "new" {
            do { try catalog.workflow.checkTransition(from: "new", to: initialStatus, by: .staff) }
            catch { errors.append(FieldError("status", .notAllowed, initialStatus)) }
        }
        if let cause = input.cause, cause.isOver(TicketLimits.causeMaxLength) {
            errors.append(FieldError("cause", .tooLong, String(TicketLimits.causeMaxLength)))
        }
        // Every read and check before the first write: a refused request leaves no customer behind
        // and moves no round-robin pointer. The checks that read report their problems together.
        func collecting<T>(_ check: () async throws -> T) async throws -> T? {
            do { return try await check() } catch ZayavkaError.validation(let more) { errors += more; return nil }
        }
        let requesterPlan = try await collecting { try await lookUpRequester(input, context: context) }
        var assignment = try await collecting { try await checkAssignment(assigneeID: input.assigneeId, groupID: input.groupId, on: context.sql) }
        let uploads = try await collecting { try await pendingUploads(input.attachments ?? [], uploader: viewer.userID, on: context.db) }
        guard errors.isEmpty, let requesterPlan, assignment != nil, let uploads else { throw ZayavkaError.validation(errors) }

        // The writes: a new customer, then the group's pick (SPEC T6), then the ticket.
        let requester = try await createIfNeeded(requesterPlan, context: context)
        var assigneeID = input.assigneeId
        if assigneeID == nil, let group = input.groupId {
            let active = catalog.statuses.filter { $0.category.isActive }.map(\.key)
            assigneeID = try await context.write { db in try await AssignmentService.pick(groupID: group, activeStatuses: active, on: db as! any SQLDatabase) }
            if let assigneeID {
                let picked = try await checkAssignment(assigneeID: assigneeID, groupID: nil, on: context.sql)
                assignment = (picked.assignee, assignment?.group)
            }
        }
        let channel = input.channel ?? .api
        let now = context.now
        let fields = (input.fields ?? [:]).filter { !$0.value.isEmpty }
        let subject = input.subject.trimmingCharacters(in: .whitespacesAndNewlines)
        // Seed 002: a critical problem (by its words or the category chosen) has the highest priority.
        let words = RuleText.words(subject + " " + input.body)
        let critical = try await context.services.critical.rules(context.sql).filter { $0.matches(words: words, category: fields["category"]) }.map(\.rule)
        let priority = critical.isEmpty ? input.priority ?? .normal : .urgent
        // Seed 002: a failure several customers report at once may be a mass incident (SPEC P3).
        let failureKind = try await IncidentService.failureKind(words: words, category: fields["category"], context: context)

        let sla = try await slaStart(subject: SLASubject(
            type: type, priority: priority, urgency: input.urgency?.level, plan: nil, organizationID: requester.organization?.id,
            channel: channel, groupID: input.groupId, fields: fields), at: now, context: context)
        let draft = TicketDraft(
            subject: subject, body: input.body, requesterID: requester.person.id, organizationID: requester.organization?.id,
            channel: channel, type: type, priority: priority, urgency: input.urgency?.level,
            responsibility: input.responsibility?.rawValue, cause: input.cause, status: initialStatus,
            assigneeID: assigneeID, groupID: input.groupId, dueAt: input.dueAt, createdByID: viewer.userID,
            fields: fields, uploads: uploads, at: now, sla: sla, mail: intake?.link, critical: critical, failureKind: failureKind,
            idempotency: idempotency)
        let number = try await context.services.tickets.create(draft, on: context.db)
        ticketsCreated.increment()
        if let failureKind { await IncidentService.detectAfterArrival(kind: failureKind, context: context) }
        return TicketFacts(
            number: number, subject: subject, status: initialStatus, type: type, priority: priority, urgency: input.urgency?.level,
            channel: channel, responsibility: input.responsibility, cause: input.cause, requester: requester.person,
            organization: requester.organization, assignee: assignment?.assignee, group: assignment?.group, dueAt: input.dueAt,
            fields: fields, createdAt: now, updatedAt: now, solvedAt: nil, closedAt: nil, nextDueAt: sla?.nextDue
        ).dto(for: viewer, catalog: catalog, language: context.language)
    }

    /// The SLA clocks a new ticket starts; the organization's plan is looked up only when policies exist.
    private static func slaStart(subject: SLASubject, at now: Date, context: ServiceContext) async throws -> SLAStart? {
        let setup = try await context.services.sla.setup(context.sql)
        guard !setup.policies.isEmpty else { return nil }
        var subject = subject
        subject.plan = try await plan(organizationID: subject.organizationID, on: context.sql)
        return SLAStart.plan(for: subject, at: now, setup: setup)
    }

    private struct Requester { let person: PersonRef; let organization: PersonRef? }

    /// Who a ticket is for, found without writing anything: an existing person, or a new customer to create.
    private enum RequesterPlan {
        case existing(Requester)
        case newCustomer(email: String, name: String)
    }

    /// The customer a ticket is for: the signed-in person, an existing user, or a new customer found by email.
    private static func lookUpRequester(_ input: TicketCreateInput, context: ServiceContext) async throws -> RequesterPlan {
        let signedIn = try context.person
        if let id = input.requesterId, id != signedIn.viewer.userID {
            guard let found = try await person(where: "u.id = \(bind: id)", on: context.sql) else {
                throw ZayavkaError.validation([FieldError("requester_id", .unknownValue)])
            }
            try await refuseBanned("requester_id", userID: found.person.id, email: nil, input: input, context: context)
            return .existing(found)
        }
        if let rawEmail = input.requesterEmail {
            let email = rawEmail.trimmingCharacters(in: .whitespaces).lowercased()
            guard UserService.isPlausibleEmail(email) else { throw ZayavkaError.validation([FieldError("requester_email", .invalid)]) }
            if let found = try await person(where: "u.email = \(bind: email)", on: context.sql) {
                try await refuseBanned("requester_email", userID: found.person.id, email: email, input: input, context: context)
                return .existing(found)
            }
            try await refuseBanned("requester_email", userID: nil, email: email, input: input, context: context)
            let name = input.requesterName?.trimmingCharacters(in: .whitespaces) ?? ""
            return .newCustomer(email: email, name: name.isEmpty ? String(email.prefix(while: { $0 != "@" })) : name)
        }
        return .existing(Requester(person: signedIn.person, organization: signedIn.organization))
    }

    /// A ticket filed by staff for a banned customer or address is refused (SPEC X1), except a phone
    /// call's: the call screen shows the ban in red and the agent decides.
    private static func refuseBanned(_ field: String, userID: Int?, email: String?, input: TicketCreateInput, context: ServiceContext) async throws {
        guard input.channel != .phone, context.mailIntake == nil else { return }
        if try await context.services.bans.match(userID: userID, email: email, now: context.now, context.sql) != nil {
            throw ZayavkaError.validation([FieldError(field, .banned)])
        }
    }

    /// Creates the new customer a plan names (the first write of a ticket creation).
    private static func createIfNeeded(_ plan: RequesterPlan, context: ServiceContext) async throws -> Requester {
        switch plan {
        case .existing(let requester): return requester
        case .newCustomer(let email, let name):
            // Race-free across connections and instances: another request may create the same
            // customer between the lookup and this insert; then its row is the requester.
            let now = context.now
            let language = context.language.rawValue
            let created: Int? = try await context.write { db in
                let sql = db as! any SQLDatabase
                let id = try await sql.raw("""
                    INSERT INTO users (email, name, role, locale, time_zone, is_active, created_at, updated_at)
                    VALUES (\(bind: email), \(bind: name), 'customer', \(bind: language), 'Europe/Moscow', \(bind: true), \(bind: now), \(bind: now))
                    ON CONFLICT (email) DO NOTHING RETURNING id
                    """).first()?.decode(column: "id", as: Int.self)
                if let id { try await DirectoryIndex.refresh(users: [id], on: sql) }
                return id
            }
            if let created { return Requester(person: PersonRef(id: created, name: name), organization: nil) }
            guard let existing = try await person(where: "u.email = \(bind: email)", on: context.sql) else {
                throw ZayavkaError.validation([FieldError("requester_email", .unknownValue)])
            }
            return existing
        }
    }

    private static func person(where condition: SQLQueryString, on sql: any SQLDatabase) async throws -> Requester? {
        guard let row = try await sql.raw("""
            SELECT u.id, u.name, u.organization_id, o.name AS organization_name
            FROM users u LEFT JOIN organizations o ON o.id = u.organization_id WHERE
            """ + " " + condition).first() else { return nil }
        let organization = try row.decode(column: "organization_id", as: Int?.self).map {
            PersonRef(id: $0, name: try row.decode(column: "organization_name", as: String.self))
        }
        return Requester(person: PersonRef(id: try row.decode(column: "id", as: Int.self), name: try row.decode(column: "name", as: String.self)),
                         organization: organization)
    }

    /// An assignee must be active staff; a group must exist. Returns both as references.
    @discardableResult
    static func checkAssignment(assigneeID: Int?, groupID: Int?, on sql: any SQLDatabase) async throws -> (assignee: PersonRef?, group: PersonRef?) {
        var errors: [FieldError] = []
        var assignee: PersonRef?
        var group: PersonRef?
        if let assigneeID {
            let row = try await sql.raw("SELECT name, role, is_active FROM users WHERE id = \(bind: assigneeID)").first()
            let role = try row.map { Role(rawValue: try $0.decode(column: "role", as: String.self)) ?? .customer }
            if let row, let role, role.isStaff, try row.decode(column: "is_active", as: Bool.self) {
                assignee = PersonRef(id: assigneeID, name: try row.decode(column: "name", as: String.self))
            } else {
                errors.append(FieldError("assignee_id", .unknownValue))
            }
        }
        if let groupID {
            if let row = try await sql.raw("SELECT name FROM support_groups WHERE id = \(bind: groupID)").first() {
                group = PersonRef(id: groupID, name: try row.decode(column: "name", as: String.self))
            } else {
                errors.append(FieldError("group_id", .unknownValue))
            }
        }
        if !errors.isEmpty { throw ZayavkaError.validation(errors) }
        return (assignee, group)
    }

    /// Uploads the viewer made and has not attached yet, in the order given.
    static func pendingUploads(_ ids: [String], uploader: Int, on db: any Database) async throws -> [AttachmentRecord] {
        guard !ids.isEmpty else { return [] }
        let found = try await AttachmentRecord.query(on: db).filter(\.$publicID ~~ ids).all()
        let usable = found.filter { $0.uploaderID == uploader && $0.commentID == nil }
        let missing = ids.filter { id in !usable.contains(where: { $0.publicID == id }) }
        if !missing.isEmpty { throw ZayavkaError.validation(missing.map { FieldError("attachments", .unknownValue, $0) }) }
        return ids.compactMap { id in usable.first(where: { $0.publicID == id }) }
    }

    /// Links uploads to a comment; returns their history events for the caller to record.
    static func attach(_ uploads: [AttachmentRecord], ticketID: Int, commentID: Int, actorID: Int, isPublic: Bool, at now: Date,
                       on sql: any SQLDatabase) async throws -> [NewEvent] {
        guard !uploads.isEmpty else { return [] }
        try await sql.raw("""
            UPDATE attachments SET ticket_id = \(bind: ticketID), comment_id = \(bind: commentID)
            WHERE id IN (\(binds: uploads.map { $0.id! })) AND comment_id IS NULL
            """).run()
        return uploads.map {
            NewEvent(ticketID: ticketID, actorID: actorID, kind: .attachmentAdded, after: $0.filename, commentID: commentID, isPublic: isPublic, at: now)
        }
    }

    // MARK: Update

    static func update(number: Int, input: TicketPatchInput, context: ServiceContext) async throws -> TicketDTO {
        let prepared = try await prepare(number: number, input: input, context: context)
        try await context.write { db in try await write(prepared, number: number, at: context.now, on: db) }
        return try await TicketQueries.dto(number: number, context: context)
    }

    /// A patch checked against who asks and everything read before the write.
    struct PreparedPatch: Sendable {
        let patch: TicketPatch
        let actor: ActorKind
        let actorID: Int
        let catalog: CatalogCache.Snapshot
        let slaSetup: SLASetupCache.Setup
        let quality: QualitySettings
        let resolution: ResolutionInput?
    }

    /// The checks of a patch that need no transaction: the viewer may see the ticket and change
    /// these fields, the assignee and group exist and fit.
    static func prepare(number: Int, input: TicketPatchInput, context: ServiceContext) async throws -> PreparedPatch {
        let viewer = try context.viewer
        _ = try await TicketQueries.load(number: number, viewer: viewer, on: context.sql)
        let patch = input.corePatch
        let actor: ActorKind
        if viewer.role.can(.editTicketFields) {
            actor = .staff
        } else {
            // Customers confirm a solution or reopen; nothing else.
            guard patch == TicketPatch(status: patch.status), patch.status != nil else {
                throw ZayavkaError.forbidden(reason: "customers change only the status")
            }
            actor = .customer
        }
        let catalog = try await context.services.catalog.snapshot(context.database)
        let slaSetup = try await context.services.sla.setup(context.sql)
        let quality = try await QualitySettingsService.current(services: context.services, on: context.sql)
        let resolution = input.resolution
        if patch.assigneeID != nil || patch.groupID != nil {
            try await checkAssignment(assigneeID: patch.assigneeID ?? nil, groupID: patch.groupID ?? nil, on: context.sql)
        }
        return PreparedPatch(patch: patch, actor: actor, actorID: viewer.userID, catalog: catalog, slaSetup: slaSetup, quality: quality, resolution: resolution)
    }

    /// The writes of a prepared patch inside the caller's transaction: the ticket, its answers, the
    /// SLA clocks, the resolution report and the history. Nothing is written when nothing changes.
    static func write(_ prepared: PreparedPatch, number: Int, at now: Date, on db: any Database) async throws {
        let (catalog, slaSetup, actor, resolution, quality) = (prepared.catalog, prepared.slaSetup, prepared.actor, prepared.resolution, prepared.quality)
        let actorID = prepared.actorID
        guard let ticket = try await TicketRecord.query(on: db).filter(\.$number == number).first() else {
            throw ZayavkaError.notFound(entity: "ticket", id: String(number))
        }
        var patch = prepared.patch
        // Moved to a group that assigns by turn or load, with nobody of that group responsible: it picks one.
        if case .some(.some(let group)) = patch.groupID, group != ticket.groupID, patch.assigneeID == nil {
            let sql = db as! any SQLDatabase
            var needsAgent = true
            if let current = ticket.assigneeID { needsAgent = !(try await AssignmentService.isMember(current, of: group, on: sql)) }
            if needsAgent,
               let agent = try await AssignmentService.pick(groupID: group, activeStatuses: catalog.statuses.filter { $0.category.isActive }.map(\.key), on: sql) {
                patch.assigneeID = .some(agent)
            }
        }
        let fieldRows = try await TicketFieldValueRecord.query(on: db).filter(\.$ticketID == ticket.id!).all()
        let state = ticket.state(fields: Dictionary(fieldRows.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a }))
        let (next, changes) = try TicketRules.apply(patch, to: state, workflow: catalog.workflow, intake: catalog.intake, actor: actor)
        // Staff solving it write the resolution report (SPEC V6); checked before anything is written.
        let solving = state.status != next.status && catalog.workflow.definition(next.status)?.category == .solved
        let report = try ResolutionService.check(resolution, solving: solving, type: next.type, isStaff: actor == .staff, settings: quality)
        guard !changes.isEmpty else { return }
        ticket.apply(next)
        stampStatusTimes(ticket, from: state.status, to: next.status, workflow: catalog.workflow, now: now)
        ticket.updatedAt = now
        try await ticket.update(on: db)
        for change in changes where change.field.hasPrefix("fields.") {
            let key = String(change.field.dropFirst(7))
            if let value = change.after {
                if let row = fieldRows.first(where: { $0.key == key }) {
                    row.value = value
                    try await row.update(on: db)
                } else {
                    try await TicketFieldValueRecord(ticketID: ticket.id!, key: key, value: value).create(on: db)
                }
            } else {
                try await TicketFieldValueRecord.query(on: db).filter(\.$ticketID == ticket.id!).filter(\.$key == key).delete()
            }
        }
        if state.status != next.status, let from = catalog.workflow.definition(state.status)?.category,
           let to = catalog.workflow.definition(next.status)?.category {
            try await SLAClocks.handle(.statusChanged(from: from, to: to), ticketID: ticket.id!, at: now,
                                       setup: slaSetup, on: db as! any SQLDatabase)
        }
        var events = changes.map {
            History.event(for: $0, ticketID: ticket.id!, actorID: actorID, intake: catalog.intake, at: now)
        }
        // Type, priority, urgency, group and intake answers choose the policy: a change recomputes the due times.
        let policyFields = changes.map(\.field).filter { ["type", "priority", "urgency", "group_id"].contains($0) || $0.hasPrefix("fields.") }
        if !policyFields.isEmpty, !slaSetup.policies.isEmpty {
            events += try await SLAClocks.replan(
                ticketID: ticket.id!, subject: try await slaSubject(of: ticket, fields: next.fields, on: db as! any SQLDatabase),
                createdAt: ticket.createdAt, firstResponseAt: ticket.firstResponseAt,
                waitingSince: catalog.workflow.definition(next.status)?.category == .pending ? now : nil,
                reason: policyFields.joined(separator: ","), actorID: actorID, at: now, setup: slaSetup, on: db as! any SQLDatabase)
        }
        if let report {
            events.append(try await ResolutionService.write(report, ticketID: ticket.id!, authorID: actorID, at: now, on: db as! any SQLDatabase))
        }
        // The customer reopens a solved ticket: the report's answer is "still not working".
        if actor == .customer, catalog.workflow.definition(state.status)?.category == .solved,
           catalog.workflow.definition(next.status)?.category != .solved {
            try await ResolutionService.recordOutcome("not_working", ticketID: ticket.id!, at: now, on: db as! any SQLDatabase)
        }
        if changes.contains(where: { $0.field == "subject" }) {
            // Every message's index entry carries the subject.
            try await SearchIndex.reindex(tickets: [ticket.id!], on: db as! any SQLDatabase)
        }
        try await History.record(events, on: db as! any SQLDatabase)
    }

    /// The facts SLA policies are chosen by, as the ticket stands.
    static func slaSubject(of ticket: TicketRecord, fields: [String: String], on sql: any SQLDatabase) async throws -> SLASubject {
        SLASubject(type: TicketType(rawValue: ticket.type) ?? .question, priority: TicketPriority(rank: ticket.priority) ?? .normal,
                          urgency: ticket.urgency, plan: try await plan(organizationID: ticket.organizationID, on: sql),
                          organizationID: ticket.organizationID,
                          channel: TicketChannel(rawValue: ticket.channel) ?? .api, groupID: ticket.groupID, fields: fields)
    }

    /// An organization's plan (paid or free); nil without an organization.
    static func plan(organizationID: Int?, on sql: any SQLDatabase) async throws -> CustomerPlan? {
        guard let organizationID,
              let row = try await sql.raw("SELECT plan FROM organizations WHERE id = \(bind: organizationID)").first() else { return nil }
        return CustomerPlan(rawValue: try row.decode(column: "plan", as: String.self))
    }

    /// Solved and closed times follow the status category; reopening clears the solution time.
    static func stampStatusTimes(_ ticket: TicketRecord, from: String, to: String, workflow: StatusWorkflow, now: Date) {
        guard from != to, let category = workflow.definition(to)?.category else { return }
        switch category {
        case .solved: ticket.solvedAt = now
        case .closed: ticket.closedAt = now
        default: ticket.solvedAt = nil
        }
    }
}
