import Fluent
import Foundation
import SQLKit
import Vapor
import ZayavkaCore

struct AccountReferenceDTO: Content {
    /// The customer's words, as given in the "contract number or login" answer.
    let value: String
    /// found (one organization has that contract or login), ambiguous (several), not_found.
    let state: String
    /// The organizations it names, at most five.
    let organizations: [PersonRef]
}

struct TicketAccountDTO: Content {
    /// Whose account the checks are about.
    let organization: PersonRef?
    /// ticket (the ticket's organization), reference (none on the ticket; the one the customer's contract or login names), none.
    let source: String
    let reference: AccountReferenceDTO?
    /// The reference names an organization other than the ticket's: somebody should look.
    let referenceMismatch: Bool
    let checks: [AccountCheckDTO]
    /// The requester can be placed in the organization the reference found (POST /tickets/{n}/account/place).
    let canPlace: Bool

    enum CodingKeys: String, CodingKey {
        case organization, source, reference, checks
        case referenceMismatch = "reference_mismatch", canPlace = "can_place"
    }
}
