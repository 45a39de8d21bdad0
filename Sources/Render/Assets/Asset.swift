import CompressNIO
import NIOCore

/// A static file ready to serve: minified, fingerprinted and pre-compressed.
///
/// The URL path embeds a hash of the content (`/assets/{hash}/{file}`), so the bytes behind a
/// path never change and the response may be cached forever.
public struct Asset: Sendable, Hashable {
    /// The `Cache-Control` value for every asset: the path changes whenever the bytes do.
    public static let cacheControl = "public, max-age=31536000, immutable"

    /// The file name, such as `storefront.css`.
    public let file: String
    /// The content hash in the path: 16 lowercase hex digits.
    public let fingerprint: String
    /// `/assets/{fingerprint}/{file}`.
    public let path: String
    /// The `Content-Type` value.
    public let contentType: String
    /// The minified bytes.
    public let body: [UInt8]
    /// `body` compressed with gzip, computed once here rather than per request.
    public let gzipBody: [UInt8]

    init(file: String, text: String) {
        let minified: String
        let contentType: String
        if file.hasSuffix(".css") {
            minified = Minifier.css(text)
            contentType = "text/css; charset=utf-8"
        } else if file.hasSuffix(".js") {
            minified = Minifier.javaScript(text)
            contentType = "text/javascript; charset=utf-8"
        } else {
            minified = text
            contentType = "text/plain; charset=utf-8"
        }
        self.file = file
        self.body = Array(minified.utf8)
        self.fingerprint = Fingerprint.hex(of: self.body)
        self.path = "/assets/\(self.fingerprint)/\(file)"
        self.contentType = contentType
        self.gzipBody = Gzip.compress(self.body)
    }
}

/// A 64-bit FNV-1a content hash: it only has to change when the bytes change, not resist attack.
enum Fingerprint {
    static func hex(of bytes: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        let digits = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

/// gzip through zlib (compress-nio), at zlib's default level.
enum Gzip {
    static func compress(_ bytes: [UInt8]) -> [UInt8] {
        var input = ByteBuffer(bytes: bytes)
        do {
            var output = try input.compress(with: .gzip())
            return output.readBytes(length: output.readableBytes) ?? []
        } catch {
            // zlib fails only on allocation failure; an empty result means "serve identity".
            return []
        }
    }
}
