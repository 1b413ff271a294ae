import Plot
import ZayavkaMIME

/// Plot does not escape attribute values and keeps `&name;` sequences in text as entities, so
/// every piece of user data goes through these instead of `.text` and plain attribute values.
enum Escape {
    /// Text and attribute values: & < > " ' all escaped, nothing kept as an entity (the same escaper
    /// the mail sanitizer uses).
    static func html(_ value: String) -> String { HTMLSanitizer.escape(value) }
}

extension Node {
    /// Escaped text (use instead of `.text`).
    static func t(_ value: String) -> Node { .raw(Escape.html(value)) }

    /// An attribute with an escaped value.
    static func attr(_ name: String, _ value: String) -> Node { .attribute(named: name, value: Escape.html(value), ignoreIfValueIsEmpty: false) }
}

extension Attribute {
    /// An attribute with an escaped value.
    static func attr(_ name: String, _ value: String) -> Attribute { Attribute(name: name, value: Escape.html(value), ignoreIfValueIsEmpty: false) }
}

extension Node where Context: HTMLOptionListContext {
    /// An `<option>` with escaped value and text (Plot's own takes its text as an unescaped label).
    static func opt(_ value: String, _ text: String, selected: Bool = false, attributes: [(String, String)] = []) -> Node {
        var nodes: [Node] = [.attr("value", value)]
        if selected { nodes.append(.attribute(named: "selected")) }
        nodes += attributes.map { .attr($0.0, $0.1) }
        nodes.append(.t(text))
        return .element(named: "option", nodes: nodes)
    }
}
