/// A location inside a JSON document (RFC 6901), built up while validating it.
struct JSONPointer: Sendable, Hashable, CustomStringConvertible {
    static let root = JSONPointer(tokens: [])

    private var tokens: [String]

    private init(tokens: [String]) {
        self.tokens = tokens
    }

    func appending(_ token: String) -> JSONPointer {
        JSONPointer(tokens: self.tokens + [token])
    }

    func appending(_ index: Int) -> JSONPointer {
        self.appending(String(index))
    }

    var description: String {
        var text = ""
        for token in self.tokens {
            text.append("/")
            for character in token {
                switch character {
                case "~": text.append("~0")
                case "/": text.append("~1")
                default: text.append(character)
                }
            }
        }
        return text
    }
}
