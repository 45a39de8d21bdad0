import NIOHPACK

/// A request's HTTP/2 header block, read and checked in one pass (RFC 9113 §8.2, §8.3).
///
/// ``StorefrontHTTP2Handler`` checks every request's block here, in the pass that reads the
/// fields it needs anyway; a block that fails is malformed, and its stream is reset with
/// `PROTOCOL_ERROR` (RFC 9113 §8.1.1). Responses need no such check: their fields were checked
/// once when their set was prepared, or are checked as they are written.
///
/// Checked: field names are lowercase tokens; the pseudo-fields are `:method`, `:scheme`, `:path`
/// and `:authority`, each at most once and all before the first regular field; every request has
/// `:method`, `:scheme` and a non-empty `:path`, except `CONNECT`, which has `:authority` and
/// neither of the others; pseudo-field values contain no control byte, space or DEL; no value
/// contains NUL, CR or LF; no connection-specific field, and `te` only as `trailers`; every
/// `content-length` is the same decimal number. Whether the body adds up to it is checked as it
/// arrives.
struct HTTP2RequestHead {
    var method: String
    /// `nil` only for `CONNECT`.
    var path: String?
    var authority: String?
    /// The `host` field, which HTTP/2 clients may send instead of `:authority`.
    var host: String?
    /// The regular fields, in order.
    var fields: [(name: String, value: String)]
    /// The `content-length` value, which the DATA frames must add up to (RFC 9113 §8.1.1).
    var contentLength: Int?
    /// The block's size as `SETTINGS_MAX_HEADER_LIST_SIZE` counts it (RFC 9113 §6.5.2).
    var listSize = 0

    /// Why a block is malformed, for the debug log.
    struct Malformed: Error, CustomStringConvertible {
        var description: String
    }

    private struct PseudoFields: OptionSet {
        let rawValue: UInt8
        static let method = PseudoFields(rawValue: 1 << 0)
        static let scheme = PseudoFields(rawValue: 1 << 1)
        static let path = PseudoFields(rawValue: 1 << 2)
        static let authority = PseudoFields(rawValue: 1 << 3)

        init(rawValue: UInt8) {
            self.rawValue = rawValue
        }

        init?(name: String) {
            switch name {
            case ":method": self = .method
            case ":scheme": self = .scheme
            case ":path": self = .path
            case ":authority": self = .authority
            default: return nil
            }
        }
    }

    init(validating block: HPACKHeaders) throws(Malformed) {
        var method: String?
        var seen: PseudoFields = []
        self.path = nil
        self.authority = nil
        self.host = nil
        self.contentLength = nil
        self.fields = []
        self.fields.reserveCapacity(block.count)
        for (name, value, _) in block {
            self.listSize += name.utf8.count + value.utf8.count + 32
            if name.utf8.first == UInt8(ascii: ":") {
                guard self.fields.isEmpty else { throw Malformed(description: "\(name) after a regular field") }
                guard let pseudo = PseudoFields(name: name) else { throw Malformed(description: "unknown \(name)") }
                guard !seen.contains(pseudo) else { throw Malformed(description: "\(name) twice") }
                guard !value.utf8.containsByte(where: { $0 <= 0x20 || $0 == 0x7F }) else {
                    throw Malformed(description: "\(name) has a control byte or space")
                }
                seen.insert(pseudo)
                switch pseudo {
                case .method: method = value
                case .path: self.path = value
                case .authority: self.authority = value
                default: break
                }
            } else {
                try Self.checkRegular(name: name, value: value)
                if name == "host" {
                    self.host = value
                } else if name == "content-length" {
                    guard let length = HeaderFieldName.contentLength(value),
                        self.contentLength == nil || self.contentLength == length
                    else { throw Malformed(description: "content-length \(value) is not one length") }
                    self.contentLength = length
                }
                self.fields.append((name: name, value: value))
            }
        }
        guard let method else { throw Malformed(description: "no :method") }
        self.method = method
        if method == "CONNECT" {
            guard seen == [.method, .authority] else {
                throw Malformed(description: "CONNECT needs :authority and neither :scheme nor :path")
            }
        } else {
            guard seen.isSuperset(of: [.method, .scheme, .path]) else {
                throw Malformed(description: "no :scheme or :path")
            }
            guard self.path?.isEmpty == false else { throw Malformed(description: "empty :path") }
        }
    }

    /// Checks a trailer block: regular fields only, under the same rules.
    static func validateTrailers(_ block: HPACKHeaders) throws(Malformed) {
        for (name, value, _) in block {
            guard name.utf8.first != UInt8(ascii: ":") else { throw Malformed(description: "\(name) in trailers") }
            try Self.checkRegular(name: name, value: value)
        }
    }

    private static func checkRegular(name: String, value: String) throws(Malformed) {
        guard HeaderFieldName.isWellFormed(name: name, value: value) else {
            throw Malformed(description: "field \(name) is not a token, or its value has NUL, CR or LF")
        }
        guard !HeaderFieldName.hasUppercase(name) else {
            throw Malformed(description: "field name \(name) is not lowercase")
        }
        if HeaderFieldName.role(of: name) == .connectionSpecific, !(name == "te" && value == "trailers") {
            throw Malformed(description: "connection-specific field \(name)")
        }
    }
}
