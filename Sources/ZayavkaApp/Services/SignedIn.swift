import Crypto
import Fluent
import Foundation
import SQLKit
import Vapor
import ZayavkaCore

/// Who is signed in, with what the hot paths need about them without another query.
struct SignedIn: Sendable {
    let viewer: Viewer
    let language: Language
    let name: String
    let organizationName: String?
    /// Where dates are shown for this person (web pages); Moscow unless they chose otherwise.
    var timeZone: TimeZone = WebTime.moscow
    /// Staff: on shift, so groups that assign by turn or load include them (SPEC T6).
    var onShift = false
    /// The account's address (for the bans by address and domain).
    var email = ""

    var person: PersonRef { PersonRef(id: viewer.userID, name: name) }

    /// The person's columns that both sign-in paths (API token, web session) select, from
    /// `users u LEFT JOIN organizations o`.
    static let columns = """
        u.id AS user_id, u.email, u.name, u.role, u.locale, u.time_zone, u.organization_id, u.is_active, u.banned_at, u.on_shift,
        o.name AS organization_name, o.members_see_all_tickets
        """

    /// The signed-in person of a row with `columns`; nil when the account is inactive or banned.
    static func from(_ row: any SQLRow, defaultLanguage: Language) throws -> SignedIn? {
        guard try row.decode(column: "is_active", as: Bool.self), try row.decode(column: "banned_at", as: Date?.self) == nil else { return nil }
        let role = Role(rawValue: try row.decode(column: "role", as: String.self)) ?? .customer
        let shared = try row.decode(column: "members_see_all_tickets", as: Bool?.self) ?? false
        let viewer = Viewer(userID: try row.decode(column: "user_id", as: Int.self), role: role,
                            organizationID: try row.decode(column: "organization_id", as: Int?.self),
                            seesOrganizationTickets: role == .customer && shared)
        var signedIn = SignedIn(
            viewer: viewer,
            language: Language(rawValue: try row.decode(column: "locale", as: String.self)) ?? defaultLanguage,
            name: try row.decode(column: "name", as: String.self),
            organizationName: try row.decode(column: "organization_name", as: String?.self))
        signedIn.timeZone = TimeZone(identifier: try row.decode(column: "time_zone", as: String.self)) ?? WebTime.moscow
        signedIn.onShift = try row.decode(column: "on_shift", as: Bool?.self) ?? false
        signedIn.email = try row.decode(column: "email", as: String.self)
        return signedIn
    }
    var organization: PersonRef? { viewer.organizationID.map { PersonRef(id: $0, name: organizationName ?? "") } }
}
