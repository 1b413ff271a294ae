import Foundation
import PropertyBased
import Testing
@testable import ZayavkaCore

func moscowTime(_ text: String) -> Date { try! Date(text + "+03:00", strategy: .iso8601) }

@Suite("SLA policies and clocks")
struct SLATests {
    let calendar = SLATemplates.seed003Calendar

    func due(_ policies: [SLAPolicy], _ subject: SLASubject, from start: String, metric: SLAMetric = .firstResponse) -> Date? {
        guard let policy = SLAPolicy.firstMatch(in: policies, for: subject), let minutes = policy.targets[metric] else { return nil }
        return SLAClock(metric: metric, targetMinutes: minutes, startedAt: moscowTime(start)).dueAt(on: calendar)
    }

    @Test("seed 003: a ticket of each type filed on Friday 16:00 is due when the seed's rule says", arguments: [
        (TicketType.question, [String: String](), "2026-03-16T11:00:00"),     // 4 h: 2 on Friday, 2 on Monday
        (.suggestion, [:], "2026-03-17T14:00:00"),                           // 16 h: 2 + 9 + 5
        (.problem, [:], "2026-03-16T13:00:00"),                              // 6 h
        (.incident, [:], "2026-03-16T11:00:00"),                             // 4 h
        (.incident, ["request_kind": "product_registration"], "2026-03-13T18:00:00"),  // 2 h, the same day
    ])
    func seed003(type: TicketType, fields: [String: String], expected: String) {
        #expect(due(SLATemplates.seed003, SLASubject(type: type, fields: fields), from: "2026-03-13T16:00:00") == moscowTime(expected))
    }

    @Test("seed 003 sets no target for tasks; seeds 000 and 002 cover every ticket")
    func coverage() {
        #expect(SLAPolicy.firstMatch(in: SLATemplates.seed003, for: SLASubject(type: .task)) == nil)
        #expect(due(SLATemplates.seed000, SLASubject(type: .task), from: "2026-03-13T17:00:00") == moscowTime("2026-03-16T10:00:00"))
        #expect(due(SLATemplates.seed002, SLASubject(type: .problem), from: "2026-03-13T17:45:00") == moscowTime("2026-03-16T09:15:00"))
        #expect(due(SLATemplates.seed002, SLASubject(type: .problem), from: "2026-03-13T17:45:00", metric: .nextResponse)
                == moscowTime("2026-03-16T09:15:00"))
    }

    @Test("conditions: every given one must hold; plans, urgency and groups included")
    func conditions() {
        let paidUrgent = SLAConditions(priorities: [.urgent, .high], plans: [.paid], groupIDs: [2])
        #expect(paidUrgent.matches(SLASubject(type: .problem, priority: .urgent, plan: .paid, groupID: 2)))
        #expect(!paidUrgent.matches(SLASubject(type: .problem, priority: .urgent, plan: .free, groupID: 2)))
        #expect(!paidUrgent.matches(SLASubject(type: .problem, priority: .urgent, plan: nil, groupID: 2)))
        #expect(!paidUrgent.matches(SLASubject(type: .problem, priority: .normal, plan: .paid, groupID: 2)))
        #expect(SLAConditions().matches(SLASubject(type: .task)))
        #expect(SLAConditions(urgencies: [1]).matches(SLASubject(type: .problem, urgency: 1)))
    }

    @Test("the clock pauses while waiting for the customer and resumes on their reply")
    func pauseAndResume() {
        var clock = SLAClock(metric: .resolution, targetMinutes: 240, startedAt: moscowTime("2026-03-16T09:00:00"))
        #expect(clock.dueAt(on: calendar) == moscowTime("2026-03-16T13:00:00"))
        clock.pause(at: moscowTime("2026-03-16T10:00:00"))
        #expect(clock.dueAt(on: calendar) == nil)
        #expect(clock.state(at: moscowTime("2026-03-16T17:00:00"), on: calendar, warnAtPercent: 80) == .paused)
        clock.resume(at: moscowTime("2026-03-17T09:00:00"), on: calendar)
        // 1 h worked before the pause, 3 h left from Tuesday 9:00.
        #expect(clock.dueAt(on: calendar) == moscowTime("2026-03-17T12:00:00"))
        #expect(clock.elapsedWorkingSeconds(at: moscowTime("2026-03-17T10:00:00"), on: calendar) == 2 * 3600)
    }

    @Test("warning at 80 %, breach at 100 %, achieved or missed when stopped")
    func states() {
        let clock = SLAClock(metric: .firstResponse, targetMinutes: 240, startedAt: moscowTime("2026-03-16T09:00:00"))
        #expect(clock.state(at: moscowTime("2026-03-16T12:00:00"), on: calendar, warnAtPercent: 80) == .running)
        #expect(clock.state(at: moscowTime("2026-03-16T12:12:00"), on: calendar, warnAtPercent: 80) == .warning)
        #expect(clock.state(at: moscowTime("2026-03-16T13:00:00"), on: calendar, warnAtPercent: 80) == .breached)
        var met = clock
        met.stop(at: moscowTime("2026-03-16T12:30:00"), on: calendar)
        #expect(met.state(at: moscowTime("2026-03-20T12:00:00"), on: calendar, warnAtPercent: 80) == .achieved)
        var late = clock
        late.stop(at: moscowTime("2026-03-16T13:30:00"), on: calendar)
        #expect(late.state(at: moscowTime("2026-03-16T13:31:00"), on: calendar, warnAtPercent: 80) == .missed)
        // Stopping twice keeps the first stop.
        late.stop(at: moscowTime("2026-03-16T09:30:00"), on: calendar)
        #expect(late.stoppedAt == moscowTime("2026-03-16T13:30:00"))
    }

    @Test("a promise is due at the promised minute, even outside working hours, and never pauses")
    func promise() {
        // Made on Friday 17:00, promised for Saturday 12:00: a calendar would have said Friday 18:00.
        var clock = SLAClock.promise(madeAt: moscowTime("2026-03-13T17:00:00"), deadline: moscowTime("2026-03-14T12:00:00"))
        #expect(clock.dueAt(on: calendar) == moscowTime("2026-03-14T12:00:00"))
        #expect(clock.warnAt(percent: 80, on: calendar) == moscowTime("2026-03-14T08:12:00"))
        clock.pause(at: moscowTime("2026-03-13T17:30:00"))
        #expect(clock.pausedAt == nil)
        #expect(clock.state(at: moscowTime("2026-03-14T10:00:00"), on: calendar, warnAtPercent: 80) == .warning)
        #expect(clock.state(at: moscowTime("2026-03-14T12:00:00"), on: calendar, warnAtPercent: 80) == .breached)
        var kept = clock
        kept.stop(at: moscowTime("2026-03-14T11:59:00"), on: calendar)
        #expect(kept.state(at: moscowTime("2026-03-20T12:00:00"), on: calendar, warnAtPercent: 80) == .achieved)
        clock.stop(at: moscowTime("2026-03-16T09:00:00"), on: calendar)
        #expect(clock.state(at: moscowTime("2026-03-20T12:00:00"), on: calendar, warnAtPercent: 80) == .missed)
    }

    @Test("escalation raises the priority one step, never past urgent; missing keys mean the standard escalation")
    func escalation() throws {
        let raise = SLAEscalation(notify: [.group], raisePriority: true)
        #expect(raise.priority(after: .normal) == .high)
        #expect(raise.priority(after: .urgent) == .urgent)
        #expect(SLAEscalation.standard.priority(after: .low) == .low)
        let decoded = try JSONDecoder().decode(SLAEscalation.self, from: Data(#"{"raise_priority": true, "reassign_group_id": 4}"#.utf8))
        #expect(decoded == SLAEscalation(notify: [.assignee, .supervisors], raisePriority: true, reassignGroupID: 4))
    }

    @Test("seed 003: a question retyped as a suggestion keeps its start; a target the new policy adds runs from filing")
    func replan() {
        let filed = moscowTime("2026-03-13T16:00:00")
        let question = SLAPolicy.firstMatch(in: SLATemplates.seed003, for: SLASubject(type: .question))!
        let suggestion = SLAPolicy.firstMatch(in: SLATemplates.seed003, for: SLASubject(type: .suggestion))!
        var first = SLAClock(metric: .firstResponse, targetMinutes: question.targets[.firstResponse]!, startedAt: filed)
        #expect(first.dueAt(on: calendar) == moscowTime("2026-03-16T11:00:00"))
        // Retyped as a suggestion (16 h) on Monday: due Tuesday 14:00, counted from Friday 16:00.
        var replanned = SLAReplan.clocks([first], targets: suggestion.targets, createdAt: filed, firstResponseAt: nil, waitingSince: nil)
        #expect(replanned.count == 1)
        #expect(replanned[0].dueAt(on: calendar) == moscowTime("2026-03-17T14:00:00"))
        // A policy with a resolution target adds that clock from filing, with the pauses the ticket had.
        first.pause(at: moscowTime("2026-03-16T09:00:00"))
        first.resume(at: moscowTime("2026-03-16T10:00:00"), on: calendar)
        replanned = SLAReplan.clocks([first], targets: [.firstResponse: 60, .resolution: 480], createdAt: filed, firstResponseAt: nil,
                                     waitingSince: nil)
        #expect(replanned.map(\.metric) == [.firstResponse, .resolution])
        #expect(replanned[1].pausedWorkingSeconds == 3600)
        // 8 h: 2 on Friday, then Monday from 10:00 (the hour waiting for the customer does not count).
        #expect(replanned[1].dueAt(on: calendar) == moscowTime("2026-03-16T16:00:00"))
        // No policy now: running clocks go; a stopped one keeps its outcome; a promise stays.
        var answered = first
        answered.stop(at: moscowTime("2026-03-16T10:30:00"), on: calendar)
        let promise = SLAClock.promise(madeAt: filed, deadline: moscowTime("2026-03-20T12:00:00"))
        let running = SLAClock(metric: .resolution, targetMinutes: 480, startedAt: filed)
        replanned = SLAReplan.clocks([answered, running, promise], targets: [:], createdAt: filed, firstResponseAt: answered.stoppedAt,
                                     waitingSince: nil)
        #expect(replanned == [answered, promise])
        // First response already given: a policy that adds one does not invent it.
        replanned = SLAReplan.clocks([], targets: [.firstResponse: 60], createdAt: filed, firstResponseAt: moscowTime("2026-03-13T16:10:00"),
                                     waitingSince: nil)
        #expect(replanned.isEmpty)
        // Waiting for the customer now: the new clock starts paused.
        replanned = SLAReplan.clocks([], targets: [.resolution: 60], createdAt: filed, firstResponseAt: nil,
                                     waitingSince: moscowTime("2026-03-16T12:00:00"))
        #expect(replanned[0].pausedAt == moscowTime("2026-03-16T12:00:00"))
        #expect(replanned[0].dueAt(on: calendar) == nil)
    }

    @Test("a first answer is a solution, a promise in the future, or a refusal with a reason")
    func firstAnswer() throws {
        let now = moscowTime("2026-03-16T10:00:00")
        try FirstAnswer.solution.validate(now: now)
        try FirstAnswer.promise(moscowTime("2026-03-18T15:00:00")).validate(now: now)
        #expect(throws: ZayavkaError.validation([FieldError("promised_at", .mustBeInFuture)])) {
            try FirstAnswer.promise(moscowTime("2026-03-16T09:00:00")).validate(now: now)
        }
        #expect(throws: ZayavkaError.validation([FieldError("refusal_reason", .required)])) {
            try FirstAnswer.refusal(reason: "  ").validate(now: now)
        }
    }
}

@Suite("Workload planning")
struct WorkloadTests {
    let calendar = BusinessCalendar.russianFiveDay()

    @Test("with no planned work, the slot starts at once and runs on over the weekend")
    func empty() {
        let slot = WorkloadPlanner.earliestSlot(minutes: 120, notBefore: moscowTime("2026-03-13T17:00:00"), calendar: calendar, busy: [])
        #expect(slot == WorkSlot(start: moscowTime("2026-03-13T17:00:00"), end: moscowTime("2026-03-16T10:00:00")))
    }

    @Test("planned work is not touched: a gap too short is passed over")
    func gaps() {
        let busy = [WorkSlot(start: moscowTime("2026-03-16T09:00:00"), end: moscowTime("2026-03-16T10:00:00"), ticketNumber: 1),
                    WorkSlot(start: moscowTime("2026-03-16T11:00:00"), end: moscowTime("2026-03-16T18:00:00"), ticketNumber: 2)]
        let long = WorkloadPlanner.earliestSlot(minutes: 90, notBefore: moscowTime("2026-03-16T08:00:00"), calendar: calendar, busy: busy)
        #expect(long == WorkSlot(start: moscowTime("2026-03-17T09:00:00"), end: moscowTime("2026-03-17T10:30:00")))
        let short = WorkloadPlanner.earliestSlot(minutes: 45, notBefore: moscowTime("2026-03-16T08:00:00"), calendar: calendar, busy: busy)
        #expect(short == WorkSlot(start: moscowTime("2026-03-16T10:00:00"), end: moscowTime("2026-03-16T10:45:00")))
    }

    @Test("work planned in the evening breaks a stretch that would run on overnight")
    func eveningSlot() {
        // Found by the property test below: 9 h 01 min from Monday 00:00 with a slot at 18:15–18:30.
        let evening = [WorkSlot(start: moscowTime("2026-03-02T18:15:00"), end: moscowTime("2026-03-02T18:30:00"))]
        let slot = WorkloadPlanner.earliestSlot(minutes: 541, notBefore: moscowTime("2026-03-02T00:00:00"), calendar: calendar, busy: evening)
        #expect(slot == WorkSlot(start: moscowTime("2026-03-03T09:00:00"), end: moscowTime("2026-03-04T09:01:00")))
    }

    @Test("any plan: after notBefore, exactly the working time asked, overlapping no planned work")
    func property() async {
        let base = moscowTime("2026-03-02T00:00:00")
        await propertyCheck(count: 200, input: Gen.int(in: 0...(20 * 1440)), Gen.int(in: 15...2000),
                            Gen.int(in: 0...(20 * 96)).array(of: 0...12), Gen.int(in: 1...32).array(of: 12...12)) {
            startMinute, minutes, slotStarts, slotLengths in
            let notBefore = base.addingTimeInterval(Double(startMinute) * 60)
            // Busy slots on a 15-minute grid, merged so they do not overlap each other.
            var busy: [WorkSlot] = []
            for (index, quarter) in slotStarts.sorted().enumerated() {
                let start = base.addingTimeInterval(Double(quarter) * 900)
                let end = start.addingTimeInterval(Double(slotLengths[index]) * 900)
                if let last = busy.last, start < last.end { continue }
                busy.append(WorkSlot(start: start, end: end))
            }
            guard let slot = WorkloadPlanner.earliestSlot(minutes: minutes, notBefore: notBefore, calendar: calendar, busy: busy) else {
                Issue.record("no slot found")
                return
            }
            #expect(slot.start >= notBefore)
            #expect(calendar.workingSeconds(from: slot.start, to: slot.end) == Double(minutes) * 60)
            #expect(!busy.contains { $0.start < slot.end && slot.start < $0.end }, "overlaps planned work")
        }
    }
}
