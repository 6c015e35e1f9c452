/// An origin object as stored in the cache tiers: a small binary header, then the body.
///
/// Layout (integers little-endian):
/// `"ACOB"` · version `u8` (1) · kind `u8` (0 object, 1 origin said 404) ·
/// fetched-at `i64` ms · fresh-until `i64` ms ·
/// three `u16`-length-prefixed UTF-8 strings: content-type, etag, last-modified (length
/// 0xFFFF = absent) · the body to the end.
/// The tier entry lives `ttl + stale-if-error` so a stale copy survives for serving when the
/// origin fails; `freshUntil` says when it stops being served as a plain hit. Encoding costs one
/// copy of the body; decoding copies none (the body is a slice of the decoded value).
public struct ObjectRecord: Sendable, Equatable {
    /// What the origin answered.
    public enum Kind: UInt8, Sendable {
        case object = 0
        /// A negative entry: the origin answered 404.
        case notFound = 1
    }

    public var kind: Kind
    public var fetchedAtMillis: Int64
    public var freshUntilMillis: Int64
    public var head: ObjectHead
    /// The object's bytes. A slice, so a decoded record shares the decoded value's storage
    /// instead of copying the body out of it; index it relative to `startIndex`.
    public var body: ArraySlice<UInt8>

    private static let magic: [UInt8] = Array("ACOB".utf8)
    private static let version: UInt8 = 1
    private static let absent: UInt16 = 0xFFFF

    /// Makes a record; `head.contentLength` is set from the body.
    public init(kind: Kind, fetchedAtMillis: Int64, freshUntilMillis: Int64, head: ObjectHead, body: [UInt8]) {
        self.init(kind: kind, fetchedAtMillis: fetchedAtMillis, freshUntilMillis: freshUntilMillis, head: head, bodySlice: body[...])
    }

    private init(kind: Kind, fetchedAtMillis: Int64, freshUntilMillis: Int64, head: ObjectHead, bodySlice body: ArraySlice<UInt8>) {
        self.kind = kind
        self.fetchedAtMillis = fetchedAtMillis
        self.freshUntilMillis = freshUntilMillis
        self.head = head
        self.head.contentLength = body.count
        self.body = body
    }

    /// Whether the record may be served as a plain hit at `now`.
    public func isFresh(at now: Int64) -> Bool { now < freshUntilMillis }

    /// The stored bytes.
    public func encoded() -> [UInt8] {
        var out = Self.magic
        out.reserveCapacity(64 + body.count)
        out.append(Self.version)
        out.append(kind.rawValue)
        withUnsafeBytes(of: fetchedAtMillis.littleEndian) { out.append(contentsOf: $0) }
        withUnsafeBytes(of: freshUntilMillis.littleEndian) { out.append(contentsOf: $0) }
        for field in [head.contentType, head.etag, head.lastModified] {
            guard let field, field.utf8.count < Int(Self.absent) else {
                withUnsafeBytes(of: Self.absent.littleEndian) { out.append(contentsOf: $0) }
                continue
            }
            withUnsafeBytes(of: UInt16(field.utf8.count).littleEndian) { out.append(contentsOf: $0) }
            out.append(contentsOf: field.utf8)
        }
        out.append(contentsOf: body)
        return out
    }

    /// Decodes stored bytes; nil when they are not a record of this version, including a header
    /// field that is not valid UTF-8. Accepts exactly what `encoded()` writes.
    public init?(decoding bytes: [UInt8]) {
        guard bytes.count >= 4 + 2 + 16 + 6, Array(bytes[0..<4]) == Self.magic, bytes[4] == Self.version,
            let kind = Kind(rawValue: bytes[5])
        else { return nil }
        var offset = 6
        func integer<T: FixedWidthInteger>(_: T.Type) -> T? {
            let size = MemoryLayout<T>.size
            guard offset + size <= bytes.count else { return nil }
            var value: T = 0
            for index in 0..<size { value |= T(truncatingIfNeeded: bytes[offset + index]) << (8 * index) }
            offset += size
            return value
        }
        guard let fetched = integer(Int64.self), let fresh = integer(Int64.self) else { return nil }
        var strings: [String?] = []
        for _ in 0..<3 {
            guard let length = integer(UInt16.self) else { return nil }
            if length == Self.absent {
                strings.append(nil)
                continue
            }
            // Validating, not repairing: a field that is not UTF-8 was not written by `encoded()`,
            // and repairing it would serve changed headers instead of refetching.
            guard offset + Int(length) <= bytes.count,
                let field = String(validating: bytes[offset..<offset + Int(length)], as: UTF8.self)
            else { return nil }
            strings.append(field)
            offset += Int(length)
        }
        self.init(
            kind: kind,
            fetchedAtMillis: fetched,
            freshUntilMillis: fresh,
            head: ObjectHead(contentType: strings[0], etag: strings[1], lastModified: strings[2]),
            bodySlice: bytes[offset...]
        )
    }
}
