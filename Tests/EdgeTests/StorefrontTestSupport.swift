import Edge
import NIOCore

/// A responder that answers every request with 404 at once, for tests of the transport around it.
struct NotFoundResponder: StorefrontResponder {
    func immediateResponse(to request: StorefrontRequest) -> StorefrontResponse? {
        StorefrontResponse(status: 404, headers: [], body: ByteBuffer())
    }

    func respond(to request: StorefrontRequest) async -> StorefrontResponse {
        StorefrontResponse(status: 404, headers: [], body: ByteBuffer())
    }
}
