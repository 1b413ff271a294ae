import Foundation
import Testing
@testable import ZayavkaCore

@Suite("Status workflow")
struct StatusWorkflowTests {
    let workflow = StatusWorkflow()

    @Test("staff move a ticket along new → open → pending → solved → closed")
    func happyPath() throws {
        try workflow.checkTransition(from: "new", to: "open", by: .staff)
        try workflow.checkTransition(from: "open", to: "pending", by: .staff)
        try workflow.checkTransition(from: "pending", to: "scheduled", by: .staff)
        try workflow.checkTransition(from: "scheduled", to: "solved", by: .staff)
        try workflow.checkTransition(from: "solved", to: "closed", by: .staff)
    }

    @Test("closed is final for everyone", arguments: ["new", "open", "pending", "solved", "transfer_development"])
    func closedIsFinal(target: String) {
        #expect(throws: ZayavkaError.illegalTransition(from: "closed", to: target)) {
            try workflow.checkTransition(from: "closed", to: target, by: .staff)
        }
        #expect(throws: ZayavkaError.self) { try workflow.checkTransition(from: "closed", to: target, by: .customer) }
    }

    @Test("a ticket is closed only after it is solved")
    func closeNeedsSolved() {
        #expect(throws: ZayavkaError.illegalTransition(from: "open", to: "closed")) {
            try workflow.checkTransition(from: "open", to: "closed", by: .staff)
        }
    }

    @Test("nothing goes back to new")
    func noReturnToNew() {
        #expect(throws: ZayavkaError.illegalTransition(from: "open", to: "new")) {
            try workflow.checkTransition(from: "open", to: "new", by: .staff)
        }
    }

    @Test("hand-off statuses of seed 002 behave as open")
    func handOffs() throws {
        try workflow.checkTransition(from: "new", to: "transfer_consultation", by: .staff)
        try workflow.checkTransition(from: "transfer_consultation", to: "to_manager", by: .staff)
        try workflow.checkTransition(from: "to_manager", to: "solved", by: .staff)
        #expect(workflow.definition("transfer_development")?.nameRu == "Требует передачи на ОС")
    }

    @Test("customers only confirm a solution or reopen")
    func customerTransitions() throws {
        try workflow.checkTransition(from: "open", to: "solved", by: .customer)
        try workflow.checkTransition(from: "solved", to: "open", by: .customer)
        #expect(throws: ZayavkaError.self) { try workflow.checkTransition(from: "open", to: "pending", by: .customer) }
        #expect(throws: ZayavkaError.self) { try workflow.checkTransition(from: "solved", to: "closed", by: .customer) }
        #expect(throws: ZayavkaError.self) { try workflow.checkTransition(from: "new", to: "transfer_development", by: .customer) }
    }

    @Test("unknown statuses are named in the error")
    func unknown() {
        #expect(throws: ZayavkaError.unknownStatus("limbo")) { try workflow.checkTransition(from: "open", to: "limbo", by: .staff) }
    }

    @Test("a customer's reply reopens pending and solved tickets; an agent's first reply opens a new one")
    func commentEffects() {
        #expect(workflow.statusAfterComment(current: "solved", byCustomer: true, isPublic: true) == "open")
        #expect(workflow.statusAfterComment(current: "pending", byCustomer: true, isPublic: true) == "open")
        #expect(workflow.statusAfterComment(current: "open", byCustomer: true, isPublic: true) == nil)
        #expect(workflow.statusAfterComment(current: "new", byCustomer: false, isPublic: true) == "open")
        #expect(workflow.statusAfterComment(current: "new", byCustomer: false, isPublic: false) == nil)
        #expect(workflow.acceptsComments("closed") == false)
        #expect(workflow.acceptsComments("solved") == true)
    }

    @Test("status keys are url-safe")
    func keys() {
        #expect(StatusDefinition.isValidKey("to_manager"))
        #expect(!StatusDefinition.isValidKey("На менеджера"))
        #expect(!StatusDefinition.isValidKey("9lives"))
        #expect(!StatusDefinition.isValidKey(""))
    }
}

@Suite("Auto-close")
struct AutoCloseTests {
    @Test("a solved ticket is due to close exactly after the set time")
    func due() {
        let policy = AutoClosePolicy(days: 7)
        let solved = Date(timeIntervalSince1970: 1_790_000_000)
        #expect(!policy.isDue(solvedAt: solved, now: solved.addingTimeInterval(7 * 86_400 - 1)))
        #expect(policy.isDue(solvedAt: solved, now: solved.addingTimeInterval(7 * 86_400)))
    }
}
