import Foundation
public import TenantStore

/// The per-tenant stylesheet: branding turned into CSS custom properties.
///
/// The theme's stylesheet reads only `var(--…)` values, so branding never needs a rebuild of
/// the theme; this small file is all that differs between tenants.
public struct ThemeStylesheet: Sendable, Hashable {
    /// The stylesheet, fingerprinted like every other asset.
    public let asset: Asset
    /// Colour pairs that fail WCAG AA (4.5:1 for body text), for the admin to see.
    public let warnings: [ContrastWarning]

    static let defaultPrimary = "#1f4e79"
    static let defaultSecondary = "#f4f1ea"
    static let defaultAccent = "#c2410c"
    static let defaultFont = "system-ui, -apple-system, \"Segoe UI\", Roboto, sans-serif"

    /// Builds the stylesheet for `branding`; colours must already be validated hex.
    public init(branding: Branding?) {
        let primary = Color(hex: branding?.colors?.primary ?? "") ?? Color(hex: Self.defaultPrimary)!
        let secondary = Color(hex: branding?.colors?.secondary ?? "") ?? Color(hex: Self.defaultSecondary)!
        let accent = Color(hex: branding?.colors?.accent ?? "") ?? Color(hex: Self.defaultAccent)!
        let onPrimary = primary.readableText
        let onAccent = accent.readableText
        var css = ":root{"
        css += "--color-primary:\(primary.hex);--color-on-primary:\(onPrimary.hex);"
        css += "--color-secondary:\(secondary.hex);--color-on-secondary:\(secondary.readableText.hex);"
        css += "--color-accent:\(accent.hex);--color-on-accent:\(onAccent.hex);"
        css += "--font-heading:\(Self.fontStack(branding?.fonts?.heading));"
        css += "--font-body:\(Self.fontStack(branding?.fonts?.body));"
        css += "}"
        self.asset = Asset(file: "theme.css", text: css)

        let white = Color(red: 255, green: 255, blue: 255)
        var warnings: [ContrastWarning] = []
        for (role, color) in [("primary", primary), ("accent", accent)] {
            let ratio = color.contrast(with: white)
            if ratio < ContrastWarning.minimumRatio {
                warnings.append(ContrastWarning(role: role, foreground: color.hex, background: white.hex, ratio: ratio))
            }
            let onColor = color.readableText
            let textRatio = onColor.contrast(with: color)
            if textRatio < ContrastWarning.minimumRatio {
                warnings.append(
                    ContrastWarning(
                        role: "text on \(role)",
                        foreground: onColor.hex,
                        background: color.hex,
                        ratio: textRatio
                    )
                )
            }
        }
        self.warnings = warnings
    }

    /// A font name becomes a quoted family in front of the system stack; anything that could
    /// break out of the declaration is dropped rather than escaped.
    static func fontStack(_ name: String?) -> String {
        let cleaned = (name ?? "").unicodeScalars.filter {
            $0.properties.isAlphabetic || $0.properties.numericType != nil || $0 == " " || $0 == "-"
        }
        let family = String(String.UnicodeScalarView(cleaned)).trimmingWhitespace()
        return family.isEmpty ? Self.defaultFont : "\"\(family)\", \(Self.defaultFont)"
    }
}

/// A colour pair below the WCAG AA contrast ratio.
public struct ContrastWarning: Sendable, Hashable, CustomStringConvertible {
    /// WCAG 2.x AA minimum for normal-size text.
    public static let minimumRatio = 4.5

    /// Which branding colour the pair comes from, such as `primary`.
    public let role: String
    /// Foreground colour, `#rrggbb`.
    public let foreground: String
    /// Background colour, `#rrggbb`.
    public let background: String
    /// The contrast ratio, from 1 to 21.
    public let ratio: Double

    public var description: String {
        let rounded = (self.ratio * 100).rounded() / 100
        return "\(self.role): \(self.foreground) on \(self.background) has contrast \(rounded):1, below WCAG AA 4.5:1"
    }
}

struct Color: Sendable, Hashable {
    var red: Int
    var green: Int
    var blue: Int

    init(red: Int, green: Int, blue: Int) {
        self.red = red
        self.green = green
        self.blue = blue
    }

    init?(hex: String) {
        var digits = Array(hex.utf8.dropFirst(hex.hasPrefix("#") ? 1 : 0))
        if digits.count == 3 {
            digits = digits.flatMap { [$0, $0] }
        }
        guard digits.count == 6, let value = Int(String(decoding: digits, as: UTF8.self), radix: 16) else { return nil }
        self.init(red: (value >> 16) & 0xff, green: (value >> 8) & 0xff, blue: value & 0xff)
    }

    var hex: String {
        let value = (self.red << 16) | (self.green << 8) | self.blue
        let digits = String(value, radix: 16)
        return "#" + String(repeating: "0", count: 6 - digits.count) + digits
    }

    /// Relative luminance as WCAG 2.x defines it.
    var luminance: Double {
        func channel(_ value: Int) -> Double {
            let c = Double(value) / 255
            return c <= 0.039_28 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4)
        }
        return 0.2126 * channel(self.red) + 0.7152 * channel(self.green) + 0.0722 * channel(self.blue)
    }

    func contrast(with other: Color) -> Double {
        let (a, b) = (self.luminance, other.luminance)
        return (max(a, b) + 0.05) / (min(a, b) + 0.05)
    }

    /// Black or white, whichever reads better on this colour.
    var readableText: Color {
        let white = Color(red: 255, green: 255, blue: 255)
        let black = Color(red: 17, green: 17, blue: 17)
        return self.contrast(with: white) >= self.contrast(with: black) ? white : black
    }
}
