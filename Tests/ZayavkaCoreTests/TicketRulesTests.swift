import Foundation
import Testing
@testable import ZayavkaCore

@Suite("Ticket rules")
struct TicketRulesTests {
    let workflow = StatusWorkflow()
    let intake = IntakeFieldDefinition.seedDefaults
    let now = Date(timeIntervalSince1970: 1_790_000_000)
    var base: TicketState { TicketState(subject: "Не открывается кассовая смена", requesterID: 7) }

    @Test("a valid new ticket passes")
    func validNew() throws {
        try TicketRules.validateNew(subject: "Касса", body: "Ошибка 0x1F", type: .problem, dueAt: nil,
                                    fields: ["recurrence": "always", "phone": "+7 (913) 919-90-99"],
                                    intake: intake, checkRequiredFields: true, now: now)
    }

    @Test("every problem of a new ticket is reported at once")
    func invalidNew() {
        #expect(throws: ZayavkaError.validation([
            FieldError("subject", .required), FieldError("body", .required), FieldError("due_at", .required),
            FieldError("fields.nonsense", .unknownValue), FieldError("fields.recurrence", .unknownValue, "once, always"),
        ])) {
            try TicketRules.validateNew(subject: "  ", body: "", type: .task, dueAt: nil,
                                        fields: ["recurrence": "sometimes", "nonsense": "x"],
                                        intake: intake, checkRequiredFields: true, now: now)
        }
    }

    @Test("required intake fields are enforced for customers only")
    func requiredFields() throws {
        let form = [IntakeFieldDefinition(key: "database_name", kind: .text, labelRu: "База", labelEn: "Database", required: true)]
        #expect(throws: ZayavkaError.validation([FieldError("fields.database_name", .required)])) {
            try TicketRules.validateNew(subject: "s", body: "b", type: .question, dueAt: nil, fields: [:],
                                        intake: form, checkRequiredFields: true, now: now)
        }
        try TicketRules.validateNew(subject: "s", body: "b", type: .question, dueAt: nil, fields: [:],
                                    intake: form, checkRequiredFields: false, now: now)
    }

    @Test("a patch returns the new state and one change per field, in order")
    func patchChanges() throws {
        let patch = TicketPatch(priority: .urgent, urgency: .some(Urgency(1)), responsibility: .some(.customerNetwork),
                                status: "open", assigneeID: .some(42), fields: ["database_name": "buh_2026"])
        let (next, changes) = try TicketRules.apply(patch, to: base, workflow: workflow, intake: intake, actor: .staff)
        #expect(next.priority == .urgent)
        #expect(next.responsibility?.side == .customer)
        #expect(changes == [
            FieldChange("priority", "normal", "urgent"), FieldChange("urgency", nil, "1"),
            FieldChange("responsibility", nil, "customer_network"), FieldChange("status", "new", "open"),
            FieldChange("assignee_id", nil, "42"), FieldChange("fields.database_name", nil, "buh_2026"),
        ])
    }

    @Test("an illegal transition changes nothing, even the valid parts of the patch")
    func illegalTransitionAtomic() {
        var closed = base
        closed.status = "closed"
        #expect(throws: ZayavkaError.illegalTransition(from: "closed", to: "open")) {
            _ = try TicketRules.apply(TicketPatch(priority: .high, status: "open"), to: closed, workflow: workflow, intake: intake, actor: .staff)
        }
    }

    @Test("a task needs a due date; another type drops it")
    func taskDueDate() throws {
        #expect(throws: ZayavkaError.validation([FieldError("due_at", .required)])) {
            _ = try TicketRules.apply(TicketPatch(type: .task), to: base, workflow: workflow, intake: intake, actor: .staff)
        }
        let due = now.addingTimeInterval(86_400)
        let (task, _) = try TicketRules.apply(TicketPatch(type: .task, dueAt: .some(due)), to: base, workflow: workflow, intake: intake, actor: .staff)
        #expect(task.dueAt == due)
        let (question, changes) = try TicketRules.apply(TicketPatch(type: .question), to: task, workflow: workflow, intake: intake, actor: .staff)
        #expect(question.dueAt == nil)
        #expect(changes.map(\.field) == ["type", "due_at"])
    }

    @Test("clearing a field is a change to nil; an empty patch changes nothing")
    func clearing() throws {
        var state = base
        state.cause = "антивирус блокирует порт"
        state.fields["city"] = "Томск"
        let (next, changes) = try TicketRules.apply(TicketPatch(cause: .some(nil), fields: ["city": nil]), to: state, workflow: workflow, intake: intake, actor: .staff)
        #expect(next.cause == nil && next.fields["city"] == nil)
        #expect(changes == [FieldChange("cause", "антивирус блокирует порт", nil), FieldChange("fields.city", "Томск", nil)])
        let (same, none) = try TicketRules.apply(TicketPatch(), to: state, workflow: workflow, intake: intake, actor: .staff)
        #expect(same == state && none.isEmpty)
    }
}

@Suite("Visibility and permissions")
struct VisibilityTests {
    @Test("customers see their own tickets, and their organization's only where allowed")
    func customers() {
        let me = Viewer(userID: 1, role: .customer, organizationID: 10)
        #expect(Visibility.canSee(requesterID: 1, organizationID: nil, viewer: me))
        #expect(!Visibility.canSee(requesterID: 2, organizationID: 10, viewer: me))
        let shared = Viewer(userID: 1, role: .customer, organizationID: 10, seesOrganizationTickets: true)
        #expect(Visibility.canSee(requesterID: 2, organizationID: 10, viewer: shared))
        #expect(!Visibility.canSee(requesterID: 2, organizationID: 11, viewer: shared))
        #expect(!Visibility.canSee(requesterID: 2, organizationID: nil, viewer: shared))
        #expect(!Visibility.canSeeInternal(me))
    }

    @Test("staff see every ticket and internal notes", arguments: [Role.agent, .dispatcher, .manager, .admin])
    func staff(role: Role) {
        let viewer = Viewer(userID: 5, role: role)
        #expect(Visibility.canSee(requesterID: 1, organizationID: 3, viewer: viewer))
        #expect(Visibility.canSeeInternal(viewer))
    }

    @Test("permissions follow the role")
    func permissions() {
        #expect(Role.customer.permissions == [.fileOwnTickets])
        #expect(Role.agent.can(.writeInternalNotes))
        #expect(!Role.agent.can(.manageUsers))
        #expect(Role.dispatcher.can(.assignTickets))
        #expect(Role.admin.can(.manageConfiguration))
        #expect(!Role.manager.can(.manageConfiguration))
    }
}
