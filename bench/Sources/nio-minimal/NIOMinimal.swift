import Foundation
import NIOCore
import NIOHPACK
import NIOHTTP1
import NIOHTTP2
import NIOPosix
import NIOSSL
import NIOTLS

/// `nio-minimal`: the anchors' minimal SwiftNIO server (`../shared/anchors/perf`) serving the
/// edge benchmark's pages, so that `bench/run edge` measures it in the same rounds as the edge and
/// nginx instead of quoting figures from another day.
///
/// It serves the files edge-seed wrote for nginx (`{docroot}/{host}/…`), all read into memory at
/// start, with no routing, rendering, cache bookkeeping, metrics or logging: TLS 1.3 with ALPN,
/// then on HTTP/1.1 `HTTPRequestDecoder` and one prepared buffer (status line, fields and body)
/// written per request; on HTTP/2 `NIOHTTP2Handler` without a stream multiplexer, answering each
/// request's HEADERS frame with a prepared HEADERS frame and the body in one DATA frame, as the
/// anchors' "raw-h2" server did. It has none of the edge's transport work either (TLS record
/// coalescing, HTTP/2 validation settings), so on HTTP/2 the edge can pass it.
///
///     nio-minimal --docroot DIR --cert PEM --key PEM --port N
@main
enum NIOMinimal {
    static func main() throws {
        let arguments = CommandLine.arguments
        func usage(_ problem: String) -> Never {
            FileHandle.standardError.write(Data("nio-minimal: \(problem)\n".utf8))
            exit(64)
        }
        func value(_ name: String) -> String {
            guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else {
                usage("\(name) is required")
            }
            return arguments[index + 1]
        }
        let site = try Site(docroot: value("--docroot"))
        guard let port = Int(value("--port")) else { usage("--port needs a number") }
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(value("--cert")).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: value("--key"), format: .pem))
        )
        tls.minimumTLSVersion = .tlsv13
        tls.applicationProtocols = ["h2", "http/1.1"]
        let sslContext = try NIOSSLContext(configuration: tls)

        let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
        let channel = try ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try Self.configure(channel, sslContext: sslContext, site: site)
                }
            }
            .bind(host: "127.0.0.1", port: port)
            .wait()
        FileHandle.standardOutput.write(
            Data("listening on 127.0.0.1:\(port): \(site.pageCount) pages of \(site.hostCount) hosts\n".utf8)
        )
        try channel.closeFuture.wait()
    }

    private static func configure(_ channel: any Channel, sslContext: NIOSSLContext, site: Site) throws {
        let pipeline = channel.pipeline.syncOperations
        try pipeline.addHandler(NIOSSLServerHandler(context: sslContext))
        try pipeline.addHandler(
            ApplicationProtocolNegotiationHandler { result in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if case .negotiated("h2") = result {
                        try pipeline.addHandler(NIOHTTP2Handler(mode: .server))
                        try pipeline.addHandler(HTTP2PageHandler(site: site))
                    } else {
                        try pipeline.addHandler(
                            ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes))
                        )
                        try pipeline.addHandler(HTTP1PageHandler(site: site))
                    }
                }
            }
        )
    }
}

/// Every page under the document root, ready to write.
final class Site: Sendable {
    struct Page: Sendable {
        /// Status line, fields and body in one buffer, for HTTP/1.1.
        var http1: ByteBuffer
        var http2Fields: HPACKHeaders
        var body: ByteBuffer
    }

    private let pages: [String: [String: Page]]
    private let notFound: Page
    let pageCount: Int
    var hostCount: Int { self.pages.count }

    init(docroot: String) throws {
        let files = FileManager.default
        var pages: [String: [String: Page]] = [:]
        var count = 0
        for host in try files.contentsOfDirectory(atPath: docroot) {
            let root = URL(fileURLWithPath: docroot).appendingPathComponent(host)
            guard let walker = files.enumerator(atPath: root.path) else { continue }
            var hostPages: [String: Page] = [:]
            while let relative = walker.nextObject() as? String {
                let file = root.appendingPathComponent(relative)
                var isDirectory: ObjCBool = false
                guard files.fileExists(atPath: file.path, isDirectory: &isDirectory), !isDirectory.boolValue else {
                    continue
                }
                let body = try Data(contentsOf: file)
                let path = relative == "index.html" ? "/" : "/" + relative
                hostPages[path] = Self.page(status: 200, contentType: Self.contentType(of: relative), body: Array(body))
                count += 1
            }
            pages[host] = hostPages
        }
        self.pages = pages
        self.pageCount = count
        self.notFound = Self.page(
            status: 404,
            contentType: "text/plain; charset=utf-8",
            body: Array("not found\n".utf8)
        )
    }

    func page(host: String?, path: String) -> Page {
        guard let host else { return self.notFound }
        let name = host.firstIndex(of: ":").map { String(host[..<$0]) } ?? host
        return self.pages[name]?[path] ?? self.notFound
    }

    private static func contentType(of file: String) -> String {
        if file.hasSuffix(".css") { return "text/css; charset=utf-8" }
        if file.hasSuffix(".js") { return "text/javascript; charset=utf-8" }
        return "text/html; charset=utf-8"
    }

    /// The same fields nginx sends for these files, but a fixed `date`, which nginx and the edge
    /// format once a second.
    private static func page(status: Int, contentType: String, body: [UInt8]) -> Page {
        let fields: [(String, String)] = [
            ("date", "Sat, 28 Nov 2026 00:00:00 GMT"),
            ("content-type", contentType),
            ("content-length", String(body.count)),
            ("cache-control", "no-cache"),
        ]
        var http1 = ByteBuffer(string: "HTTP/1.1 \(status) \(status == 200 ? "OK" : "Not Found")\r\n")
        for (name, value) in fields {
            http1.writeString("\(name): \(value)\r\n")
        }
        http1.writeString("\r\n")
        http1.writeBytes(body)
        return Page(
            http1: http1,
            http2Fields: HPACKHeaders([(":status", String(status))] + fields),
            body: ByteBuffer(bytes: body)
        )
    }
}

/// A handler that writes its answers as it reads and flushes once the read is complete, so the
/// answers to one read go out together.
protocol FlushesOncePerRead: ChannelInboundHandler, AnyObject {
    var needsFlush: Bool { get set }
}

extension FlushesOncePerRead {
    func channelReadComplete(context: ChannelHandlerContext) {
        if self.needsFlush {
            self.needsFlush = false
            context.flush()
        }
        context.fireChannelReadComplete()
    }
}

/// Answers every complete request with its page.
final class HTTP1PageHandler: FlushesOncePerRead {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = ByteBuffer

    private let site: Site
    private var page: Site.Page?
    var needsFlush = false

    init(site: Site) {
        self.site = site
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.page = self.site.page(host: head.headers.first(name: "host"), path: head.uri)
        case .body:
            break
        case .end:
            if let page = self.page {
                context.write(self.wrapOutboundOut(page.http1), promise: nil)
                self.needsFlush = true
            }
            self.page = nil
        }
    }
}

/// Answers every request stream's HEADERS frame with the page's HEADERS and DATA frames.
final class HTTP2PageHandler: FlushesOncePerRead {
    typealias InboundIn = HTTP2Frame
    typealias OutboundOut = HTTP2Frame

    private let site: Site
    var needsFlush = false

    init(site: Site) {
        self.site = site
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = self.unwrapInboundIn(data)
        guard case .headers(let request) = frame.payload else { return }
        let page = self.site.page(
            host: request.headers.first(name: ":authority"),
            path: request.headers.first(name: ":path") ?? "/"
        )
        let fields = HTTP2Frame.FramePayload.headers(.init(headers: page.http2Fields))
        context.write(self.wrapOutboundOut(HTTP2Frame(streamID: frame.streamID, payload: fields)), promise: nil)
        let body = HTTP2Frame.FramePayload.data(.init(data: .byteBuffer(page.body), endStream: true))
        context.write(self.wrapOutboundOut(HTTP2Frame(streamID: frame.streamID, payload: body)), promise: nil)
        self.needsFlush = true
    }
}
