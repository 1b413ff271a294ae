import Fluent
import Foundation
import ZayavkaCore

/// A support request (SPEC T1–T7). `number` is the human-friendly id customers see; `id` is internal.
final class TicketRecord: Model, @unchecked Sendable {
    static let schema = "tickets"

    @ID(custom: "id", generatedBy: .database) var id: Int?
    @Field(key: "number") var number: Int
    @Field(key: "subject") private(set) var subject: String
    /// The subject folded for search (see `TextFolding`); kept in step by `setSubject`.
    @Field(key: "subject_folded") private(set) var subjectFolded: String
    @Field(key: "requester_id") var requesterID: Int
    @OptionalField(key: "organization_id") var organizationID: Int?
    @Field(key: "channel") var channel: String
    @Field(key: "type") var type: String
    @Field(key: "priority") var priority: Int
    @OptionalField(key: "urgency") var urgency: Int?
    @OptionalField(key: "responsibility") var responsibility: String?
    @OptionalField(key: "cause") var cause: String?
    @Field(key: "status") var status: String
    @OptionalField(key: "assignee_id") var assigneeID: Int?
    @OptionalField(key: "group_id") var groupID: Int?
    @OptionalField(key: "due_at") var dueAt: Date?
    @OptionalField(key: "promised_at") var promisedAt: Date?
    @OptionalField(key: "problem_id") var problemID: Int?
    @OptionalField(key: "created_by_id") var createdByID: Int?
    @OptionalField(key: "first_response_at") var firstResponseAt: Date?
    @OptionalField(key: "solved_at") var solvedAt: Date?
    @OptionalField(key: "closed_at") var closedAt: Date?
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date

    init() {}

    func setSubject(_ value: String) {
        subject = value
        subjectFolded = TextFolding.fold(value)
    }

    /// The rules' view of this record.
    func state(fields: [String: String]) -> TicketState {
        TicketState(subject: subject, type: TicketType(rawValue: type) ?? .question,
                    priority: TicketPriority(rank: priority) ?? .normal, urgency: urgency.flatMap(Urgency.init),
                    responsibility: responsibility.flatMap(Responsibility.init(rawValue:)), cause: cause,
                    status: status, assigneeID: assigneeID, groupID: groupID, requesterID: requesterID,
                    organizationID: organizationID, dueAt: dueAt, fields: fields)
    }

    /// Copies what the rules decided back onto the record.
    func apply(_ state: TicketState) {
        setSubject(state.subject)
        type = state.type.rawValue
        priority = state.priority.rank
        urgency = state.urgency?.level
        responsibility = state.responsibility?.rawValue
        cause = state.cause
        status = state.status
        assigneeID = state.assigneeID
        groupID = state.groupID
        dueAt = state.dueAt
    }
}

/// One answer to an intake question on one ticket; a row per field keeps them queryable.
final class TicketFieldValueRecord: Model, @unchecked Sendable {
    static let schema = "ticket_field_values"

    @ID(custom: "id", generatedBy: .database) var id: Int?
    @Field(key: "ticket_id") var ticketID: Int
    @Field(key: "key") var key: String
    @Field(key: "value") var value: String

    init() {}

    init(ticketID: Int, key: String, value: String) {
        self.ticketID = ticketID
        self.key = key
        self.value = value
    }
}

/// A public reply or an internal note (SPEC V1).
final class CommentRecord: Model, @unchecked Sendable {
    static let schema = "comments"

    @ID(custom: "id", generatedBy: .database) var id: Int?
    @Field(key: "ticket_id") var ticketID: Int
    @OptionalField(key: "author_id") var authorID: Int?
    @Field(key: "body") var body: String
    @Field(key: "is_public") var isPublic: Bool
    @Field(key: "source") var source: String
    @Field(key: "created_at") var createdAt: Date

    init() {}
}

/// A file, stored on disk under the data folder; attached to a comment once it is posted.
final class AttachmentRecord: Model, @unchecked Sendable {
    static let schema = "attachments"

    @ID(custom: "id", generatedBy: .database) var id: Int?
    @Field(key: "public_id") var publicID: String
    @OptionalField(key: "ticket_id") var ticketID: Int?
    @OptionalField(key: "comment_id") var commentID: Int?
    @Field(key: "uploader_id") var uploaderID: Int
    @Field(key: "filename") var filename: String
    @Field(key: "content_type") var contentType: String
    @Field(key: "size") var size: Int
    @Field(key: "sha256") var sha256: String
    @Field(key: "storage_key") var storageKey: String
    @Field(key: "created_at") var createdAt: Date
    /// A mail attachment's Content-ID, so the message's HTML can show it where `cid:` points.
    @OptionalField(key: "content_id") var contentID: String?

    init() {}

    /// A new upload, not attached to anything yet: the name cleaned and bounded like every upload's.
    init(uploaderID: Int, filename: String, contentType: String, size: Int, sha256: String, storageKey: String, at now: Date,
         contentID: String? = nil) {
        publicID = UUID().uuidString.lowercased()
        self.uploaderID = uploaderID
        self.filename = String(ConversationService.safeFilename(filename).prefix(255))
        self.contentType = String(contentType.prefix(200))
        self.size = size
        self.sha256 = sha256
        self.storageKey = storageKey
        createdAt = now
        self.contentID = contentID.map { String($0.prefix(250)) }
    }
}

// The history (table ticket_events) is written only through `History.record` and read with SQL;
// it has no model, because nothing may update an event.

/// What kind of fact an event records.
enum EventKind: String, Codable, CaseIterable {
    case created, fieldChanged = "field_changed", statusChanged = "status_changed", assigned
    case commentAdded = "comment_added", noteAdded = "note_added", attachmentAdded = "attachment_added"
    case slaWarning = "sla_warning", slaBreached = "sla_breached", slaRecomputed = "sla_recomputed"
    /// What a public reply was (SPEC T9): field "answer", after solution | promise | refusal, reason the promised time or the refusal's reason.
    case answerGiven = "answer_given"
    /// Work planned into a specialist's calendar (SPEC S4): after the user, reason the slot.
    case workPlanned = "work_planned"
    /// Critical-problem rules matched (SPEC T4): after the rule keys, comma-separated.
    case markedCritical = "marked_critical"
    /// A hand-off route was taken (SPEC T8): after the route key.
    case routed
    /// Seed 001's remark was posted to the customer (SPEC V8): after the requester's id.
    case conductWarning = "conduct_warning"
    /// After a repeat offence the agent asked for the customer's ban (carried out by a later feature).
    case banRequested = "ban_requested"
    /// A call about the ticket (SPEC C5): field the direction (in, out), after the outcome, reason the number.
    case callLogged = "call_logged"
    /// A callback was scheduled: after its time (ISO 8601), reason the number.
    case callbackScheduled = "callback_scheduled"
    /// The customer confirmed the solution («Да, решено»): after the status it confirmed.
    case solutionConfirmed = "solution_confirmed"
    /// Linked to a known problem (SPEC P1): after its code (P-101).
    case problemLinked = "problem_linked"
    /// Unlinked from a known problem: before its code.
    case problemUnlinked = "problem_unlinked"
    /// A public update of the linked problem was posted as a reply (the comment); after the code. Its
    /// parties get one mail each from the problem, so this event mails nobody.
    case problemUpdate = "problem_update"
    /// A resolution report was written with the solution (SPEC V6): after its id.
    case resolutionReported = "resolution_reported"
    /// The customer rated the support (SPEC Q1): before and after the rating, reason their comment.
    case satisfactionRated = "satisfaction_rated"
}

/// A status a team uses, built-in or its own hand-off status.
final class StatusRecord: Model, @unchecked Sendable {
    static let schema = "ticket_statuses"

    @ID(custom: "id", generatedBy: .database) var id: Int?
    @Field(key: "key") var key: String
    @Field(key: "category") var category: String
    @Field(key: "name_ru") var nameRu: String
    @Field(key: "name_en") var nameEn: String
    @Field(key: "is_builtin") var isBuiltIn: Bool
    @Field(key: "position") var position: Int

    init() {}

    var definition: StatusDefinition? {
        StatusCategory(rawValue: category).map {
            StatusDefinition(key: key, category: $0, nameRu: nameRu, nameEn: nameEn, isBuiltIn: isBuiltIn)
        }
    }
}

/// A configurable intake question (SPEC C7).
final class IntakeFieldRecord: Model, @unchecked Sendable {
    static let schema = "intake_fields"

    @ID(custom: "id", generatedBy: .database) var id: Int?
    @Field(key: "key") var key: String
    @Field(key: "kind") var kind: String
    @Field(key: "label_ru") var labelRu: String
    @Field(key: "label_en") var labelEn: String
    @Field(key: "options") var options: String
    @Field(key: "required") var required: Bool
    @Field(key: "customer_visible") var customerVisible: Bool
    @Field(key: "active") var active: Bool
    @Field(key: "position") var position: Int

    init() {}

    var definition: IntakeFieldDefinition {
        IntakeFieldDefinition(key: key, kind: .init(rawValue: kind) ?? .text, labelRu: labelRu, labelEn: labelEn,
                              options: options.isEmpty ? [] : options.components(separatedBy: "\n"),
                              required: required, customerVisible: customerVisible)
    }
}
