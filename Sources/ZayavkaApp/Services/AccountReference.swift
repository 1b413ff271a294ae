import Fluent
import Foundation
import SQLKit
import Vapor
import ZayavkaCore

/// The intake question in which seed 002 asks for the customer's contract number or login.
enum AccountReference {
    static let fieldKey = "contract_or_login"
}
