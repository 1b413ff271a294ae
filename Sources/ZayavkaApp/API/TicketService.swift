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

    /// The next ticket number: a PostgreSQL sequence, or SQLite's counter row (inside the serialised transaction).
    static func nextNumber(on db: any Database) async throws -> Int {
        let sql = db as! any SQLDatabase
        if sql.dialect.name == "postgresql" {
            return try await sql.raw("SELECT nextval('ticket_number_seq') AS value").first()!.decode(column: "value", as: Int.self)
        }
        return try await sql.raw("UPDATE counters SET value = value + 1 WHERE name = 'ticket_number' RETURNING value")
            .first()!.decode(column: "value", as: Int.self)
    }

    // MARK: Create

    static func create(_ input: TicketCreateInput, request: Request) async throws -> TicketDTO {
        let viewer = try request.viewer
        let catalog = try await request.services.catalog.snapshot(request.db)
        let isCustomer = !viewer.role.can(.fileTicketsForOthers)
        var errors: [FieldError] = []
        if isCustomer {
            let staffOnly: [(String, Bool)] = [
                ("requester_id", input.requesterId != nil && input.requesterId != viewer.userID),
                ("requester_email", input.requesterEmail != nil), ("priority", input.priority != nil),
                ("responsibility", input.responsibility != nil), ("cause", input.cause != nil), ("status", input.status != nil),
                ("assignee_id", input.assigneeId != nil), ("group_id", input.groupId != nil),
                ("channel", input.channel.map { ![.web, .api, .widget].contains($0) } ?? false),
            ]
            errors += staffOnly.filter(\.1).map { FieldError($0.0, .notAllowed) }
        }
        let type = input.type ?? .question
        do {
            try TicketRules.validateNew(subject: input.subject, body: input.body, type: type, dueAt: input.dueAt,
                                        fields: input.fields ?? [:], intake: catalog.intake,
                                        checkRequiredFields: isCustomer, now: Date())
        } catch ZayavkaError.validation(let more) { errors += more }
        let initialStatus = input.status ?? "new"
        if initialStatus != "new" {
            do { try catalog.workflow.checkTransition(from: "new", to: initialStatus, by: .staff) }
            catch { errors.append(FieldError("status", .notAllowed, initialStatus)) }
        }
        if let cause = input.cause, cause.count > TicketLimits.causeMaxLength {
            errors.append(FieldError("cause", .tooLong, String(TicketLimits.causeMaxLength)))
        }
        if !errors.isEmpty { throw ZayavkaError.validation(errors) }

        let requester = try await resolveRequester(input, viewer: viewer, request: request)
        try await checkAssignment(assigneeID: input.assigneeId, groupID: input.groupId, on: request.db)
        let uploads = try await pendingUploads(input.attachments ?? [], uploader: viewer.userID, on: request.db)
        let channel = input.channel ?? .api
        let now = Date()
        let fields = (input.fields ?? [:]).filter { !$0.value.isEmpty }

        let number = try await request.write { db in
            let ticket = TicketRecord()
            ticket.number = try await nextNumber(on: db)
            ticket.setSubject(input.subject.trimmingCharacters(in: .whitespacesAndNewlines))
            ticket.requesterID = requester.id
            ticket.organizationID = requester.organizationID
            ticket.channel = channel.rawValue
            ticket.type = type.rawValue
            ticket.priority = (input.priority ?? .normal).rank
            ticket.urgency = input.urgency?.level
            ticket.responsibility = input.responsibility?.rawValue
            ticket.cause = input.cause
            ticket.status = initialStatus
            ticket.assigneeID = input.assigneeId
            ticket.groupID = input.groupId
            ticket.dueAt = input.dueAt
            ticket.createdByID = viewer.userID
            ticket.createdAt = now
            ticket.updatedAt = now
            try await ticket.create(on: db)
            let ticketID = ticket.id!
            for (key, value) in fields.sorted(by: { $0.key < $1.key }) {
                try await TicketFieldValueRecord(ticketID: ticketID, key: key, value: value).create(on: db)
            }
            let comment = CommentRecord()
            comment.ticketID = ticketID
            comment.authorID = requester.id == viewer.userID ? viewer.userID : requester.id
            comment.body = input.body
            comment.isPublic = true
            comment.source = channel.rawValue
            comment.createdAt = now
            try await comment.create(on: db)
            try await TicketEventRecord(ticketID: ticketID, actorID: viewer.userID, kind: .created, after: initialStatus,
                                        isPublic: true, at: now).create(on: db)
            try await TicketEventRecord(ticketID: ticketID, actorID: viewer.userID, kind: .commentAdded,
                                        commentID: comment.id, isPublic: true, at: now).create(on: db)
            try await attach(uploads, ticketID: ticketID, commentID: comment.id!, actorID: viewer.userID, isPublic: true, at: now, on: db)
            return ticket.number
        }
        ticketsCreated.increment()
        return try await TicketQueries.dto(number: number, request: request)
    }

    private struct Requester { let id: Int; let organizationID: Int? }

    /// The customer a ticket is for: the viewer, an existing user, or a new customer found by email.
    private static func resolveRequester(_ input: TicketCreateInput, viewer: Viewer, request: Request) async throws -> Requester {
        if let id = input.requesterId {
            guard let user = try await UserRecord.find(id, on: request.db) else {
                throw ZayavkaError.validation([FieldError("requester_id", .unknownValue)])
            }
            return Requester(id: id, organizationID: user.organizationID)
        }
        if let rawEmail = input.requesterEmail {
            let email = rawEmail.trimmingCharacters(in: .whitespaces).lowercased()
            guard UserService.isPlausibleEmail(email) else { throw ZayavkaError.validation([FieldError("requester_email", .invalid)]) }
            if let user = try await UserRecord.query(on: request.db).filter(\.$email == email).first() {
                return Requester(id: user.id!, organizationID: user.organizationID)
            }
            let name = input.requesterName?.trimmingCharacters(in: .whitespaces)
            let user = UserRecord(email: email, name: (name?.isEmpty ?? true) ? String(email.prefix(while: { $0 != "@" })) : name!,
                                  role: .customer, locale: request.language)
            try await request.write { db in try await user.create(on: db) }
            return Requester(id: user.id!, organizationID: nil)
        }
        let me = try await UserRecord.find(viewer.userID, on: request.db)
        return Requester(id: viewer.userID, organizationID: me?.organizationID)
    }

    /// An assignee must be active staff; a group must exist.
    static func checkAssignment(assigneeID: Int?, groupID: Int?, on db: any Database) async throws {
        var errors: [FieldError] = []
        if let assigneeID {
            let user = try await UserRecord.find(assigneeID, on: db)
            if user == nil || !(user!.roleValue.isStaff) || !user!.isActive { errors.append(FieldError("assignee_id", .unknownValue)) }
        }
        if let groupID, try await GroupRecord.find(groupID, on: db) == nil { errors.append(FieldError("group_id", .unknownValue)) }
        if !errors.isEmpty { throw ZayavkaError.validation(errors) }
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

    static func attach(_ uploads: [AttachmentRecord], ticketID: Int, commentID: Int, actorID: Int, isPublic: Bool, at now: Date,
                       on db: any Database) async throws {
        for upload in uploads {
            upload.ticketID = ticketID
            upload.commentID = commentID
            try await upload.update(on: db)
            try await TicketEventRecord(ticketID: ticketID, actorID: actorID, kind: .attachmentAdded, after: upload.filename,
                                        commentID: commentID, isPublic: isPublic, at: now).create(on: db)
        }
    }

    // MARK: Update

    static func update(number: Int, input: TicketPatchInput, request: Request) async throws -> TicketDTO {
        let viewer = try request.viewer
        _ = try await TicketQueries.load(number: number, viewer: viewer, on: request.sql)
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
        let catalog = try await request.services.catalog.snapshot(request.db)
        if patch.assigneeID != nil || patch.groupID != nil {
            try await checkAssignment(assigneeID: patch.assigneeID ?? nil, groupID: patch.groupID ?? nil, on: request.db)
        }
        try await request.write { db in
            guard let ticket = try await TicketRecord.query(on: db).filter(\.$number == number).first() else {
                throw ZayavkaError.notFound(entity: "ticket", id: String(number))
            }
            let fieldRows = try await TicketFieldValueRecord.query(on: db).filter(\.$ticketID == ticket.id!).all()
            let state = ticket.state(fields: Dictionary(fieldRows.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a }))
            let (next, changes) = try TicketRules.apply(patch, to: state, workflow: catalog.workflow, intake: catalog.intake, actor: actor)
            guard !changes.isEmpty else { return }
            let now = Date()
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
            for change in changes {
                try await event(for: change, ticketID: ticket.id!, actorID: viewer.userID, catalog: catalog, at: now).create(on: db)
            }
        }
        return try await TicketQueries.dto(number: number, request: request)
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

    /// The history event for one field change; staff-only fields make staff-only events.
    static func event(for change: FieldChange, ticketID: Int, actorID: Int?, catalog: CatalogCache.Snapshot, at now: Date) -> TicketEventRecord {
        let kind: EventKind = switch change.field {
        case "status": .statusChanged
        case "assignee_id": .assigned
        default: .fieldChanged
        }
        var isPublic = !Visibility.staffOnlyFields.contains(change.field) || change.field == "assignee_id"
        if change.field == "urgency" { isPublic = true }
        if change.field.hasPrefix("fields.") {
            isPublic = catalog.intake.first(where: { "fields." + $0.key == change.field })?.customerVisible ?? false
        }
        return TicketEventRecord(ticketID: ticketID, actorID: actorID, kind: kind, field: change.field,
                                 before: change.before, after: change.after, isPublic: isPublic, at: now)
    }
}
