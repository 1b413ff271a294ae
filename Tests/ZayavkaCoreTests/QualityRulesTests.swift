import Foundation
import Testing
@testable import ZayavkaCore

/// A small, seeded generator, so sampling tests are repeatable.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("Quality rules: reports, surveys, reviews")
struct QualityRulesTests {
    @Test("a type's required report parts are checked; text is trimmed; over-long or NUL-bearing parts are refused")
    func report() {
        let required: Set<ResolutionPart> = [.fixed, .how]
        #expect(ResolutionReport(fixed: "  ", how: "x").problems(required: required) == [FieldError("resolution.fixed", .required)])
        #expect(ResolutionReport(fixed: "a", how: "b").problems(required: required).isEmpty)
        #expect(ResolutionReport().problems(required: []).isEmpty && ResolutionReport().isEmpty)
        let long = String(repeating: "я", count: ResolutionReport.maxLength + 1)
        #expect(ResolutionReport(fixed: long, how: "b").problems(required: required) == [FieldError("resolution.fixed", .tooLong, "10000")])
        #expect(ResolutionReport(check: "a\u{0}b").problems(required: []) == [FieldError("resolution.check", .controlCharacters)])
    }

    @Test("settings default to seed 003 (24 hours, once per ticket); every stored key reads back; wrong values are all reported and change nothing")
    func settings() throws {
        let defaults = QualitySettings()
        #expect(defaults.surveyDelayMinutes == 1440 && defaults.surveyOncePerTicket && defaults.surveyEnabled)
        var changed = defaults
        try changed.apply(["survey.delay_minutes": "30", "resolution.required.incident": "fixed, how", "survey.once_per_ticket": "false"])
        #expect(changed.surveyDelayMinutes == 30 && !changed.surveyOncePerTicket && changed.required(for: .incident) == [.fixed, .how])
        #expect(QualitySettings(stored: changed.stored) == changed)
        var refused = changed
        #expect(throws: ZayavkaError.validation([FieldError("survey.enabled", .invalid, "true, false"), FieldError("survey.delay_minutes", .invalid, "0…86400"),
                                                 FieldError("resolution.required.task", .unknownValue, "fixed, how, prevention"),
                                                 FieldError("nonsense", .unknownValue)])) {
            try refused.apply(["survey.delay_minutes": "-1", "survey.enabled": "perhaps", "resolution.required.task": "check", "nonsense": "1"])
        }
        #expect(refused == changed)
        // A stored value that no longer reads keeps its default instead of stopping the desk.
        #expect(QualitySettings(stored: ["survey.delay_minutes": "99999999999999999999"]).surveyDelayMinutes == 1440)
    }

    @Test("the survey goes to active, reachable customers whose ticket did not come from automatic mail, once")
    func surveyRules() {
        let base = SurveyFacts(requesterIsCustomer: true, requesterActive: true, requesterReachable: true, fromAutomaticMail: false,
                               surveyedBefore: false, ratedBefore: false)
        var settings = QualitySettings()
        #expect(SurveyRules.decide(base, settings: settings) == .send)
        var facts = base
        facts.fromAutomaticMail = true
        #expect(SurveyRules.decide(facts, settings: settings) == .skip(reason: "automatic_mail"))
        facts = base
        facts.requesterActive = false
        #expect(SurveyRules.decide(facts, settings: settings) == .skip(reason: "blocked_customer"))
        facts = base
        facts.requesterIsCustomer = false
        #expect(SurveyRules.decide(facts, settings: settings) == .skip(reason: "staff_requester"))
        facts = base
        facts.requesterReachable = false
        #expect(SurveyRules.decide(facts, settings: settings) == .skip(reason: "no_address"))
        facts = base
        facts.surveyedBefore = true
        #expect(SurveyRules.decide(facts, settings: settings) == .none)
        settings.surveyOncePerTicket = false
        #expect(SurveyRules.decide(facts, settings: settings) == .send)
        facts.ratedBefore = true
        #expect(SurveyRules.decide(facts, settings: settings) == .none)
    }

    @Test("a review's total is the weighted share of the maximum; scores out of range are clamped; no weight, no total")
    func scoring() {
        #expect(ReviewScoring.total([(25, 5), (30, 4), (25, 5), (20, 2)]) == 82.0)
        #expect(ReviewScoring.total([(1, 5), (1, 5)]) == 100.0)
        #expect(ReviewScoring.total([(1, 0)]) == 0.0)
        #expect(ReviewScoring.total([(10, 9), (10, -3)]) == 50.0)
        #expect(ReviewScoring.total([(0, 5)]) == nil && ReviewScoring.total([]) == nil)
    }

    @Test("sampling is fair: every agent gets min(k, theirs); each of an agent's tickets is equally likely")
    func sampling() {
        var generator = SplitMix64(state: 42)
        let candidates = [1: Array(1...10), 2: [11, 12], 3: [13, 13, 14]]
        let once = ReviewSampling.sample(candidates, perAgent: 4, using: &generator)
        #expect(once[1]?.count == 4 && once[2] == [11, 12] && once[3] == [13, 14])
        #expect(Set(once[1] ?? []).isSubset(of: Set(1...10)))
        #expect(ReviewSampling.sample(candidates, perAgent: 0, using: &generator).isEmpty)
        // 20,000 draws of 4 of 10: each ticket is picked 8,000 times expected; allow ±4 % (about 5 standard deviations).
        var counts = [Int: Int]()
        for _ in 0..<20_000 {
            for ticket in ReviewSampling.sample([1: Array(1...10)], perAgent: 4, using: &generator)[1] ?? [] { counts[ticket, default: 0] += 1 }
        }
        #expect(counts.count == 10)
        for (_, count) in counts { #expect(abs(count - 8_000) < 320) }
    }

    @Test("weeks start on Monday, Moscow time")
    func weeks() throws {
        // Sunday 2026-11-29 23:30 Moscow = 20:30 UTC: still the week of Monday 2026-11-23.
        let sundayNight = try Date("2026-11-29T20:30:00Z", strategy: .iso8601)
        #expect(ReviewWeek.monday(of: sundayNight).description == "2026-11-23")
        // Monday 00:10 Moscow = Sunday 21:10 UTC: the new week.
        let mondayMorning = try Date("2026-11-29T21:10:00Z", strategy: .iso8601)
        #expect(ReviewWeek.monday(of: mondayMorning).description == "2026-11-30")
        let bounds = ReviewWeek.bounds(try #require(LocalDate("2026-11-30")))
        #expect(bounds.start == (try Date("2026-11-29T21:00:00Z", strategy: .iso8601)))
        #expect(bounds.end.timeIntervalSince(bounds.start) == 7 * 86_400)
    }
}
