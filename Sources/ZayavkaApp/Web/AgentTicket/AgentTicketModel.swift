import Foundation
import Plot
import ZayavkaCore

/// The agent's ticket page: model.
struct AgentTicketModel: Sendable {
    struct Requester: Sendable {
        let id: Int
        let name: String
        let email: String
        let phone: String?
        let organization: String?
        let inn: String?
        let contract: String?
        let plan: String?
        let otherTickets: [(number: Int, subject: String, status: String)]
    }

    struct Canned: Sendable {
        let title: String
        let body: String
        /// The fields it also sets: form name → value.
        var sets: [(key: String, value: String)] = []
    }

    let ticket: TicketDTO
    let timeline: TimelineModel
    let requester: Requester
    let statuses: [StatusDefinition]
    let staff: [QueueModel.Option]
    let groups: [QueueModel.Option]
    let intake: [IntakeFieldDefinition]
    let canned: [Canned]
    let clocks: [SLAClockDTO]
    /// Hand-off routes (SPEC T8).
    var routes: [RouteDTO] = []
    /// Whose account the ticket is on, the customer's "contract or login" answer looked up, and the
    /// failing account checks (SPEC A3).
    var account: TicketAccountDTO?
    var checks: [AccountCheckDTO] { account?.checks ?? [] }
    /// Conduct warnings the customer has had (SPEC V8).
    var warnings = 0
    /// The ban in force on the requester, if any (SPEC X1): shown in red on their card.
    var ban: BanEntry?
    /// Work planned for this ticket (SPEC S4), and a proposal when the agent asked for one.
    var slots: [WorkSlotDTO] = []
    var proposal: PlanDTO?
    /// Calls and pending callbacks (SPEC C5), and the number to call: the ticket's phone, else the customer's.
    var calls: [CallDTO] = []
    var callbacks: [CallbackDTO] = []
    var phone: String?
    /// The known problem the ticket is linked to, or the candidates its subject finds (SPEC P1).
    var problem: ProblemDTO?
    var problemCandidates: [ProblemDTO] = []
    /// Knowledge-base articles that may answer the ticket (issue 17).
    struct Article: Sendable {
        let title: String
        let url: String
        /// The public page, to send to the customer (nil for staff-only articles).
        let publicURL: String?
    }
    var articles: [Article] = []
    /// The latest resolution report and the customer's rating (issue 18), and what a solution of this type must report.
    var resolution: ResolutionDTO?
    var survey: SurveyDTO?
    var resolutionRequired: Set<ResolutionPart> = []
    var draftResolution: ResolutionInput?
    var errors: [String: String] = [:]
    /// The field values of a refused submit, shown instead of the ticket's (form name → value).
    var posted: [String: String] = [:]
    var draft = ""
    var draftInternal = false
    var draftAnswer = ""
}
