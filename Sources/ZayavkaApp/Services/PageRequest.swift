/// Paging as the caller asked for it: `limit` and the `cursor` of the previous page.
struct PageRequest: Sendable {
    var limit: Int?
    var cursor: String?

    init(limit: Int? = nil, cursor: String? = nil) {
        self.limit = limit
        self.cursor = cursor
    }
}
