/// A service's answer to a save: the item, and whether the save created it (201) or changed it (200).
struct Saved<Item: Sendable>: Sendable {
    let item: Item
    let created: Bool
}
