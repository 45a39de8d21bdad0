extension Tenant {
    /// Checks the fields a client may set, recording every problem at its JSON pointer.
    ///
    /// `platformDomain` keeps custom domains out of the platform's own namespace: otherwise a
    /// tenant could register `other.<platform domain>` as a custom domain, and since custom domains
    /// resolve first it would capture another tenant's storefront.
    static func validate(
        companyName: String?,
        subdomain: String?,
        customDomains: [String]?,
        platformDomain: String?,
        into problems: inout ProblemList
    ) {
        if let companyName {
            problems.check(companyName, .text(maxLength: 255), at: .root.appending("companyName"))
        }
        if let subdomain {
            problems.check(subdomain, .subdomain, at: .root.appending("subdomain"))
        }
        guard let customDomains else { return }
        let pointer = JSONPointer.root.appending("customDomains")
        if customDomains.count > Self.maximumCustomDomains {
            problems.add(pointer, "must have at most \(Self.maximumCustomDomains) domains")
        }
        var seen: Set<String> = []
        for (index, domain) in customDomains.enumerated() {
            if let message = FieldRule.hostName.problem(with: domain) {
                problems.add(pointer.appending(index), message)
            } else if let platformDomain, domain == platformDomain || domain.hasSuffix("." + platformDomain) {
                problems.add(pointer.appending(index), "must not be under the platform domain '\(platformDomain)'")
            } else if !seen.insert(domain).inserted {
                problems.add(pointer.appending(index), "duplicate domain '\(domain)'")
            }
        }
    }
}
