import NIOConcurrencyHelpers

/// Remembers which namespace, generation and cache key a lookup's exact request bytes came
/// to, so a repeated request (clients resend byte-identical bodies) skips the JSON parse and
/// the canonical encoding: one XXH3-128 of the body and a striped dictionary lookup instead.
///
/// An entry is only a shortcut to what the full derivation gave: callers check that the
/// entry's tenant is the caller's (so even a crafted hash collision cannot cross tenants) and
/// that the generation is still current. Bounded: a stripe that fills starts over.
public final class LookupMemo: Sendable {
    /// What a request's bytes resolved to.
    public typealias Entry = ResolvedKey

    private let stripes: [NIOLockedValueBox<[CacheKey: Entry]>]
    private let entriesPerStripe: Int

    /// A memo of about `capacity` entries over `stripeCount` locks (a power of two).
    public init(capacity: Int = 65_536, stripeCount: Int = 16) {
        stripes = (0..<stripeCount).map { _ in NIOLockedValueBox([:]) }
        entriesPerStripe = max(1, capacity / stripeCount)
    }

    /// The fingerprint of a lookup: `tenant`, the namespace header and the body, framed so
    /// no two different triples run together. One small buffer and one XXH3-128.
    public static func fingerprint(tenant: String, headerNamespace: String?, body: UnsafeRawBufferPointer) -> CacheKey {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(tenant.utf8.count + (headerNamespace?.utf8.count ?? 0) + body.count + 10)
        append(tenant, to: &bytes)
        if let headerNamespace {
            bytes.append(1)
            append(headerNamespace, to: &bytes)
        } else {
            bytes.append(0)
        }
        bytes.append(contentsOf: body)
        return KeyHasher.hash(bytes)
    }

    /// The entry remembered for `fingerprint`, if any. One lock.
    public func entry(for fingerprint: CacheKey) -> Entry? {
        stripe(of: fingerprint).withLockedValue { $0[fingerprint] }
    }

    /// Remembers `entry` for `fingerprint`. One lock.
    public func remember(_ entry: Entry, for fingerprint: CacheKey) {
        let limit = entriesPerStripe
        stripe(of: fingerprint).withLockedValue { table in
            if table.count >= limit { table.removeAll(keepingCapacity: true) }
            table[fingerprint] = entry
        }
    }

    private func stripe(of fingerprint: CacheKey) -> NIOLockedValueBox<[CacheKey: Entry]> {
        stripes[Int(truncatingIfNeeded: fingerprint.low) & (stripes.count - 1)]
    }

    private static func append(_ text: String, to bytes: inout [UInt8]) {
        let count = UInt32(truncatingIfNeeded: text.utf8.count)
        withUnsafeBytes(of: count.littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: text.utf8)
    }
}
