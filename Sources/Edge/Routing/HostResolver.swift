/// Where a request's host points, before any tenant lookup.
public enum HostClassification: Sendable, Hashable {
    /// Exactly `<label>.<platform domain>`: look the label up as a tenant subdomain.
    case platformSubdomain(String)
    /// The platform domain itself.
    case platformApex
    /// Any other name: look it up as a tenant's custom domain (then its ``HostName/wwwCounterpart``).
    case candidateCustomDomain(HostName)
}

/// Normalises request hosts and classifies them against the platform domain.
///
/// A pure value: no I/O and no tenant data, so it can run on an event loop for every request
/// and be shared freely. The caller does the lookups the classification asks for.
///
/// ```swift
/// let resolver = HostResolver(platformDomain: try HostName(normalizing: "localhost"))
/// try resolver.resolve(authority: "ACME.localhost:8443")  // .platformSubdomain("acme")
/// ```
public struct HostResolver: Sendable, Hashable {
    /// The domain under which every tenant has a subdomain, e.g. `localhost`.
    public let platformDomain: HostName
    private let suffix: String

    /// Creates a resolver for the given platform domain.
    public init(platformDomain: HostName) {
        self.platformDomain = platformDomain
        self.suffix = "." + platformDomain.value
    }

    /// Normalises a Host header or `:authority` value and classifies it.
    public func resolve(authority: some StringProtocol) throws(HostNameError) -> HostClassification {
        self.classify(try HostName(normalizing: authority))
    }

    /// Classifies an already normalised host.
    ///
    /// Deeper names under the platform domain (`a.b.<platform>`) are not tenant subdomains;
    /// they fall through to the custom-domain lookup, which will not find them either.
    public func classify(_ host: HostName) -> HostClassification {
        if host == self.platformDomain {
            return .platformApex
        }
        let name = host.value.utf8
        let suffix = self.suffix.utf8
        guard name.count > suffix.count, name.suffix(suffix.count).elementsEqual(suffix) else {
            return .candidateCustomDomain(host)
        }
        let label = name.dropLast(suffix.count)
        guard !label.contains(UInt8(ascii: ".")) else {
            return .candidateCustomDomain(host)
        }
        return .platformSubdomain(String(decoding: label, as: UTF8.self))
    }
}
