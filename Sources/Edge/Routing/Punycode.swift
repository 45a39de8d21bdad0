/// Punycode (RFC 3492), the encoding IDNA uses to carry a Unicode label in ASCII.
///
/// Written by hand because Foundation on Linux has no IDNA API (`URL` does not convert
/// internationalised host names there), and pulling in ICU for one small algorithm would be
/// out of proportion. Only encoding is needed: the edge turns U-labels into A-labels and
/// compares ASCII from then on; it never has to show a host name to a person.
enum Punycode {
    private static let base = 36
    private static let tMin = 1
    private static let tMax = 26
    private static let skew = 38
    private static let damp = 700
    private static let initialBias = 72
    private static let initialN = 0x80

    /// Encodes `input` as Punycode, without the `xn--` prefix.
    ///
    /// Basic code points are copied as they are (case included), as RFC 3492 prescribes;
    /// callers that want a canonical host name lowercase first. The RFC's overflow checks
    /// exist for 32-bit integers; callers bound their input (host names are capped at
    /// ``HostName/maximumInputLength`` bytes), so 64-bit `Int` arithmetic cannot overflow.
    static func encode(_ input: some Collection<Unicode.Scalar>) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(input.count * 2)
        for scalar in input where scalar.isASCII {
            output.append(UInt8(scalar.value))
        }
        let basicCount = output.count
        var handled = basicCount
        if basicCount > 0 {
            output.append(UInt8(ascii: "-"))
        }

        var n = Self.initialN
        var delta = 0
        var bias = Self.initialBias
        let total = input.count
        while handled < total {
            var next = Int.max
            for scalar in input where Int(scalar.value) >= n {
                next = min(next, Int(scalar.value))
            }
            delta += (next - n) * (handled + 1)
            n = next
            for scalar in input {
                let value = Int(scalar.value)
                if value < n {
                    delta += 1
                }
                guard value == n else { continue }
                var q = delta
                var k = Self.base
                while true {
                    let t = k <= bias ? Self.tMin : (k >= bias + Self.tMax ? Self.tMax : k - bias)
                    if q < t {
                        break
                    }
                    output.append(Self.digit(t + (q - t) % (Self.base - t)))
                    q = (q - t) / (Self.base - t)
                    k += Self.base
                }
                output.append(Self.digit(q))
                bias = Self.adapt(delta: delta, points: handled + 1, first: handled == basicCount)
                delta = 0
                handled += 1
            }
            delta += 1
            n += 1
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static func digit(_ value: Int) -> UInt8 {
        value < 26 ? UInt8(ascii: "a") + UInt8(value) : UInt8(ascii: "0") + UInt8(value - 26)
    }

    private static func adapt(delta: Int, points: Int, first: Bool) -> Int {
        var delta = first ? delta / Self.damp : delta / 2
        delta += delta / points
        var k = 0
        while delta > ((Self.base - Self.tMin) * Self.tMax) / 2 {
            delta /= Self.base - Self.tMin
            k += Self.base
        }
        return k + (Self.base - Self.tMin + 1) * delta / (delta + Self.skew)
    }
}
